/**
 * Issue 6 on the real broker: a bansos distribution-point device is pinned to its own desa and a
 * puskesmas device to its own puskesmas. A refused PUBLISH closes the connection (MQTT 3.1.1 has no
 * per-message refusal) and reaches nobody; a refused SUBSCRIBE gets 0x80.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AID_SUBSCRIPTION, PUSKESMAS_SUBSCRIPTION, puskesmasTopic, villageDeviceTopic } from '@sk/protocol';
import { addPuskesmasDevice, addServer, addVillageDevice, startBroker, type RunningBroker } from '@sk/broker';
import { collect, connect, memoryLogger, subscribe, waitFor } from './broker-helpers.ts';

const A = '35.10.01.2001';
const B = '35.10.01.2002';
let dir: string;
let broker: RunningBroker;
const log = memoryLogger();
const secrets: Record<string, string> = {};
let server: MqttClient;
let seen: ReturnType<typeof collect>;
const open: MqttClient[] = [];

async function as(id: string): Promise<MqttClient> {
  const c = await connect(broker.mqttPort, { clientId: id, username: id, password: secrets[id]! });
  open.push(c);
  return c;
}

/** Publishes what the ACL refuses, waits for the close, then proves via an allowed marker (same publisher, in order) that nothing arrived. */
async function refused(id: string, topic: string, allowedTopic: string): Promise<void> {
  const d = await as(id);
  const closed = waitFor(d, 'close');
  d.publish(topic, 'forged', { qos: 1 });
  await closed;
  const again = await as(id);
  const marker = seen.next(allowedTopic);
  await again.publishAsync(allowedTopic, 'marker', { qos: 1 });
  await marker;
  expect(seen.messages.filter((m) => m.topic === topic)).toEqual([]);
  again.end();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sk-broker-aid-'));
  const file = join(dir, 'broker', 'credentials.json');
  secrets['pos-a'] = (await addVillageDevice(file, { villageCode: A, deviceId: 'pos-a' })).secret;
  secrets['pos-b'] = (await addVillageDevice(file, { villageCode: B, deviceId: 'pos-b' })).secret;
  secrets['sobo-01'] = (await addPuskesmasDevice(file, { puskesmasId: 'sobo', deviceId: 'sobo-01' })).secret;
  secrets.ingest = (await addServer(file, 'ingest')).secret;
  broker = await startBroker({ mqttPort: 0, credentialsFile: file, logger: log, loginThrottle: { maxFailures: 1000 } });
  server = await connect(broker.mqttPort, { clientId: 'ingest-1', username: 'ingest', password: secrets.ingest! });
  seen = collect(server);
  expect(await subscribe(server, AID_SUBSCRIPTION)).toEqual([1]);
  expect(await subscribe(server, PUSKESMAS_SUBSCRIPTION)).toEqual([1]);
});

afterAll(async () => {
  for (const c of [...open, server]) c?.end(true);
  await broker?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('distribution-point device', () => {
  it('publishes a handout for its own desa and receives the server answer on its own result topic', async () => {
    const d = await as('pos-a');
    expect(await subscribe(d, villageDeviceTopic(A, 'pos-a', 'aid-result'))).toEqual([1]);
    const arrived = seen.next(villageDeviceTopic(A, 'pos-a', 'aid'));
    await d.publishAsync(villageDeviceTopic(A, 'pos-a', 'aid'), 'handout', { qos: 1 });
    await arrived;
    const answer = new Promise<string>((resolve) => d.once('message', (_t, p) => resolve(p.toString())));
    await server.publishAsync(villageDeviceTopic(A, 'pos-a', 'aid-result'), 'ok', { qos: 1 });
    expect(await answer).toBe('ok');
    d.end();
  });

  it('cannot publish a handout for another village, not even under its own device id', async () => {
    await refused('pos-a', villageDeviceTopic(B, 'pos-a', 'aid'), villageDeviceTopic(A, 'pos-a', 'aid'));
    await refused('pos-a', villageDeviceTopic(B, 'pos-b', 'aid'), villageDeviceTopic(A, 'pos-a', 'aid'));
    expect(log.lines.filter((l) => l.obj.reason === 'publish_acl' && l.obj.clientId === 'pos-a').length).toBeGreaterThanOrEqual(2);
  });

  it("cannot read another village's results nor every result", async () => {
    const d = await as('pos-a');
    expect(await subscribe(d, villageDeviceTopic(B, 'pos-b', 'aid-result'))).toEqual([128]);
    expect(await subscribe(d, 'sk/v1/villages/+/devices/+/aid-result')).toEqual([128]);
    expect(await subscribe(d, AID_SUBSCRIPTION)).toEqual([128]);
    d.end();
  });

  it("cannot connect under another device's client id", async () => {
    await expect(connect(broker.mqttPort, { clientId: 'pos-b', username: 'pos-a', password: secrets['pos-a']! })).rejects.toMatchObject({ code: 5 });
  });
});

describe('puskesmas device', () => {
  it("publishes its own puskesmas's report, not another's, and subscribes to nothing", async () => {
    const d = await as('sobo-01');
    const arrived = seen.next(puskesmasTopic('sobo', 'sobo-01'));
    await d.publishAsync(puskesmasTopic('sobo', 'sobo-01'), 'report', { qos: 1 });
    await arrived;
    expect(await subscribe(d, PUSKESMAS_SUBSCRIPTION)).toEqual([128]);
    d.end();
    await refused('sobo-01', puskesmasTopic('kelir', 'sobo-01'), puskesmasTopic('sobo', 'sobo-01'));
  });

  it('the server cannot forge a handout or a report', async () => {
    const s = await connect(broker.mqttPort, { clientId: 'ingest-2', username: 'ingest', password: secrets.ingest! });
    open.push(s);
    const closed = waitFor(s, 'close');
    s.publish(villageDeviceTopic(A, 'pos-a', 'aid'), 'forged-by-server', { qos: 1 });
    await closed;
    const d = await as('pos-a');
    const marker = seen.next(villageDeviceTopic(A, 'pos-a', 'aid'));
    await d.publishAsync(villageDeviceTopic(A, 'pos-a', 'aid'), 'marker', { qos: 1 });
    await marker;
    expect(seen.messages.some((m) => m.payload.toString() === 'forged-by-server')).toBe(false);
  });
});
