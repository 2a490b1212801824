/**
 * Issue 4: the broker serves mqtts and wss from configured certificate files. A throwaway self-signed
 * certificate is made here with openssl; clients trust it as their CA and verify the peer.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceTopic, SERVER_SUBSCRIPTIONS } from '@sk/protocol';
import { addDevice, addServer, startBroker, type RunningBroker } from '@sk/broker';
import { collect, memoryLogger, subscribe } from './broker-helpers.ts';

let dir: string;
let broker: RunningBroker;
let ca: Buffer;
const secrets: Record<string, string> = {};
const scans = deviceTopic('ketapang', 'ketapang-01', 'scans');

/** Resolves with the client on CONNACK, or with the reason the connection ended first. No reconnects. */
function attempt(url: string, opts: IClientOptions): Promise<{ client?: mqtt.MqttClient; failure?: string }> {
  return new Promise((resolve) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 10_000, ...opts });
    client.once('connect', () => resolve({ client }));
    const fail = (why: string) => {
      client.end(true);
      resolve({ failure: why });
    };
    client.once('error', (e) => fail(e.message));
    client.once('close', () => fail('closed before CONNACK'));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sk-broker-tls-'));
  const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
  // One day, for localhost and 127.0.0.1, never written outside the temp dir.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', key, '-out', cert, '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  ca = await readFile(cert);
  const file = join(dir, 'broker', 'credentials.json');
  secrets['ketapang-01'] = (await addDevice(file, { checkpointId: 'ketapang', deviceId: 'ketapang-01' })).secret;
  secrets.ingest = (await addServer(file, 'ingest')).secret;
  broker = await startBroker({ mqttPort: 0, wsPort: 0, credentialsFile: file, tls: { certFile: cert, keyFile: key }, logger: memoryLogger() });
});

afterAll(async () => {
  await broker?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('broker over TLS', () => {
  it('a device publishes over mqtts and wss (peer verified against the CA) and the server receives both', async () => {
    const srv = await attempt(`mqtts://localhost:${broker.mqttPort}`, { clientId: 'ingest-1', username: 'ingest', password: secrets.ingest, ca, rejectUnauthorized: true });
    expect(srv.failure).toBeUndefined();
    const seen = collect(srv.client!);
    expect(await subscribe(srv.client!, SERVER_SUBSCRIPTIONS.scans)).toEqual([1]);
    for (const url of [`mqtts://localhost:${broker.mqttPort}`, `wss://localhost:${broker.wsPort}`]) {
      const dev = await attempt(url, { clientId: 'ketapang-01', username: 'ketapang-01', password: secrets['ketapang-01'], ca, rejectUnauthorized: true });
      expect(dev.failure, url).toBeUndefined();
      const arrived = seen.next(scans);
      await dev.client!.publishAsync(scans, `via ${url.split(':')[0]}`, { qos: 1 });
      await arrived;
      await dev.client!.endAsync();
    }
    expect(seen.messages.map((m) => m.payload.toString())).toEqual(['via mqtts', 'via wss']);
    await srv.client!.endAsync();
  });

  it('a client that does not trust the certificate is refused by its own TLS check', async () => {
    const r = await attempt(`mqtts://localhost:${broker.mqttPort}`, { clientId: 'ketapang-01', username: 'ketapang-01', password: secrets['ketapang-01'], rejectUnauthorized: true });
    expect(r.failure).toMatch(/self[- ]signed|certificate/i);
  });

  it('a plain TCP MQTT client on the TLS port never gets a CONNACK', async () => {
    const r = await attempt(`mqtt://127.0.0.1:${broker.mqttPort}`, { clientId: 'ketapang-01', username: 'ketapang-01', password: secrets['ketapang-01'] });
    expect(r.client).toBeUndefined();
    expect(r.failure).toBeDefined();
  });

  it('a plain ws client on the wss port never gets a CONNACK', async () => {
    const r = await attempt(`ws://127.0.0.1:${broker.wsPort}`, { clientId: 'ketapang-01', username: 'ketapang-01', password: secrets['ketapang-01'] });
    expect(r.client).toBeUndefined();
  });
});
