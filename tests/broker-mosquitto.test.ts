/**
 * Debian's mosquitto-clients as a device: the broker must work with a client we did not write.
 * (Secrets go on the command line here only because this is a throwaway test identity.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceTopic, SERVER_SUBSCRIPTIONS } from '@sk/protocol';
import { addDevice, addServer, startBroker, type RunningBroker } from '@sk/broker';
import { collect, connect, memoryLogger, subscribe } from './broker-helpers.ts';

const children = new Set<ChildProcess>();
let dir: string;
let broker: RunningBroker;
let server: MqttClient;
let seen: ReturnType<typeof collect>;
let secret: string;
const scans = deviceTopic('wongsorejo', 'wongsorejo-01', 'scans');
const status = deviceTopic('wongsorejo', 'wongsorejo-01', 'status');
const acks = deviceTopic('wongsorejo', 'wongsorejo-01', 'acks');

/** Runs a mosquitto client to completion (each is bounded by -C/-E or a single publish). */
function run(cmd: 'mosquitto_pub' | 'mosquitto_sub', args: string[], onStdout?: (text: string) => void): Promise<{ code: number | null; out: string }> {
  const base = ['-h', '127.0.0.1', '-p', String(broker.mqttPort), '-V', 'mqttv311', '-i', 'wongsorejo-01', '-u', 'wongsorejo-01', '-P', secret];
  return new Promise((resolve, reject) => {
    // stdbuf: mosquitto's debug lines are block-buffered into a pipe, and we react to them as they come.
    const child = spawn('stdbuf', ['-oL', `/usr/bin/${cmd}`, ...base, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    child.on('exit', () => children.delete(child));
    let out = '';
    const take = (b: Buffer) => {
      out += b.toString();
      onStdout?.(out);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sk-broker-mosq-'));
  const file = join(dir, 'credentials.json');
  secret = (await addDevice(file, { checkpointId: 'wongsorejo', deviceId: 'wongsorejo-01' })).secret;
  const srv = await addServer(file, 'ingest');
  broker = await startBroker({ mqttPort: 0, credentialsFile: file, logger: memoryLogger() });
  server = await connect(broker.mqttPort, { clientId: 'ingest-1', username: 'ingest', password: srv.secret });
  seen = collect(server);
  await subscribe(server, SERVER_SUBSCRIPTIONS.scans);
  await subscribe(server, SERVER_SUBSCRIPTIONS.status);
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  server?.end(true);
  await broker?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('mosquitto clients as a device', () => {
  it('an allowed publish arrives', async () => {
    const arrived = seen.next(scans);
    const r = await run('mosquitto_pub', ['-q', '1', '-t', scans, '-m', '{"seq":1}']);
    expect(r.code).toBe(0);
    await arrived;
  });

  it('a publish to another checkpoint does not arrive', async () => {
    const forbidden = deviceTopic('ketapang', 'wongsorejo-01', 'scans');
    await run('mosquitto_pub', ['-q', '1', '-t', forbidden, '-m', '{"seq":2}']);
    // mosquitto_pub has returned, so the broker has handled (refused) it; an allowed marker comes after.
    const marker = seen.next(status);
    expect((await run('mosquitto_pub', ['-q', '1', '-t', status, '-m', 'online'])).code).toBe(0);
    await marker;
    expect(seen.messages.map((m) => m.topic)).not.toContain(forbidden);
    expect(broker.metrics().refusals.publish_acl).toBe(1);
  });

  it('its own acks are delivered; any other subscription is refused with 128', async () => {
    let acked = false;
    const sub = run('mosquitto_sub', ['-d', '-q', '1', '-C', '1', '-t', acks], (out) => {
      // Publish the ack once the SUBACK is in: no sleeping.
      if (!acked && out.includes('SUBACK')) {
        acked = true;
        server.publish(acks, '{"v":1,"ranges":[[1,2]],"serverTime":"2025-01-01T00:00:00.000Z"}', { qos: 1 });
      }
    });
    const r = await sub;
    expect(r.out).toContain('"ranges":[[1,2]]');
    const refused = await run('mosquitto_sub', ['-d', '-E', '-t', SERVER_SUBSCRIPTIONS.scans]);
    expect(refused.out).toMatch(/Subscribed \(mid: \d+\): 128/);
  });
});
