/**
 * Issue 9, a broker dies under the servers: 2 clustered brokers + 2 server instances (leases split two
 * and two) + redis-server + influxd, devices spread over both brokers. kill -9 of broker A mid-load
 * takes away the broker that server 1 AND half of the devices are connected to: the devices fail over
 * to B and retransmit what was not acked, server 1 fails over to B with its persistent session and keeps
 * reading its own checkpoints, and every acknowledged scan is stored exactly once.
 *
 * Regression: aedes-persistence-redis 11 never SUBACKed a multi-filter SUBSCRIBE of a persistent
 * session; the server's pending subscribe then failed on the kill and took the server process down
 * (broker/src/cluster-subscriptions.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_IDS } from '@sk/protocol';
import { validScanInput } from '../edge-agent/src/testing.ts';
import { allAcked, ClusterRig, dupes, type Child } from './cluster-helpers.ts';
import { until } from './server-fixtures.ts';

const rig = new ClusterRig();
let a: Child;
let b: Child;
let s1: Child;
let s2: Child;
const devices = CHECKPOINT_IDS.map((cp) => [cp, `${cp}-01`] as [string, string]);

interface Health {
  components: { mqtt: { state: string }; ingest: { received: number } };
}
async function health(s: Child): Promise<Health> {
  const res = await fetch(`${s.url}/api/health`).catch(() => null);
  if (!res) throw new Error(`${s.name} does not answer (exit ${s.proc.exitCode ?? s.proc.signalCode}):\n${s.output().slice(-2000)}`);
  return ((await res.json()) as { data: Health }).data;
}

beforeAll(async () => {
  await rig.start();
  await rig.enrol(devices);
  [a, b] = await Promise.all([rig.broker('broker-a'), rig.broker('broker-b')]);
  s1 = await rig.server('server-1', [a.url, b.url], { redis: true }); // reads from A
  s2 = await rig.server('server-2', [b.url, a.url], { redis: true }); // reads from B
  await rig.leasesSplit('server-1', 'server-2');
}, 240_000);

afterAll(async () => {
  await rig.stop();
}, 60_000);

describe('two brokers, two servers', () => {
  it('kill -9 one broker during a load run: devices fail over, every acknowledged scan stored once', async () => {
    // Half of the devices list A first, half B first (as a load balancer would spread them).
    const agents = await Promise.all(devices.map(([cp, dev], i) => rig.agent(cp, dev, i % 2 === 0 ? [a.url, b.url] : [b.url, a.url])));
    await until('agents connected', () => agents.every((x) => x.stats().connected), 30_000);
    const before = new Set(await rig.storedScanIds());
    const accepted: string[] = [];
    let receivedAtKill = 0;
    for (let i = 0; i < 400; i++) {
      if (i === 150) {
        await a.crash(); // mid-run: scans in flight on A, server 1's session on A
        receivedAtKill = (await health(s1)).components.ingest.received;
      }
      const r = await agents[i % agents.length]!.submit(validScanInput(3000 + i));
      expect(r.ok).toBe(true);
      if (r.ok) accepted.push(r.scanId);
    }
    await allAcked(agents, 120_000, rig);

    const stored = (await rig.storedScanIds()).filter((id) => !before.has(id));
    expect(dupes(stored)).toEqual([]);
    expect(new Set(stored)).toEqual(new Set(accepted));
    // Both servers survived the broker kill, and server 1 kept reading its checkpoints through B.
    expect([s1.proc.exitCode, s2.proc.exitCode]).toEqual([null, null]);
    const [h1, h2] = await Promise.all([health(s1), health(s2)]);
    expect([h1.components.mqtt.state, h2.components.mqtt.state]).toEqual(['up', 'up']);
    expect(h1.components.ingest.received).toBeGreaterThan(receivedAtKill);
  }, 240_000);
});
