/** Helpers for the broker tests: real mqtt.js clients against a real broker on port 0. */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { BrokerLogger } from '@sk/broker';

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string;
}

/** A logger that keeps every line, so tests can check refusals were logged and secrets were not. */
export function memoryLogger(): BrokerLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (obj: object, msg: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

/** Connects, resolving on CONNACK 0 and rejecting with the refusal (err.code = CONNACK return code). No auto-reconnect. */
export function connect(port: number, opts: IClientOptions, protocol: 'mqtt' | 'ws' = 'mqtt', setup?: (c: MqttClient) => void): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(`${protocol}://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 10_000, ...opts });
    // Listeners set here see messages a resumed session delivers right behind the CONNACK.
    setup?.(client);
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

export function waitFor(emitter: MqttClient, event: 'close' | 'offline' | 'connect'): Promise<void> {
  return new Promise((resolve) => emitter.once(event, () => resolve()));
}

/** Subscribes and returns the granted QoS per filter (128 = refused, MQTT 3.1.1 §3.9.3). */
export function subscribe(client: MqttClient, filter: string, qos: 0 | 1 = 1): Promise<number[]> {
  // mqtt.js turns a 0x80 in SUBACK into an error carrying the SUBACK packet.
  return new Promise((resolve, reject) =>
    client.subscribe(filter, { qos }, (err, granted) => {
      const packet = (err as { packet?: { granted?: unknown } } | null)?.packet;
      if (Array.isArray(packet?.granted)) resolve(packet.granted as number[]);
      else if (err) reject(err);
      else resolve((granted ?? []).map((g) => g.qos));
    }),
  );
}

/**
 * Proves a message did NOT arrive without a timer: the subscriber also subscribes to a marker topic
 * the publisher is allowed to use; MQTT keeps per-publisher order for one client, and the server sees
 * everything in order, so once the marker arrives, the earlier forbidden message would have too.
 */
export function collect(client: MqttClient): { messages: { topic: string; payload: Buffer }[]; next: (topic: string) => Promise<void> } {
  const messages: { topic: string; payload: Buffer }[] = [];
  const waiters: { topic: string; resolve: () => void }[] = [];
  client.on('message', (topic, payload) => {
    messages.push({ topic, payload });
    for (const w of waiters.filter((w) => w.topic === topic)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  return { messages, next: (topic) => new Promise((resolve) => waiters.push({ topic, resolve })) };
}
