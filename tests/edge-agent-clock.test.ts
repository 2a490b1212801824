/**
 * Times that can be trusted (issue 17): a checkpoint device whose clock says 1970, 2099 or an hour
 * off stamps its scans with the server's time as soon as it has heard it, and flags the scans it took
 * before that. Real aedes, the server's real time beacon, the real agent; only the device's wall
 * clock is skewed (the simulators' skew fault). Waits are bounded polls.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addDevice, addServer, startBroker } from '@sk/broker';
import { DEFAULT_SCAN_TIME_BOUNDS, TIME_TOPIC, trustedScanTime, type Scan } from '@sk/protocol';
import mqtt from 'mqtt';
import { EdgeAgent, silentLogger, type EdgeAgentConfig } from '@sk/edge-agent';
import { freePort } from '../scripts/lib/influxd.ts';
import { startAckingServer, startAedes, until, validScanInput } from '../edge-agent/src/testing.ts';
import { TimeBeacon } from '../server/src/live/time-beacon.ts';
import { memoryLogger } from './broker-helpers.ts';
import { skewOffset, SKEW_VARIANTS } from '../simulators/src/faults.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sk-clock-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function agentOn(port: number, o: Partial<EdgeAgentConfig>) {
  const agent = new EdgeAgent({ brokerUrls: [`mqtt://127.0.0.1:${port}`], checkpointId: 'ketapang', deviceId: 'ketapang-01', dataDir: tempDir(), reconnectPeriodMs: 100, ...o });
  await agent.start();
  cleanups.push(() => agent.stop());
  return agent;
}

/** Broker, stand-in acking server and the server's real time beacon (its interval long: a device must be answered on connect). */
async function serverSide(port: number, beacon = true) {
  const broker = await startAedes(port);
  cleanups.push(() => broker.close());
  const server = await startAckingServer(broker.url);
  cleanups.push(() => server.close());
  if (beacon) {
    const b = new TimeBeacon({ url: broker.url, clientId: `time-${port}`, intervalMs: 600_000 }, silentLogger);
    b.start();
    cleanups.push(() => b.stop());
  }
  return server;
}

const near = (iso: string, ms: number) => Math.abs(Date.parse(iso) - ms) < 10_000;

