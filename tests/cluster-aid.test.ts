/**
 * Issues 6, 9 and 15: the double-aid check is atomic across server instances. Two servers (child
 * processes, cluster mode) on one PostgreSQL, which decides; the same person's aid is recorded at the
 * same moment on both (two concurrent POSTs, one per server, different villages): exactly one double-aid alarm, received once
 * by each village's console whichever server it is connected to.
 */
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { villageDeviceTopic, type AidAlarm, type AidDeviceResult, type AidRecordResult } from '@sk/protocol';
import { loadRegions } from '@sk/protocol/regions';
import { ClusterRig, twoAidServers, type Child } from './cluster-helpers.ts';
import { until, type LiveSocket } from './server-fixtures.ts';

const villages = loadRegions().villages;
const [A, B] = [villages[3]!.code, villages[120]!.code];
const rig = new ClusterRig();
let s1: Child;
let s2: Child;
let cookies: Record<string, string>;
let stop: () => Promise<void>;
let broker: Child;
let device: { id: string; secret: string };
const got: Record<'A' | 'B', AidAlarm[]> = { A: [], B: [] };
let serial = 1;
const nik = () => `3510211207${'90'}${String(serial++).padStart(4, '0')}`;
const handout = (village: string, n: string) => ({ handoutId: ulid(), programmeId: 'bst', nik: n, kk: `351021230415${String(serial++).padStart(4, '0')}`, name: `Warga ${serial}`, birthDate: '1990-07-12', villageCode: village, date: '2026-11-28' });

const post = async (server: Child, who: 'A' | 'B', body: unknown) => {
  const res = await fetch(`${server.url}/api/aid/handouts`, { method: 'POST', headers: { cookie: cookies[who]!, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await res.json()) as { ok: boolean; data: AidRecordResult };
  expect(res.status, JSON.stringify(json)).toBe(201);
  return json.data;
};

beforeAll(async () => {
  let consoles: Record<'A' | 'B', LiveSocket>;
  ({ s1, s2, cookies, consoles, stop, broker, device } = await twoAidServers(rig, 'cluster-aid-test-secret-0123456789', A, B));
  for (const who of ['A', 'B'] as const) consoles[who].on('aid:alarm', (a) => got[who].push(a));
}, 240_000);

afterAll(async () => {
  await stop?.();
}, 60_000);

describe('double aid across two server instances', () => {
  it('the same person recorded at the same moment on both servers: exactly one alarm, on both villages\' consoles', async () => {
    const person = nik();
    const [ra, rb] = await Promise.all([post(s1, 'A', handout(A, person)), post(s2, 'B', handout(B, person))]);
    const results = [ra, rb];
    expect(results.map((r) => r.status).sort()).toEqual(['double', 'recorded']);
    const double = results.find((r) => r.status === 'double')!;
    expect(double.matches).toMatchObject([{ kind: 'same_nik', severity: 'critical' }]);
    const id = double.alarmId!;
    await until('alarm on both villages', () => got.A.some((a) => a.id === id) && got.B.some((a) => a.id === id), 30_000);
    expect(got.A.find((a) => a.id === id)!.villages.sort()).toEqual([A, B].sort());

    // A later alarm, raised sequentially, as a marker: when it has arrived, a duplicate of the first would have too.
    const other = nik();
    await post(s2, 'B', handout(B, other));
    const marker = await post(s1, 'A', handout(A, other));
    expect(marker.status).toBe('double');
    expect(marker.alarmId).not.toBe(id); // cluster-wide ids: no collision between instances
    await until('marker alarm on both villages', () => [got.A, got.B].every((l) => l.some((a) => a.id === marker.alarmId)), 30_000);
    for (const l of [got.A, got.B]) expect(l.map((a) => a.id)).toEqual([id, marker.alarmId]);
  }, 120_000);

  it('a distribution-point device\'s handout reaches both servers: stored once, one answer', async () => {
    const dev = await mqtt.connectAsync(broker.url, { clientId: device.id, username: device.id, password: device.secret, reconnectPeriod: 0 });
    try {
      const results: AidDeviceResult[] = [];
      dev.on('message', (_t, p) => results.push(JSON.parse(p.toString()) as AidDeviceResult));
      await dev.subscribeAsync(villageDeviceTopic(A, device.id, 'aid-result'), { qos: 1 });
      const h = handout(A, nik());
      await dev.publishAsync(villageDeviceTopic(A, device.id, 'aid'), JSON.stringify({ v: 1, deviceId: device.id, ...h }), { qos: 1 });
      await until('the answer', () => results.some((r) => r.handoutId === h.handoutId), 30_000);
      // A marker from the same device: once its answer is in, a second answer to the first would be too.
      const marker = handout(A, nik());
      await dev.publishAsync(villageDeviceTopic(A, device.id, 'aid'), JSON.stringify({ v: 1, deviceId: device.id, ...marker }), { qos: 1 });
      await until('the marker\'s answer', () => results.some((r) => r.handoutId === marker.handoutId), 30_000);
      expect(results.filter((r) => r.handoutId === h.handoutId).map((r) => r.status)).toEqual(['recorded']);
      // Stored once: the same handout over HTTP is a redelivery on either server.
      expect((await post(s2, 'A', h)).status).toBe('redelivered');
    } finally {
      await dev.endAsync();
    }
  }, 90_000);

  it('the same handout sent to both servers is one handout, not a double', async () => {
    const h = handout(A, nik());
    // Village officer A may post to either instance (shared session).
    const rs = await Promise.all([post(s1, 'A', h), post(s2, 'A', h)]);
    expect(rs.map((r) => r.status).sort()).toEqual(['recorded', 'redelivered']);
  }, 60_000);
});
