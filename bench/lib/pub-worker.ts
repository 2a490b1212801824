/**
 * Publisher worker process: hosts several simulated checkpoint devices, each a plain mqtt.js client
 * publishing VALID scans (QoS 1) with a window of in-flight messages, or at a fixed rate (open loop).
 * Scan inputs are generated before `go` (seeded TravellerGenerator); at publish time only the
 * scannedAt (= publish time, for publish→socket latency), the seq and a pre-made ULID are filled in.
 * With `serverAcks`, each device subscribes to its own `…/acks` and counts the seqs the SERVER
 * reports as durably stored: the time the last one arrives is "stored".
 *
 * IPC (driven by load.ts): init → ready, go → done, exit.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { monotonicFactory } from 'ulid';
import { deviceTopic, ScanAckSchema } from '@sk/protocol';
import { groupForMessages } from '@sk/protocol/scan-batch';
import { loadWorld, TravellerGenerator } from '@sk/simulators';

export interface PubClientPlan { checkpointId: string; deviceId: string; username?: string; password?: string; count: number }
export interface PubInit {
  url: string;
  window: number;
  /** Scans per second per client; 0 = as fast as the window allows. */
  ratePerClient: number;
  serverAcks: boolean;
  seed: number;
  /** Scans per MQTT message (a JSON array from 2 on, as an edge agent drains a backlog); default 1. */
  batch?: number;
  clients: PubClientPlan[];
}
export interface PubDone {
  firstPub: number; lastPuback: number; lastServerAck: number;
  published: number; pubacked: number; serverAcked: number; errors: number; cpuSec: number;
  /** False when the phase's deadline passed first: the figures are what was done by then. */
  complete: boolean;
}

interface Dev {
  plan: PubClientPlan;
  client: MqttClient;
  topic: string;
  head: string;
  bodies: string[];
  ids: string[];
  acked: Uint8Array;
  serverAcked: number;
  pubacked: number;
}

const send = (m: unknown) => process.send?.(m);
let devs: Dev[] = [];
let cfg: PubInit;
let lastServerAck = 0;
let onServerAck: () => void = () => {};
let reportNow: () => void = () => {};

async function init(c: PubInit): Promise<void> {
  cfg = c;
  const world = loadWorld();
  const gen = new TravellerGenerator(world, { seed: c.seed });
  const nextId = monotonicFactory();
  for (const plan of c.clients) {
    // A pool of distinct travellers per device, reused round-robin (each scan still gets its own scanId).
    const bodies = Array.from({ length: Math.min(plan.count, 2000) }, () => JSON.stringify(gen.next(plan.checkpointId).input).slice(1));
    const ids = Array.from({ length: plan.count }, () => nextId());
    const client = mqtt.connect(c.url, {
      clientId: plan.deviceId, username: plan.username, password: plan.password,
      clean: true, protocolVersion: 4, reconnectPeriod: 0, keepalive: 60, connectTimeout: 10_000,
    });
    await new Promise<void>((res, rej) => { client.once('connect', () => res()); client.once('error', rej); });
    client.on('error', (e) => send({ type: 'log', msg: `${plan.deviceId}: ${e.message}` }));
    const dev: Dev = {
      plan, client, topic: deviceTopic(plan.checkpointId, plan.deviceId, 'scans'),
      head: `","checkpointId":"${plan.checkpointId}","deviceId":"${plan.deviceId}","seq":`,
      bodies, ids, acked: new Uint8Array(plan.count + 1), serverAcked: 0, pubacked: 0,
    };
    if (c.serverAcks) {
      client.on('message', (_t, payload) => {
        const ack = ScanAckSchema.safeParse(JSON.parse(payload.toString()));
        if (!ack.success) return;
        for (const [from, to] of ack.data.ranges) {
          for (let s = Math.max(1, from); s <= Math.min(to, plan.count); s++) if (!dev.acked[s]) { dev.acked[s] = 1; dev.serverAcked++; }
        }
        lastServerAck = performance.timeOrigin + performance.now();
        onServerAck();
      });
      await client.subscribeAsync(deviceTopic(plan.checkpointId, plan.deviceId, 'acks'), { qos: 1 });
    }
    devs.push(dev);
  }
  send({ type: 'ready', pid: process.pid });
}

