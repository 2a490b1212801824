/**
 * Test support shared by the agent's tests (and handy for simulators): valid scan inputs, a bare
 * aedes broker on a free port, and a tiny stand-in "server" that stores scans and sends ScanAcks.
 * Real parts only: aedes, net, mqtt.js.
 */
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
// The CommonJS export is a factory `() => persistence`; its .d.ts does not say so.
import memoryPersistence from 'aedes-persistence';
import mqtt, { type MqttClient } from 'mqtt';
import { parseDeviceTopic, SERVER_SUBSCRIPTIONS, deviceTopic, toRanges, type Scan } from '@sk/protocol';

export { validScanInput } from './fixtures.ts';

export interface TestBroker {
  url: string;
  port: number;
  /** Pass to the next startAedes on the same port to keep sessions and subscriptions (a restart with persistence). */
  persistence: unknown;
  /** Stops listening and closes the broker (sessions are lost, like a broker restart without persistence). */
  close(): Promise<void>;
}

/** A bare aedes broker (no auth) on `port` (0 = any free one), optionally reusing an earlier one's persistence. */
export async function startAedes(port = 0, persistence: unknown = (memoryPersistence as unknown as () => unknown)()): Promise<TestBroker> {
  const broker = await Aedes.createBroker({ persistence });
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as { port: number }).port;
  let closed: Promise<void> | null = null;
  return {
    url: `mqtt://127.0.0.1:${actual}`,
    port: actual,
    persistence,
    close: () =>
      (closed ??= (async () => {
        await new Promise<void>((resolve) => broker.close(() => resolve()));
        // Cut live connections too, or server.close would wait for them.
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
        });
      })()),
  };
}

export interface AckingServer {
  client: MqttClient;
  /** Every scan received, transport duplicates included. */
  received: Scan[];
  /** For each MQTT message received: how many scans it carried and its size in bytes. */
  messages: { scans: number; bytes: number }[];
  uniqueScanIds(): Set<string>;
  /** Stop/resume sending ScanAcks (e.g. the server's database is down). */
  setAcking(on: boolean): void;
  /** Resolves once `n` unique scanIds have arrived. */
  waitForUnique(n: number): Promise<void>;
  close(): Promise<void>;
}

/** A stand-in server: subscribes to every device's scans (one per message or a batch) and acks each seq as "stored". */
export async function startAckingServer(url: string, clientId = `test-server-${process.pid}-${Math.random().toString(16).slice(2)}`): Promise<AckingServer> {
  const client = mqtt.connect(url, { clientId, clean: false, reconnectPeriod: 100 });
  const received: Scan[] = [];
  const messages: { scans: number; bytes: number }[] = [];
  const unique = new Set<string>();
  let acking = true;
  let waiters: { n: number; resolve: () => void }[] = [];
  client.on('message', (topic, payload) => {
    const t = parseDeviceTopic(topic);
    if (!t || t.kind !== 'scans') return;
    const value = JSON.parse(payload.toString()) as Scan | Scan[];
    const scans = Array.isArray(value) ? value : [value];
    messages.push({ scans: scans.length, bytes: payload.length });
    for (const scan of scans) {
      received.push(scan);
      unique.add(scan.scanId);
    }
    waiters = waiters.filter((w) => (unique.size >= w.n ? (w.resolve(), false) : true));
    if (!acking) return;
    const ack = { v: 1, ranges: toRanges(scans.map((s) => s.seq)), serverTime: new Date().toISOString() };
    client.publish(deviceTopic(t.checkpointId, t.deviceId, 'acks'), JSON.stringify(ack), { qos: 1 });
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  await client.subscribeAsync(SERVER_SUBSCRIPTIONS.scans, { qos: 1 });
  return {
    client,
    received,
    messages,
    uniqueScanIds: () => new Set(unique),
    setAcking: (on) => { acking = on; },
    waitForUnique: (n) => (unique.size >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    close: () => client.endAsync(),
  };
}

/** Resolves when `check()` turns true, polling every `everyMs`; rejects after `limitMs` (a bound, not an assertion). */
export async function until(check: () => boolean, what: string, limitMs = 60_000, everyMs = 20): Promise<void> {
  const end = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
