/**
 * Two servers, one PostgreSQL database of record (issue 15): what a village officer or the command
 * centre does through one server is what the other shows — at once, and after a restart — and the
 * database, not either server, keeps the quarantine beds from being overfilled when placements arrive
 * on both servers at the same moment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_IDS } from '@sk/protocol';
import { validScanInput } from '../edge-agent/src/testing.ts';
import { allAcked, ClusterRig, type Child } from './cluster-helpers.ts';
import { signIn, until } from './server-fixtures.ts';
import type { RunningServer } from '@sk/server';

const rig = new ClusterRig();
const devices = CHECKPOINT_IDS.map((cp) => [cp, `${cp}-01`] as [string, string]);
let s1: Child;
let s2: Child;
let command: string;
let village: string;
const VILLAGE = validScanInput(0).destinationVillageCode;
const scanIds: string[] = [];

const at = (s: Child) => ({ url: s.url }) as RunningServer;
async function call<T>(s: Child, cookie: string, path: string, body?: unknown): Promise<{ status: number; data: T; error?: string }> {
  const res = await fetch(`${s.url}${path}`, { method: body === undefined ? 'GET' : 'POST', headers: { cookie, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = (await res.json()) as { data: T; error?: { message: string } };
  return { status: res.status, data: json.data, error: json.error?.message };
}
type Expected = { scanId: string; status: string; arrivedBy?: string };
type Occupancy = { id: string; capacity: number; occupied: number };
type Assignment = { id: number | string; scanId: string; facilityId: string };

beforeAll(async () => {
  await rig.start();
  await rig.enrol(devices);
  const broker = await rig.broker('broker-a', { redis: false });
  s1 = await rig.server('server-1', [broker.url], { redis: true });
  s2 = await rig.server('server-2', [broker.url], { redis: true });
  command = await signIn(at(s1), rig.records('server-1'), 'pusat', 'command');
  village = await signIn(at(s1), rig.records('server-1'), 'desa-tujuan', 'village', { villageCode: VILLAGE });
  // Twelve travellers to one village, through whichever server holds each checkpoint's lease.
  const agents = await Promise.all(devices.map(([cp, dev]) => rig.agent(cp, dev, [broker.url])));
  for (let i = 0; i < 12; i++) {
    const r = await agents[i % agents.length]!.submit({ ...validScanInput(i), destinationVillageCode: VILLAGE });
    if (!r.ok) throw new Error(`scan ${i} refused: ${r.reason}`);
    scanIds.push(r.scanId);
  }
  await allAcked(agents, 90_000, rig);
}, 240_000);

afterAll(() => rig.stop());

describe('one database of record behind two servers', () => {
  it('an "arrived" mark made through server 1 is on server 2 at once, and after server 2 restarts', async () => {
    const marked = await call<Expected>(s1, village, `/api/expected-arrivals/${scanIds[0]}/arrived`, {});
    expect(marked.status).toBe(200);
    // The village officer's session is in the database too: the same cookie works on server 2.
    const seen = await call<Expected[]>(s2, village, '/api/expected-arrivals?limit=100');
    expect(seen.status).toBe(200);
    expect(seen.data.find((e) => e.scanId === scanIds[0])).toMatchObject({ status: 'arrived', arrivedBy: 'desa-tujuan' });
    await s2.stop();
    s2 = await rig.server('server-2', [rig.children[0]!.url], { redis: true });
    const after = await call<Expected[]>(s2, village, '/api/expected-arrivals?limit=100');
    expect(after.data.find((e) => e.scanId === scanIds[0])).toMatchObject({ status: 'arrived' });
  });

  it('placements on both servers at the same moment never overfill a facility: the database decides', async () => {
    // Every facility down to one bed (the command centre's upsert), then ten placements at once,
    // alternating between the servers: as many succeed as there are beds, the rest are told "full".
    const facilities = (await call<Occupancy[]>(s1, command, '/api/quarantine/facilities')).data;
    expect(facilities.length).toBeGreaterThan(1);
    for (const f of facilities) {
      const full = await call<unknown>(s1, command, '/api/quarantine/facilities', { id: f.id, name: `Ruang ${f.id}`, districtCode: '35.10.16', capacity: 1 });
      expect(full.status).toBe(201);
    }
    const ten = scanIds.slice(1, 11);
    const results = await Promise.all(ten.map((scanId, i) => call<Assignment>(i % 2 ? s2 : s1, command, '/api/quarantine/assignments', { scanId, reason: 'home_unfit' })));
    const placed = results.filter((r) => r.status === 201);
    expect(placed).toHaveLength(Math.min(facilities.length, ten.length));
    expect(results.filter((r) => r.status !== 201).every((r) => r.status === 409)).toBe(true);
    const occupancy = (await call<Occupancy[]>(s2, command, '/api/quarantine/facilities')).data;
    for (const f of occupancy) expect(f.occupied, f.id).toBeLessThanOrEqual(f.capacity);
    expect(new Set(placed.map((p) => p.data.facilityId)).size).toBe(placed.length);
    // Both servers list the same placements, and so does a restarted one.
    const list = async (s: Child) => (await call<Assignment[]>(s, command, '/api/quarantine/assignments')).data.map((a) => a.scanId).sort();
    await until('both servers list every placement', async () => (await list(s1)).length === placed.length && (await list(s2)).length === placed.length, 10_000);
    expect(await list(s1)).toEqual(await list(s2));
    await s1.stop();
    s1 = await rig.server('server-1', [rig.children[0]!.url], { redis: true });
    expect(await list(s1)).toEqual(placed.map((p) => p.data.scanId).sort());
  });
});
