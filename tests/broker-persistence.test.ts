import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceTopic, SERVER_SUBSCRIPTIONS } from '@sk/protocol';
import { addDevice, addServer, startBroker, type RunningBroker } from '@sk/broker';
import { connect, memoryLogger, subscribe } from './broker-helpers.ts';

let dir: string;
let file: string;
let broker: RunningBroker | undefined;
const secrets: Record<string, string> = {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sk-broker-persist-'));
  file = join(dir, 'broker', 'credentials.json');
  secrets.dev = (await addDevice(file, { checkpointId: 'kalibaru', deviceId: 'kalibaru-01' })).secret;
  secrets.srv = (await addServer(file, 'ingest')).secret;
});

afterAll(async () => {
  await broker?.close();
  await rm(dir, { recursive: true, force: true });
});

const start = () => startBroker({ mqttPort: 0, credentialsFile: file, persistenceDir: join(dir, 'broker', 'db'), logger: memoryLogger() });
const serverOpts = { clientId: 'ingest-main', username: 'ingest', password: '', clean: false };

describe('broker persistence', () => {
  it('a QoS 1 scan queued for an offline persistent server session survives a broker restart', async () => {
    broker = await start();
    // The server makes its persistent session and goes away (crash, deploy, …).
    const srv = await connect(broker.mqttPort, { ...serverOpts, password: secrets.srv! });
    expect(await subscribe(srv, SERVER_SUBSCRIPTIONS.scans, 1)).toEqual([1]);
    await srv.endAsync();

    // A device publishes while the server is away; the broker queues it for the session.
    const dev = await connect(broker.mqttPort, { clientId: 'kalibaru-01', username: 'kalibaru-01', password: secrets.dev! });
    const topic = deviceTopic('kalibaru', 'kalibaru-01', 'scans');
    await dev.publishAsync(topic, '{"seq":1}', { qos: 1 });
    await dev.endAsync();

    // The broker restarts on the same data directory (a new port: the old one may linger in TIME_WAIT).
    await broker.close();
    broker = await start();

    let delivered!: Promise<[string, Buffer]>;
    const back = await connect(broker.mqttPort, { ...serverOpts, password: secrets.srv! }, 'mqtt', (c) => {
      delivered = new Promise((resolve) => c.once('message', (t, p) => resolve([t, p])));
    });
    try {
      const [t, payload] = await delivered;
      expect(t).toBe(topic);
      expect(payload.toString()).toBe('{"seq":1}');
    } finally {
      await back.endAsync();
    }
  });
});
