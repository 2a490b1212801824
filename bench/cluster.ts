/**
 * cluster (issue 9): the same load through 1 broker + 1 server (single-node mode, no Redis) and through
 * 2 brokers + 2 servers (cluster mode on one Redis), in the same run on the same machine; then the time
 * to recover after kill -9 of one server and of one broker. On 2 cores this measures the COST of
 * clustering (Redis hops, leases, adapter), not a speed-up: every process shares the same two cores.
 *
 * Load: mqtt.js publishers in worker processes (bench/lib/load.ts), QoS 1, a window per device, timed
 * from the first publish to the last SERVER ack (= durably in InfluxDB). Latency: publish → socket.io
 * arrival on a command-centre console connected to server 1 (in cluster mode it also sees what server 2
 * ingested, through the Redis adapter). Stored = sent, none doubled, checked in the shared PostgreSQL
 * database of record (issue 15: every server of the rig, 1+1 and 2+2, stores there) and InfluxDB holding
 * one point per stored scan.
 */
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { addUser } from '@sk/server';
import { CHECKPOINT_IDS, unpackArrivals, type ArrivalBatch } from '@sk/protocol';
import { validScanInput } from '../edge-agent/src/testing.ts';
import { ClusterRig, dupes, type Child } from '../tests/cluster-helpers.ts';
import type { BenchResult } from './run.ts';
import { opt, percentile, round } from './stats.ts';
import { devicePlan, startPublishers } from './lib/load.ts';
import { cpuMeter, progress } from './lib/proc.ts';

export const help = `Usage: npm run bench -- cluster [options]

Options (defaults):
  --scans 20000      scans per phase (1+1, then 2+2)
  --devices 16       simulated devices, spread over the 4 checkpoints (and, for 2+2, over both brokers)
  --window 50        in-flight QoS 1 publishes per device
  --timeout 120      hard deadline in seconds for each phase
  --no-kill          skip the recovery-after-kill measurements`;

type Metrics = BenchResult['metrics'];