describe('device time (issue 17)', () => {
  it.each(SKEW_VARIANTS)('a device booted offline with its clock at %s: flagged scans first, the server time once it has heard it', async (variant) => {
    const port = await freePort();
    const skew = skewOffset(variant);
    const agent = await agentOn(port, { now: () => Date.now() + skew });

    // Offline: the officer still gets "accepted", the scan says its time is not to be trusted.
    for (let i = 0; i < 2; i++) expect((await agent.submit(validScanInput(i))).ok).toBe(true);
    expect(agent.stats().clockTrusted).toBe(false);

    const server = await serverSide(port);
    await until(() => agent.stats().clockTrusted, 'agent learned the server time', 20_000);
    expect(Math.abs(agent.stats().clockSkewMs! - skew)).toBeLessThan(5000);
    for (let i = 2; i < 5; i++) expect((await agent.submit(validScanInput(i))).ok).toBe(true);
    await server.waitForUnique(5);

    const bySeq = new Map<number, Scan>(server.received.map((s) => [s.seq, s]));
    for (const seq of [1, 2]) {
      expect(bySeq.get(seq)!.untrustedTime).toBe(true);
      expect(near(bySeq.get(seq)!.scannedAt, Date.now() + skew)).toBe(true);
    }
    for (const seq of [3, 4, 5]) {
      expect(bySeq.get(seq)!.untrustedTime).toBeUndefined();
      expect(near(bySeq.get(seq)!.scannedAt, Date.now())).toBe(true);
    }
    // What ingest stores (protocol/src/clock.ts): every time sane, none in 1970 or 2099.
    const receivedAt = Date.now();
    for (const s of server.received) {
      const stored = trustedScanTime(s, receivedAt, DEFAULT_SCAN_TIME_BOUNDS);
      expect(stored.clock === null || stored.clock === 'untrusted').toBe(true);
      expect(near(stored.scannedAt, receivedAt)).toBe(true);
    }
    await agent.stop(); // while its broker is still up: a clean, quick disconnect
  });

  it('learns the time from an ack when there is no beacon: the scan after the first ack carries the server time', async () => {
    const port = await freePort();
    const server = await serverSide(port, false);
    const skew = skewOffset('2099');
    const agent = await agentOn(port, { now: () => Date.now() + skew });
    await until(() => agent.stats().connected, 'connected');
    expect((await agent.submit(validScanInput(1))).ok).toBe(true);
    await until(() => agent.stats().clockTrusted, 'time learned from the ack', 20_000);
    expect((await agent.submit(validScanInput(2))).ok).toBe(true);
    await server.waitForUnique(2);
    const [first, second] = [...server.received].sort((a, b) => a.seq - b.seq);
    expect(first!.untrustedTime).toBe(true);
    expect(second!.untrustedTime).toBeUndefined();
    expect(near(second!.scannedAt, Date.now())).toBe(true);
  });

  it('an agent restarted in the same boot keeps the time it learned; after a reboot it relearns it', async () => {
    const port = await freePort();
    await serverSide(port);
    const skew = skewOffset('1970');
    const dataDir = tempDir();
    const first = await agentOn(port, { now: () => Date.now() + skew, bootId: 'boot-1', dataDir });
    await until(() => first.stats().clockTrusted, 'time learned', 20_000);
    await first.stop();

    // The broker is unreachable now (another port): only the saved anchor can tell the time.
    const offline = await freePort();
    const sameBoot = await agentOn(offline, { now: () => Date.now() + skew, bootId: 'boot-1', dataDir });
    expect(sameBoot.stats().clockTrusted).toBe(true);
    expect(Math.abs(sameBoot.stats().clockSkewMs! - skew)).toBeLessThan(5000);
    await sameBoot.stop();

    const rebooted = await agentOn(offline, { now: () => Date.now() + skew, bootId: 'boot-2', dataDir });
    expect(rebooted.stats().clockTrusted).toBe(false);
  });

  it('through the authenticating broker: the device reads the server clock, and may not forge it', async () => {
    const dir = tempDir();
    const file = join(dir, 'credentials.json');
    const secret = (await addDevice(file, { checkpointId: 'ketapang', deviceId: 'ketapang-01' })).secret;
    const serverSecret = (await addServer(file, 'sk-server')).secret;
    const broker = await startBroker({ mqttPort: 0, wsPort: 0, credentialsFile: file, logger: memoryLogger() });
    cleanups.push(() => broker.close());
    const url = `mqtt://127.0.0.1:${broker.mqttPort}`;
    const beacon = new TimeBeacon({ url, clientId: 'sk-server-time', username: 'sk-server', password: serverSecret, intervalMs: 600_000 }, silentLogger);
    beacon.start();
    cleanups.push(() => beacon.stop());
    const skew = skewOffset('-1h');
    const agent = await agentOn(broker.mqttPort, { password: secret, now: () => Date.now() + skew });
    await until(() => agent.stats().clockTrusted, 'time learned through the ACL', 20_000);
    expect(Math.abs(agent.stats().clockSkewMs! - skew)).toBeLessThan(5000);

    // Rogue firmware with the device's secret publishing a fake time is cut off (the broker closes
    // the connection on a refused publish), and the agent's time stays the server's.
    const rogue = await mqtt.connectAsync(url, { clientId: 'ketapang-01', username: 'ketapang-01', password: secret, reconnectPeriod: 0, clean: false });
    const closed = new Promise<void>((r) => rogue.once('close', () => r()));
    rogue.publish(TIME_TOPIC, JSON.stringify({ v: 1, serverTime: '2099-01-01T00:00:00.000Z' }), { qos: 1 });
    await closed;
    await until(() => agent.stats().connected, 'agent back on its session', 20_000);
    expect(Math.abs(agent.stats().clockSkewMs! - skew)).toBeLessThan(5000);
    expect((await agent.submit(validScanInput(9))).ok).toBe(true);
  });
});
