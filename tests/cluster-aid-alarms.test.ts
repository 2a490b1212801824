/**
 * Issues 9 and 15: double-aid alarms across server instances sharing one PostgreSQL. An alarm raised on
 * server 1 is listed on server 2, acknowledged there and resolved on server 1; each state change reaches
 * both villages' consoles once whichever server they are on, and both read the same audit. A cancel on
 * the instance that did not raise the alarm takes the handout out of every later check. A server that
 * joins later lists the alarms raised before it (with their state): the database holds them.
 */
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AidAlarm, AidAuditEntry, AidCheckResult, AidRecordResult } from '@sk/protocol';
import { loadRegions } from '@sk/protocol/regions';
import type { RunningServer } from '@sk/server';
import { ClusterRig, twoAidServers, type Child } from './cluster-helpers.ts';
import { signIn, until, type LiveSocket } from './server-fixtures.ts';

const villages = loadRegions().villages;
const [A, B] = [villages[5]!.code, villages[140]!.code];
const rig = new ClusterRig();
let s1: Child;
let s2: Child;
let cookies: Record<string, string>;
let stop: () => Promise<void>;
/** Every aid:alarm-update each village's console received, in order. */
const updates: Record<'A' | 'B', AidAlarm[]> = { A: [], B: [] };
let serial = 1;
const nik = () => `3510214408${'85'}${String(serial++).padStart(4, '0')}`;
const handout = (village: string, n: string) => ({ handoutId: ulid(), programmeId: 'bst', nik: n, kk: `351021230415${String(serial++).padStart(4, '0')}`, name: `Warga ${serial}`, birthDate: '1985-08-04', villageCode: village, date: '2026-11-28' });