async function loadPhase(name: string, rig: ClusterRig, brokers: Child[], servers: Child[], scans: number, devices: number, window: number, timeoutMs: number, tag: string): Promise<Metrics> {
  const plan = devicePlan(CHECKPOINT_IDS, devices, scans).map((d) => ({ ...d, deviceId: `${d.deviceId}${tag}` }));
  await rig.enrol(plan.map((d) => [d.checkpointId, d.deviceId]));
  await new Promise((r) => setTimeout(r, 500)); // the brokers reload the credentials file
  const clients = plan.map((d) => ({ ...d, username: d.deviceId, password: rig.secretOf(d.deviceId)! }));
  // Devices alternate between the brokers (as a load balancer would spread them).
  const groups = brokers.map((b, i) => ({ url: b.url, clients: clients.filter((_, j) => j % brokers.length === i) }));
  const pubs = await Promise.all(groups.map((g, i) => startPublishers({ url: g.url, window, ratePerClient: 0, serverAcks: true, seed: 9 + i, clients: g.clients, workers: 1 })));

  const password = 'bench-komando-rahasia';
  await addUser(rig.records(servers[0]!.name), { username: `komando${tag}`, role: 'command', password });
  const res = await fetch(`${servers[0]!.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: `komando${tag}`, password }) });
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  const sock = io(servers[0]!.url, { transports: ['websocket'], extraHeaders: { cookie }, reconnection: false, forceNew: true });
  const lat: number[] = [];
  const seen = new Set<string>();
  sock.on('arrivals', (b: ArrivalBatch) => {
    const now = Date.now();
    for (const e of unpackArrivals(b)) {
      seen.add(e.scanId);
      lat.push(now - Date.parse(e.scannedAt));
    }
  });
  const before = new Set(await rig.storedScanIds());
  const cpu = cpuMeter(Object.fromEntries([...brokers, ...servers].map((c) => [c.name, c.proc.pid])));
  progress(`${name}: ${scans} scans from ${devices} devices over ${brokers.length} broker(s), ${servers.length} server(s)`);
  try {
    const rs = await Promise.all(pubs.map((p) => p.go(timeoutMs)));
    const cpuPct = cpu();
    const first = Math.min(...rs.map((r) => r.firstPub));
    const last = Math.max(...rs.map((r) => r.lastServerAck));
    const acked = rs.reduce((a, r) => a + r.serverAcked, 0);
    const sent = rs.reduce((a, r) => a + r.published, 0);
    const liveUntil = Date.now() + 15_000;
    while (seen.size < sent && Date.now() < liveUntil) await new Promise((r) => setTimeout(r, 100));
    const stored = (await rig.storedScanIds()).filter((id) => !before.has(id));
    const seconds = (last - first) / 1000;
    return {
      scansPerSec: Math.round(acked / seconds),
      seconds: round(seconds, 2),
      sent,
      serverAcked: acked,
      complete: rs.every((r) => r.complete),
      storedUnique: new Set(stored).size,
      doubled: dupes(stored).length,
      liveUnique: seen.size,
      publishToSocketP50Ms: round(percentile(lat, 50)),
      publishToSocketP99Ms: round(percentile(lat, 99)),
      cpuTotalPct: Object.values(cpuPct).reduce((a: number, b) => a + (b ?? 0), 0),
    };
  } finally {
    sock.close();
    await Promise.all(pubs.map((p) => p.stop()));
  }
}

/** ms from kill -9 of `victim` until a scan submitted right after the kill is acknowledged by a server. */
async function recovery(rig: ClusterRig, victim: Child, probeCheckpoint: string, brokerUrls: string[], tag: string): Promise<number> {
  const probe = await rig.agent(probeCheckpoint, `${probeCheckpoint}-probe${tag}`, brokerUrls);
  const deadline = Date.now() + 60_000;
  while (!probe.stats().connected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const killedAt = Date.now();
  await victim.crash();
  const acked = new Promise<number>((resolve) => probe.once('acked', () => resolve(Date.now())));
  const r = await probe.submit(validScanInput(424242));
  if (!r.ok) throw new Error(`probe scan refused: ${r.message}`);
  const at = await Promise.race([acked, new Promise<number>((res) => setTimeout(() => res(NaN), 60_000))]);
  return at - killedAt;
}

export async function run(args: string[]): Promise<BenchResult> {
  const scans = opt(args, 'scans', 20_000);
  const devices = opt(args, 'devices', 16);
  const window = opt(args, 'window', 50);
  const timeoutMs = opt(args, 'timeout', 120) * 1000;
  if (scans < devices || devices < 2 || scans > 1_000_000) throw new Error('--scans must be >= --devices (>= 2) and <= 1,000,000');

  // 1+1, single-node mode: the baseline.
  const single = new ClusterRig();
  let one: Metrics;
  try {
    await single.start();
    const b = await single.broker('broker-1', { redis: false });
    const s = await single.server('server-1', [b.url]);
    one = await loadPhase('1+1', single, [b], [s], scans, devices, window, timeoutMs, 's');
  } finally {
    await single.stop();
  }

  const rig = new ClusterRig();
  let two: Metrics;
  const rec: Record<string, number> = {};
  try {
    await rig.start();
    // Probes enrolled before the brokers start: a device racing a credentials reload is refused, and the
    // per-IP login throttle then slows every client on 127.0.0.1.
    await rig.enrol([[CHECKPOINT_IDS[1]!, `${CHECKPOINT_IDS[1]}-probek2`], ...CHECKPOINT_IDS.map((cp) => [cp, `${cp}-probek1`] as [string, string])]);
    const brokers = [await rig.broker('broker-a'), await rig.broker('broker-b')];
    const urls = brokers.map((b) => b.url);
    const servers = [await rig.server('server-1', urls, { redis: true }), await rig.server('server-2', [...urls].reverse(), { redis: true })];
    two = await loadPhase('2+2', rig, brokers, servers, scans, devices, window, timeoutMs, 'c');
    if (!args.includes('--no-kill')) {
      // A checkpoint whose lease server 2 holds: its probe waits for the lease to move to server 1.
      const { Redis } = await import('ioredis');
      const redis = new Redis(rig.redis.url);
      const held = await Promise.all(CHECKPOINT_IDS.map(async (cp) => [cp, await redis.get(`sk:lease:${cp}`)] as const));
      redis.disconnect();
      const cp = held.find(([, h]) => h === 'sk-server-server-2')?.[0] ?? CHECKPOINT_IDS[0]!;
      progress('kill -9 server 2; probe scan on one of its checkpoints');
      rec.recoverAfterServerKillMs = await recovery(rig, servers[1]!, cp, urls, 'k1');
      progress('kill -9 broker A; probe device listed A first');
      rec.recoverAfterBrokerKillMs = await recovery(rig, brokers[0]!, CHECKPOINT_IDS[1]!, urls, 'k2');
    }
  } finally {
    await rig.stop();
  }

  return {
    bench: 'cluster',
    metrics: { ...Object.fromEntries(Object.entries(two).map(([k, v]) => [k, v])), ...rec, scans, devices, window },
    limit: { name: '1 broker + 1 server, single-node mode (no Redis), same load, same run', metrics: one },
    ratio: { scansPerSec: round((two.scansPerSec as number) / (one.scansPerSec as number), 3) },
    notes: [
      'both set-ups share the same 2 cores with Redis, influxd and the publishers: the ratio is the cost of clustering here, not a scale-out figure',
      'recovery = kill -9 → a scan submitted right after it is acknowledged by a server; includes the lease TTL (3 s) or the MQTT reconnect (0.3 s period) and the agent retransmit timeout (2 s)',
    ],
  };
}
