import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceTopic, SERVER_SUBSCRIPTIONS } from '@sk/protocol';
import { addDevice, addServer, revoke, startBroker, type RunningBroker } from '@sk/broker';
import mqtt from 'mqtt';
import { collect, connect, memoryLogger, subscribe, waitFor } from './broker-helpers.ts';

const KETAPANG = { checkpointId: 'ketapang', deviceId: 'ketapang-01' };
const scans = deviceTopic('ketapang', 'ketapang-01', 'scans');
const status = deviceTopic('ketapang', 'ketapang-01', 'status');
const acks = deviceTopic('ketapang', 'ketapang-01', 'acks');

let dir: string;
let file: string;
let broker: RunningBroker;
const log = memoryLogger();
const secrets: Record<string, string> = {};
let server: MqttClient;
let seen: ReturnType<typeof collect>;
const open: MqttClient[] = [];

async function device(id = 'ketapang-01', protocol: 'mqtt' | 'ws' = 'mqtt'): Promise<MqttClient> {
  const port = protocol === 'ws' ? broker.wsPort! : broker.mqttPort;
  const c = await connect(port, { clientId: id, username: id, password: secrets[id]! }, protocol);
  open.push(c);
  return c;
}

/** Publishes something the broker refuses, waits for the broker to drop the connection, then proves nothing arrived. */
async function refusedPublish(topic: string, payload: string | Buffer): Promise<void> {
  const d = await device();
  const closed = waitFor(d, 'close');
  d.publish(topic, payload, { qos: 1 });
  await closed;
  // The refused PUBLISH was handled before the close; a marker sent afterwards arrives after anything it let through.
  const again = await device();
  const marker = seen.next(status);
  await again.publishAsync(status, 'online', { qos: 1 });
  await marker;
  expect(seen.messages.filter((m) => m.topic === topic && m.payload.equals(Buffer.from(payload)))).toEqual([]);
  again.end();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sk-broker-'));
  file = join(dir, 'broker', 'credentials.json');
  for (const d of [KETAPANG, { checkpointId: 'kalibaru', deviceId: 'kalibaru-01' }, { checkpointId: 'ketapang', deviceId: 'ketapang-02' }]) {
    secrets[d.deviceId] = (await addDevice(file, d)).secret;
  }
  secrets.ingest = (await addServer(file, 'ingest')).secret;
  broker = await startBroker({ mqttPort: 0, wsPort: 0, credentialsFile: file, logger: log, loginThrottle: { maxFailures: 1000 } });
  server = await connect(broker.mqttPort, { clientId: 'ingest-1', username: 'ingest', password: secrets.ingest! });
  seen = collect(server);
  expect(await subscribe(server, SERVER_SUBSCRIPTIONS.scans)).toEqual([1]);
  expect(await subscribe(server, SERVER_SUBSCRIPTIONS.status)).toEqual([1]);
});

