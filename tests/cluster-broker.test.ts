/**
 * Issue 9, brokers: two aedes brokers (child processes) sharing one Redis through mqemitter-redis and
 * aedes-persistence-redis behave as one broker. Real redis-server, influxd, server and edge agents.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validScanInput } from '../edge-agent/src/testing.ts';
import { allAcked, ClusterRig, dupes, type Child } from './cluster-helpers.ts';
import { until } from './server-fixtures.ts';

const rig = new ClusterRig();
let a: Child;
let b: Child;

beforeAll(async () => {
  await rig.start();
  await rig.enrol([['ketapang', 'ketapang-01'], ['kalibaru', 'kalibaru-01'], ['wongsorejo', 'wongsorejo-01'], ['blimbingsari', 'blimbingsari-01']]);
  [a, b] = await Promise.all([rig.broker('broker-a'), rig.broker('broker-b')]);
}, 60_000);

afterAll(async () => {
  await rig.stop();
}, 60_000);

describe('two brokers on one Redis', () => {
  it('a device on broker A and the server on broker B: N scans in, N stored once', async () => {
    await rig.server('server-1', [b.url]);
    const agent = await rig.agent('ketapang', 'ketapang-01', [a.url]);
    const accepted: string[] = [];
    for (let i = 0; i < 150; i++) {
      const r = await agent.submit(validScanInput(i));
      expect(r.ok).toBe(true);
      if (r.ok) accepted.push(r.scanId);
    }
    await allAcked([agent], 90_000, rig);
    const stored = await rig.storedScanIds();
    expect(dupes(stored)).toEqual([]);
    expect(new Set(stored)).toEqual(new Set(accepted));
  }, 120_000);

  it('kill -9 broker A during a load run: devices fail over to B, every acknowledged scan stored once', async () => {
    const urls = [a.url, b.url];
    const agents = await Promise.all([
      rig.agent('kalibaru', 'kalibaru-01', urls),
      rig.agent('wongsorejo', 'wongsorejo-01', urls),
      rig.agent('blimbingsari', 'blimbingsari-01', urls),
    ]);
    await until('agents connected', () => agents.every((x) => x.stats().connected), 30_000);
    const before = new Set(await rig.storedScanIds());
    const accepted: string[] = [];
    let acked = 0;
    for (const x of agents) x.on('acked', ({ count }) => (acked += count));
    for (let i = 0; i < 300; i++) {
      if (i === 120) await a.crash(); // mid-run, with scans in flight on A
      const r = await agents[i % 3]!.submit(validScanInput(1000 + i));
      expect(r.ok).toBe(true);
      if (r.ok) accepted.push(r.scanId);
    }
    await allAcked(agents, 90_000, rig);
    expect(acked).toBeGreaterThanOrEqual(300);
    const stored = (await rig.storedScanIds()).filter((id) => !before.has(id));
    expect(dupes(stored)).toEqual([]);
    expect(new Set(stored)).toEqual(new Set(accepted));
  }, 180_000);
});
