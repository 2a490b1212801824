/**
 * Counting subscriber process (the limit runs): one plain mqtt.js client with a QoS 1 subscription
 * to every device's scans. It reads the scanId straight from the payload's fixed prefix (no JSON
 * parse on the hot path) to tell duplicates from new scans, in single-scan and batched messages. IPC: init → ready, then done when
 * `expected` unique scans arrived; report on demand; exit.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { SERVER_SUBSCRIPTIONS } from '@sk/protocol';

export interface SubInit { url: string; username?: string; password?: string; expected: number }

const HEAD = Buffer.from('{"v":1,"scanId":"');
const PREFIX = HEAD.length;
const send = (m: unknown) => process.send?.(m);
const now = () => performance.timeOrigin + performance.now();
let client: MqttClient | undefined;
const seen = new Set<string>();
let total = 0, first = 0, last = 0, expected = 0, reported = false;

const report = (type: string) => send({ type, total, unique: seen.size, first, last });

process.on('message', async (m: { type: string; cfg?: SubInit }) => {
  try {
    if (m.type === 'init') {
      const c = m.cfg!;
      expected = c.expected;
      client = mqtt.connect(c.url, { clientId: `bench-sub-${process.pid}`, username: c.username, password: c.password, clean: true, protocolVersion: 4, reconnectPeriod: 0 });
      client.on('error', (e) => send({ type: 'log', msg: `sub: ${e.message}` }));
      client.on('message', (_topic, payload) => {
        const t = now();
        if (!first) first = t;
        last = t;
        if (payload[0] === 0x5b) {
          // A batch: `[{"v":1,"scanId":"…",…},{"v":1,"scanId":"…",…}]`
          for (let at = payload.indexOf(HEAD); at >= 0; at = payload.indexOf(HEAD, at + HEAD.length)) {
            total++;
            seen.add(payload.toString('latin1', at + PREFIX, at + PREFIX + 26));
          }
        } else {
          total++;
          seen.add(payload.toString('latin1', PREFIX, PREFIX + 26));
        }
        if (!reported && seen.size >= expected) { reported = true; report('done'); }
      });
      await new Promise<void>((res, rej) => { client!.once('connect', () => res()); client!.once('error', rej); });
      await client.subscribeAsync(SERVER_SUBSCRIPTIONS.scans, { qos: 1 });
      send({ type: 'ready', pid: process.pid });
    } else if (m.type === 'report') report('report');
    else if (m.type === 'exit') {
      client?.end(false, {}, () => process.exit(0));
      setTimeout(() => process.exit(0), 1000);
    }
  } catch (e) {
    send({ type: 'fatal', msg: String((e as Error)?.stack ?? e) });
    process.exit(1);
  }
});
process.on('disconnect', () => process.exit(0));
