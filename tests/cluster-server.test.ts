/**
 * Issue 9, servers: two server instances (child processes) in cluster mode against two clustered
 * brokers, one Redis and one influxd. Ingest is partitioned by checkpoint leases in Redis; the live
 * channel crosses instances through @socket.io/redis-adapter; sessions are shared.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_IDS, unpackArrivals, type ArrivalEvent } from '@sk/protocol';
import type { RunningServer } from '@sk/server';
import { validScanInput } from '../edge-agent/src/testing.ts';
import { allAcked, ClusterRig, dupes, type Child } from './cluster-helpers.ts';
import { liveSocket, signIn, until } from './server-fixtures.ts';

const rig = new ClusterRig();
let brokers: Child[];
let s1: Child;
let s2: Child;
let redis: Redis;
const devices = CHECKPOINT_IDS.map((cp) => [cp, `${cp}-01`] as [string, string]);

/** Which server instance (its MQTT client id) holds each checkpoint's lease. */
async function leaseHolders(): Promise<Record<string, string | null>> {
  return Object.fromEntries(await Promise.all(CHECKPOINT_IDS.map(async (cp) => [cp, await redis.get(`sk:lease:${cp}`)] as const)));
}

beforeAll(async () => {
  await rig.start();
  await rig.enrol(devices);
  redis = new Redis(rig.redis.url);
  brokers = await Promise.all([rig.broker('broker-a'), rig.broker('broker-b')]);
  const urls = brokers.map((b) => b.url);
  s1 = await rig.server('server-1', urls, { redis: true });
  s2 = await rig.server('server-2', [...urls].reverse(), { redis: true });
  await until('the four checkpoints split two and two', async () => {
    const h = Object.values(await leaseHolders());
    return h.filter((x) => x === 'sk-server-server-1').length === 2 && h.filter((x) => x === 'sk-server-server-2').length === 2;
  }, 30_000);
}, 240_000);

afterAll(async () => {
  redis?.disconnect();
  await rig.stop();
}, 60_000);

describe('two servers on one Redis', () => {
  it('a console on server 2 receives a scan ingested on server 1, and catch-up on server 2 has it', async () => {
    const holders = await leaseHolders();
    const cp = CHECKPOINT_IDS.find((c) => holders[c] === 'sk-server-server-1')!;
    // Signed in through server 1; the session is a row of the shared database, so server 2 accepts the cookie.
    const cookie = await signIn({ url: s1.url } as RunningServer, rig.records('server-1'), 'pusat', 'command');
    // And the user added through server 1's database signs in on server 2.
    const login = await fetch(`${s2.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'pusat', password: 'rahasia-sekali-123' }) });
    expect(login.status).toBe(200);
    const socket = liveSocket({ url: s2.url } as RunningServer, cookie);
    const got: ArrivalEvent[] = [];
    socket.on('arrivals', (b) => got.push(...unpackArrivals(b)));
    await until('socket on server 2 connected', () => socket.connected);
    const agent = await rig.agent(cp, `${cp}-01`, brokers.map((b) => b.url));
    const r = await agent.submit(validScanInput(1));
    expect(r.ok).toBe(true);
    await until('arrival on server 2', () => got.some((e) => r.ok && e.scanId === r.scanId));
    expect(got.filter((e) => r.ok && e.scanId === r.scanId)).toHaveLength(1);
    const caught = await socket.timeout(5000).emitWithAck('catchup', 0);
    expect(caught.events.map((e: ArrivalEvent) => e.scanId)).toContain(r.ok ? r.scanId : '');
    socket.close();
    await allAcked([agent], 90_000, rig);
  }, 60_000);

  it('kill -9 one server during a load run: its checkpoints move to the other, nothing lost or doubled', async () => {
    const urls = brokers.map((b) => b.url);
    const agents = await Promise.all(devices.map(([cp, dev]) => rig.agent(cp, dev, urls)));
    await until('agents connected', () => agents.every((a) => a.stats().connected), 30_000);
    const before = new Set(await rig.storedScanIds());
    const accepted: string[] = [];
    for (let i = 0; i < 400; i++) {
      if (i === 150) await s1.crash();
      const r = await agents[i % agents.length]!.submit(validScanInput(2000 + i));
      expect(r.ok).toBe(true);
      if (r.ok) accepted.push(r.scanId);
    }
    await until('server 2 holds every lease', async () => Object.values(await leaseHolders()).every((h) => h === 'sk-server-server-2'), 30_000);
    await allAcked(agents, 120_000, rig);
    const stored = (await rig.storedScanIds()).filter((id) => !before.has(id));
    expect(dupes(stored)).toEqual([]);
    expect(new Set(stored)).toEqual(new Set(accepted));
  }, 240_000);
});