const now = () => performance.timeOrigin + performance.now();

function go(): void {
  const t0 = now();
  const cpu0 = process.cpuUsage();
  let firstPub = 0, lastPuback = 0, errors = 0, published = 0;
  const timers: NodeJS.Timeout[] = [];
  const allDone = () => devs.every((d) => d.pubacked === d.plan.count && (!cfg.serverAcks || d.serverAcked === d.plan.count));
  let finished = false;
  const finish = (force = false) => {
    if (finished || (!force && !allDone())) return;
    finished = true;
    for (const t of timers) clearInterval(t);
    const cpu = process.cpuUsage(cpu0);
    send({
      type: force ? 'report' : 'done', complete: !force, firstPub, lastPuback, lastServerAck, published, errors,
      pubacked: devs.reduce((n, d) => n + d.pubacked, 0), serverAcked: devs.reduce((n, d) => n + d.serverAcked, 0),
      cpuSec: (cpu.user + cpu.system) / 1e6,
    } satisfies PubDone & { type: string });
  };
  onServerAck = finish;
  reportNow = () => finish(true);
  timers.push(setInterval(() => send({ type: 'log', msg: `published ${published}, PUBACKed ${devs.reduce((n, d) => n + d.pubacked, 0)}, server-acked ${devs.reduce((n, d) => n + d.serverAcked, 0)}` }), 3000));
  const batch = Math.max(1, cfg.batch ?? 1);
  for (const d of devs) {
    let next = 0, inflight = 0;
    const count = d.plan.count;
    const allowed = cfg.ratePerClient > 0 ? () => Math.floor((cfg.ratePerClient * (now() - t0)) / 1000) + 1 : () => Infinity;
    const onPuback = (n: number, err?: Error) => {
      inflight -= n;
      if (err) errors++;
      d.pubacked += n;
      lastPuback = now();
      if (d.pubacked === count) finish();
      else pump();
    };
    const pump = () => {
      const lim = Math.min(count, allowed());
      while (inflight < cfg.window && next < lim) {
        const t = now();
        if (!firstPub) firstPub = t;
        const take = Math.min(batch, cfg.window - inflight, lim - next);
        const scans: string[] = [];
        for (let k = 0; k < take; k++, next++) {
          scans.push(`{"v":1,"scanId":"${d.ids[next]}${d.head}${next + 1},"scannedAt":"${new Date(t).toISOString()}",${d.bodies[next % d.bodies.length]}`);
        }
        for (const group of groupForMessages(scans, (x) => x.length)) {
          const n = group.length;
          inflight += n;
          published += n;
          d.client.publish(d.topic, n === 1 ? group[0]! : `[${group.join(',')}]`, { qos: 1 }, (err) => onPuback(n, err));
        }
      }
    };
    if (cfg.ratePerClient > 0) timers.push(setInterval(pump, 2));
    pump();
  }
}

process.on('message', (m: { type: string; cfg?: PubInit }) => {
  const fail = (e: unknown) => { send({ type: 'fatal', msg: String((e as Error)?.stack ?? e) }); process.exit(1); };
  try {
    if (m.type === 'init') init(m.cfg!).catch(fail);
    else if (m.type === 'go') go();
    else if (m.type === 'report') reportNow();
    else if (m.type === 'exit') {
      Promise.all(devs.map((d) => new Promise<void>((r) => { d.client.end(false, {}, () => r()); setTimeout(r, 1000); }))).then(() => process.exit(0));
    }
  } catch (e) { fail(e); }
});
process.on('disconnect', () => process.exit(0));
