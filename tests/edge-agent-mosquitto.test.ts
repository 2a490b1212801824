/**
 * Interop: the same agent against Debian's mosquitto instead of aedes — delivery, and a broker
 * restart with scans taken while it was down.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EdgeAgent } from '@sk/edge-agent';
import { freePort } from '../scripts/lib/influxd.ts';
import { startAckingServer, until, validScanInput } from '../edge-agent/src/testing.ts';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sk-agent-mosq-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Mosquitto on `port` with a throwaway config; resolves once it accepts connections. */
async function startMosquitto(port: number, dir: string): Promise<{ stop(): Promise<void> }> {
  const conf = join(dir, 'mosquitto.conf');
  // `user root`: started as root, mosquitto otherwise drops to its own user, cannot write the database
  // into our temp dir, and silently restarts without the server's session (its subscription gone, the
  // agent's first publishes after the restart delivered to nobody until the 10 s retransmit).
  // Ignored when the tests run as another user (then the files are that user's anyway).
  writeFileSync(conf, `user root\nlistener ${port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location ${dir}/\nmax_queued_messages 10000\n`);
  const child: ChildProcess = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  cleanups.push(stop);
  // Ready when a TCP connect succeeds (bounded).
  const { connect } = await import('node:net');
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) return { stop };
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('mosquitto did not start');
}

describe('edge agent with mosquitto', () => {
  it('delivers every accepted scan, and drains a backlog in order after a broker restart', async () => {
    const dir = tempDir();
    const port = await freePort();
    const url = `mqtt://127.0.0.1:${port}`;
    let broker = await startMosquitto(port, dir);
    const server = await startAckingServer(url, 'test-server-mosq');
    cleanups.push(() => server.close());
    const agent = new EdgeAgent({ brokerUrls: [url], checkpointId: 'wongsorejo', deviceId: 'wongsorejo-01', dataDir: join(dir, 'outbox'), reconnectPeriodMs: 100 });
    await agent.start();
    cleanups.push(() => agent.stop());
    await until(() => agent.stats().connected, 'agent connected');

    const live = await Promise.all(Array.from({ length: 200 }, (_, i) => agent.submit(validScanInput(i))));
    await server.waitForUnique(200);
    await until(() => agent.stats().outbox.depth === 0, 'outbox empty');
    expect(server.uniqueScanIds()).toEqual(new Set(live.map((r) => (r.ok ? r.scanId : ''))));

    // Mosquitto saves its sessions on shutdown: the server's subscription survives the restart.
    await broker.stop();
    await until(() => !agent.stats().connected, 'agent noticed the outage');
    const offline = await Promise.all(Array.from({ length: 150 }, (_, i) => agent.submit(validScanInput(1000 + i))));
    expect(offline.every((r) => r.ok)).toBe(true);

    const before = server.received.length;
    broker = await startMosquitto(port, dir);
    await server.waitForUnique(350);
    await until(() => agent.stats().outbox.depth === 0, 'backlog drained');
    const firstSeen: number[] = [];
    for (const s of server.received.slice(before)) if (s.seq > 200 && !firstSeen.includes(s.seq)) firstSeen.push(s.seq);
    expect(firstSeen).toEqual(Array.from({ length: 150 }, (_, i) => 201 + i));
  });
});