async function call<T>(server: Child, who: string, path: string, body?: unknown): Promise<{ status: number; data: T }> {
  const res = await fetch(`${server.url}${path}`, { method: body === undefined ? 'GET' : 'POST', headers: { cookie: cookies[who]!, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, data: ((await res.json()) as { data: T }).data };
}
const record = async (server: Child, who: 'A' | 'B', village: string, person: string) => {
  const r = await call<AidRecordResult>(server, who, '/api/aid/handouts', handout(village, person));
  expect(r.status).toBe(201);
  return r.data;
};
/** A double raised on `server`: the person's first handout goes in on the other one. */
const doubleOn = async (server: Child, other: Child) => {
  const person = nik();
  await record(other, 'B', B, person);
  const r = await record(server, 'A', A, person);
  expect(r.status).toBe('double');
  return { id: r.alarmId!, person };
};
const listed = async (server: Child, id: number) => (await call<AidAlarm[]>(server, 'pusat', '/api/aid/alarms?active=false')).data.find((a) => a.id === id);

beforeAll(async () => {
  let consoles: Record<'A' | 'B', LiveSocket>;
  // Each console on the server its officer does not act through.
  ({ s1, s2, cookies, consoles, stop } = await twoAidServers(rig, 'cluster-aid-alarms-secret-0123456789', A, B));
  for (const who of ['A', 'B'] as const) consoles[who].on('aid:alarm-update', (a) => updates[who].push(a));
  cookies.pusat = await signIn({ url: s1.url } as RunningServer, rig.records('server-1'), 'pusat', 'command');
}, 240_000);

afterAll(async () => {
  await stop?.();
}, 60_000);

describe('double-aid alarms on two servers', () => {
  let first: { id: number; person: string };
  let second: { id: number; person: string };

  it('raised on 1, listed on 2, acknowledged on 2, resolved on 1: every change once on both consoles, both audits', async () => {
    first = await doubleOn(s1, s2);
    await until('alarm listed on server 2', async () => (await listed(s2, first.id)) !== undefined);
    expect((await call<AidAlarm[]>(s2, 'B', '/api/aid/alarms')).data.map((a) => a.id)).toContain(first.id); // village B's scope too

    const ack = await call<AidAlarm>(s2, 'B', `/api/aid/alarms/${first.id}/ack`, {});
    expect(ack.status).toBe(200);
    expect(ack.data).toMatchObject({ id: first.id, acknowledgedBy: 'desa-b' });
    await until('ack seen on server 1', async () => (await listed(s1, first.id))?.acknowledgedBy === 'desa-b');
    // A second ack on the other instance keeps the first one.
    expect((await call<AidAlarm>(s1, 'A', `/api/aid/alarms/${first.id}/ack`, {})).data).toMatchObject({ acknowledgedBy: 'desa-b', acknowledgedAt: ack.data.acknowledgedAt });

    const res = await call<AidAlarm>(s1, 'A', `/api/aid/alarms/${first.id}/resolve`, { action: 'confirm', reason: 'dua desa, disetujui camat' });
    expect(res.status).toBe(200);
    await until('resolution seen on server 2', async () => (await listed(s2, first.id))?.resolution?.by === 'desa-a');
    // Resolved once cluster-wide: the other instance refuses a second resolution.
    expect((await call(s2, 'B', `/api/aid/alarms/${first.id}/resolve`, { action: 'cancel', reason: 'terlambat' })).status).toBe(400);
    expect(await listed(s2, first.id)).toEqual(await listed(s1, first.id));

    // A marker: once its update reached both consoles, a duplicate of the earlier ones would have too.
    second = await doubleOn(s1, s2);
    expect(second.id).not.toBe(first.id);
    // Acknowledged on 2 at once, as an officer would from the console: 2 fetches an alarm it has not heard of yet.
    expect((await call(s2, 'B', `/api/aid/alarms/${second.id}/ack`, {})).status).toBe(200);
    await until('marker on both consoles', () => [updates.A, updates.B].every((l) => l.some((a) => a.id === second.id)));
    for (const l of [updates.A, updates.B]) {
      const mine = l.filter((a) => a.id === first.id);
      expect(mine.map((a) => [a.acknowledgedBy, a.resolution?.action ?? null])).toEqual([['desa-b', null], ['desa-b', 'confirm']]);
    }

    // Each audit records who did what, on the instance that did it and on the other.
    for (const s of [s1, s2]) {
      await until(`audit of ${s.name}`, async () => {
        const audit = (await call<AidAuditEntry[]>(s, 'pusat', '/api/aid/audit?limit=500')).data.filter((e) => e.alarmId === first.id);
        return audit.some((e) => e.type === 'ack' && e.by === 'desa-b') && audit.some((e) => e.type === 'resolve' && e.by === 'desa-a');
      });
    }
  }, 180_000);

  it('a cancel on the instance that did not raise the alarm takes the handout out of the shared index', async () => {
    const before = await call<AidCheckResult>(s1, 'pusat', '/api/aid/check', { programmeId: 'bst', nik: second.person, villageCode: A, date: '2026-11-28' });
    expect(before.data.matches).toHaveLength(2);
    const r = await call<AidAlarm>(s2, 'B', `/api/aid/alarms/${second.id}/resolve`, { action: 'cancel', reason: 'penerima ganda, dibatalkan' });
    expect(r.status).toBe(200);
    expect(r.data.resolution).toMatchObject({ action: 'cancel', by: 'desa-b' });
    await until('cancel seen on server 1', async () => (await listed(s1, second.id))?.resolution?.action === 'cancel');
    const after = await call<AidCheckResult>(s1, 'pusat', '/api/aid/check', { programmeId: 'bst', nik: second.person, villageCode: A, date: '2026-11-28' });
    expect(after.data.matches.map((m) => m.villageCode)).toEqual([B]);
  }, 60_000);

  it('acknowledged and resolved on both servers at the same moment: one ack kept, one resolution, one update each', async () => {
    const both = await doubleOn(s2, s1);
    await until('listed on server 1', async () => (await listed(s1, both.id)) !== undefined);
    const acks = await Promise.all([call<AidAlarm>(s1, 'A', `/api/aid/alarms/${both.id}/ack`, {}), call<AidAlarm>(s2, 'B', `/api/aid/alarms/${both.id}/ack`, {})]);
    expect(acks.map((r) => r.status)).toEqual([200, 200]);
    expect(acks[0]!.data.acknowledgedBy).toBe(acks[1]!.data.acknowledgedBy);
    const reason = { action: 'confirm', reason: 'sudah diperiksa bersama' };
    const res = await Promise.all([call(s1, 'A', `/api/aid/alarms/${both.id}/resolve`, reason), call(s2, 'B', `/api/aid/alarms/${both.id}/resolve`, reason)]);
    expect(res.map((r) => r.status).sort()).toEqual([200, 400]);
    await until('both servers agree', async () => JSON.stringify(await listed(s1, both.id)) === JSON.stringify(await listed(s2, both.id)) && (await listed(s1, both.id))?.resolution !== null);

    const marker = await doubleOn(s1, s2);
    expect((await call(s1, 'A', `/api/aid/alarms/${marker.id}/ack`, {})).status).toBe(200);
    await until('marker on both consoles', () => [updates.A, updates.B].every((l) => l.some((a) => a.id === marker.id)));
    for (const l of [updates.A, updates.B]) expect(l.filter((a) => a.id === both.id).map((a) => a.resolution === null)).toEqual([true, false]);
  }, 120_000);

  it('a server that joins later lists the alarms raised before it, with their state', async () => {
    const open = await doubleOn(s2, s1);
    const s3 = await rig.server('server-3', [rig.children[0]!.url], { redis: true });
    for (const a of [first, second, open]) expect(await listed(s3, a.id)).toEqual(await listed(s2, a.id));
    // And it takes part: an ack through the newcomer reaches the others.
    expect((await call(s3, 'A', `/api/aid/alarms/${open.id}/ack`, {})).status).toBe(200);
    await until('newcomer ack seen on 1 and 2', async () => (await listed(s1, open.id))?.acknowledgedBy === 'desa-a' && (await listed(s2, open.id))?.acknowledgedBy === 'desa-a');

    // A restart: server 2 is down while server 1 resolves; back up, it learns the resolution.
    await s2.stop();
    expect((await call(s1, 'A', `/api/aid/alarms/${open.id}/resolve`, { action: 'confirm', reason: 'sudah diperiksa' })).status).toBe(200);
    s2 = await rig.server('server-2', [rig.children[0]!.url], { redis: true });
    expect((await listed(s2, open.id))?.resolution).toMatchObject({ action: 'confirm', by: 'desa-a' });
  }, 180_000);
});