afterAll(async () => {
  for (const c of [...open, server]) c?.end(true);
  await broker?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('broker: who gets in', () => {
  it('a device with its secret publishes a scan and the server receives it, over TCP and WebSocket', async () => {
    for (const protocol of ['mqtt', 'ws'] as const) {
      const d = await device('ketapang-01', protocol);
      const arrived = seen.next(scans);
      await d.publishAsync(scans, JSON.stringify({ via: protocol }), { qos: 1 });
      await arrived;
      d.end();
    }
  });

  it.each([
    ['a wrong secret', { clientId: 'ketapang-01', username: 'ketapang-01', password: 'guess' }, 4, 'bad_credentials'],
    ['an unknown username', { clientId: 'nobody', username: 'nobody', password: 'guess' }, 4, 'bad_credentials'],
    ['no username at all (anonymous)', { clientId: 'anon' }, 5, 'anonymous'],
  ])('%s is refused', async (_why, opts, code, reason) => {
    const before = broker.metrics().refusals[reason as 'anonymous'];
    await expect(connect(broker.mqttPort, opts)).rejects.toMatchObject({ code });
    expect(broker.metrics().refusals[reason as 'anonymous']).toBe(before + 1);
  });

  it('a device may not use another client id (it would take over that session)', async () => {
    const opts = { clientId: 'ketapang-02', username: 'ketapang-01', password: secrets['ketapang-01']! };
    await expect(connect(broker.mqttPort, opts)).rejects.toMatchObject({ code: 5 });
    const serverAsDevice = { clientId: 'ketapang-01', username: 'ingest', password: secrets.ingest! };
    await expect(connect(broker.mqttPort, serverAsDevice)).rejects.toMatchObject({ code: 5 });
  });
});

describe('broker: ACL', () => {
  it.each([
    ['another device at its checkpoint', deviceTopic('ketapang', 'ketapang-02', 'scans')],
    ['another checkpoint', deviceTopic('kalibaru', 'ketapang-01', 'scans')],
    ['another checkpoint and device', deviceTopic('kalibaru', 'kalibaru-01', 'status')],
  ])('a device publishing to %s is disconnected and the message goes nowhere', async (_why, topic) => {
    const before = broker.metrics().refusals.publish_acl;
    await refusedPublish(topic, '{}');
    expect(broker.metrics().refusals.publish_acl).toBe(before + 1);
  });

  it('a payload above the limit is refused', async () => {
    await refusedPublish(scans, Buffer.alloc(16 * 1024 + 1, 0x20));
    expect(broker.metrics().refusals.payload_too_large).toBe(1);
  });

  it('subscriptions outside the ACL get SUBACK 128; its own acks are granted', async () => {
    const d = await device();
    expect(await subscribe(d, acks)).toEqual([1]);
    for (const filter of ['#', SERVER_SUBSCRIPTIONS.scans, deviceTopic('ketapang', 'ketapang-02', 'acks'), '$SYS/#']) {
      expect(await subscribe(d, filter)).toEqual([128]);
    }
    // The server's ack reaches the device; the server itself may not forge a scan.
    const ack = new Promise<string>((resolve) => d.once('message', (_t, p) => resolve(p.toString())));
    await server.publishAsync(acks, JSON.stringify({ v: 1, ranges: [[1, 1]], serverTime: new Date().toISOString() }), { qos: 1 });
    expect(JSON.parse(await ack)).toMatchObject({ v: 1 });
    d.end();
  });

  it('every refusal is logged with its reason and no secret or payload', async () => {
    const warnings = log.lines.filter((l) => l.msg === 'refused');
    expect(new Set(warnings.map((l) => l.obj.reason))).toEqual(new Set(['bad_credentials', 'anonymous', 'client_id', 'publish_acl', 'payload_too_large', 'subscribe_acl']));
    const text = JSON.stringify(log.lines);
    for (const s of Object.values(secrets)) expect(text).not.toContain(s);
    expect(text).not.toContain('guess');
  });

  it('metrics count clients, messages and refusals, also as Prometheus text', async () => {
    const m = broker.metrics();
    expect(m.connectedClients).toBeGreaterThanOrEqual(1);
    expect(m.messagesIn).toBeGreaterThanOrEqual(2);
    expect(m.messagesOut).toBeGreaterThanOrEqual(2);
    const text = await broker.metricsText();
    expect(text).toContain('sk_broker_connected_clients');
    expect(text).toMatch(/sk_broker_refusals_total\{reason="publish_acl"\} [1-9]/);
  });
});

describe('broker: revocation', () => {
  it('a revoked device is disconnected at once and cannot reconnect', async () => {
    const d = await device('ketapang-02');
    const closed = waitFor(d, 'close');
    await revoke(file, 'ketapang-02'); // the broker watches the file
    await closed;
    await expect(connect(broker.mqttPort, { clientId: 'ketapang-02', username: 'ketapang-02', password: secrets['ketapang-02']! })).rejects.toMatchObject({ code: 5 });
    expect(log.lines.some((l) => l.obj.reason === 'revoked')).toBe(true);
  });
});

describe('broker: login throttling', () => {
  it('after repeated failures from one address even the right secret is refused for a while', async () => {
    const b = await startBroker({ mqttPort: 0, credentialsFile: file, logger: memoryLogger(), loginThrottle: { maxFailures: 3, windowMs: 600_000, blockMs: 600_000 } });
    try {
      const good = { clientId: 'kalibaru-01', username: 'kalibaru-01', password: secrets['kalibaru-01']! };
      (await connect(b.mqttPort, good)).end(true);
      for (let i = 0; i < 3; i++) await expect(connect(b.mqttPort, { ...good, password: 'wrong' })).rejects.toMatchObject({ code: 4 });
      await expect(connect(b.mqttPort, good)).rejects.toMatchObject({ code: 5 });
      expect(b.metrics().refusals.throttled).toBe(1);
    } finally {
      await b.close();
    }
  });
});

describe('broker: connection rate per address', () => {
  it('a client reconnecting in a loop is refused at its CONNECT once over the burst, before any credential check', async () => {
    const b = await startBroker({ mqttPort: 0, credentialsFile: file, logger: memoryLogger(), connectRate: { burst: 3, perSecond: 0.01, limitLoopback: true } });
    /** true: CONNACK received; false: the broker closed the connection first. */
    const attempt = () => new Promise<boolean>((resolve) => {
      const c = mqtt.connect(`mqtt://127.0.0.1:${b.mqttPort}`, { clientId: 'kalibaru-01', username: 'kalibaru-01', password: secrets['kalibaru-01']!, reconnectPeriod: 0, connectTimeout: 10_000 });
      c.once('connect', () => { c.end(true); resolve(true); });
      c.once('close', () => { c.end(true); resolve(false); });
    });
    try {
      const results: boolean[] = [];
      for (let i = 0; i < 5; i++) results.push(await attempt());
      expect(results).toEqual([true, true, true, false, false]);
      expect(b.metrics().refusals.rate_limited).toBe(2);
      expect(b.metrics().refusals.bad_credentials).toBe(0);
    } finally {
      await b.close();
    }
  });
});

describe('broker: bare mode for the bench', () => {
  it('auth: false runs aedes without hooks (anyone may connect and publish)', async () => {
    const b = await startBroker({ mqttPort: 0, credentialsFile: join(dir, 'unused.json'), auth: false, logger: memoryLogger() });
    try {
      const c = await connect(b.mqttPort, { clientId: 'bench-1' });
      const got = new Promise<void>((resolve) => c.once('message', () => resolve()));
      await subscribe(c, 'any/topic');
      await c.publishAsync('any/topic', 'x', { qos: 1 });
      await got;
      await c.endAsync();
    } finally {
      await b.close();
    }
  });
});
