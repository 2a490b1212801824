/**
 * The storage suite, alerts part (issues 15, 17): alerts, follow-ups, expected arrivals and quarantine
 * on the database of record, the same tests on SQLite and PostgreSQL. The clock is injected; the
 * databases are real (PostgreSQL: a private instance, concurrent callers on separate pool connections).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { AlertEvent, DeviceStatus, FollowUpEvent, Scan } from '@sk/protocol';
import { loadRegions } from '@sk/protocol/regions';
import { Alerts } from '../server/src/alerts/alerts.ts';
import { raiseAlert } from '../server/src/alerts/alert-store.ts';
import { loadPersonSecret } from '../server/src/alerts/person-secret.ts';
import { etaFor } from '../server/src/arrivals/eta.ts';
import { ExpectedArrivals } from '../server/src/arrivals/expected-arrivals.ts';
import { Quarantine } from '../server/src/quarantine/quarantine.ts';
import { insertScans, scanToRow } from '../server/src/db/scan-rows.ts';
import type { RecordsDb } from '../server/src/db/database.ts';
import { ALERTS_LEGACY_IMPORTERS } from '../server/src/alerts/legacy-import.ts';
import { runLegacyImports } from '../server/src/db/legacy-import.ts';
import { ENGINES, freshDb, stopPrivatePostgres } from './db-fixtures.ts';
import { makeScan } from './server-fixtures.ts';

afterAll(stopPrivatePostgres);

const VILLAGE = '35.10.21.2003';
const OTHER = '35.10.21.2004';
const command = { username: 'pusat', displayName: 'Pusat', role: 'command' as const };
const villageUser = { username: 'desa', displayName: 'Desa', role: 'village' as const, villageCode: VILLAGE };
const fever = { temperatureC: 38.6, symptoms: [], rapidTest: 'negatif' as const, vaccinationDoses: 1 };
const cough = { temperatureC: 36.6, symptoms: ['batuk' as const], rapidTest: 'negatif' as const, vaccinationDoses: 1 };
const positive = { temperatureC: 36.6, symptoms: [], rapidTest: 'positif' as const, vaccinationDoses: 1 };

class Clock {
  t = Date.parse('2026-11-28T01:00:00.000Z');
  now = () => new Date(this.t);
}

function setup(rdb: RecordsDb, clock: Clock, secret = Buffer.alloc(32, 7)) {
  const emitted: AlertEvent[] = [];
  const followUps: FollowUpEvent[] = [];
  const alerts = new Alerts({
    rdb, feverC: 37.5, watchOrigins: [], offlineAfterMs: 90_000, now: clock.now, personSecret: secret, regions: loadRegions(),
    emit: (a) => emitted.push(a), emitFollowUp: (f) => followUps.push(f),
  });
  return { alerts, emitted, followUps };
}

/** Stores scans as the scan writer does (the row is also the expected arrival), at the clock's time. */
async function store(rdb: RecordsDb, clock: Clock, scans: Scan[]): Promise<void> {
  const at = clock.now().toISOString();
  await insertScans(rdb, scans.map((scan) => scanToRow({ scan, receivedAt: at, eta: etaFor(scan, clock.t) }, 37.5)));
}

const count = async (rdb: RecordsDb, table: 'alerts' | 'follow_ups' | 'follow_up_scans') =>
  Number((await rdb.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

/** Fever or positive scans that no follow-up covers: must always be 0 once triage has run. */
async function uncovered(rdb: RecordsDb): Promise<number> {
  const r = await sql<{ n: number }>`select count(*) as n from scans s where s.health in ('demam', 'positif')
    and not exists (select 1 from follow_up_scans c join follow_ups f on f.id = c.follow_up_id where c.scan_id = s.scan_id)`.execute(rdb.db);
  return Number(r.rows[0]!.n);
}

describe.each(ENGINES)('alerts on %s', (engine) => {
  it('one open alert per key even for raises at the same moment (separate connections); ack and clear keep who and when', async () => {
    const rdb = await freshDb(engine);
    try {
      const clock = new Clock();
      const c = { rule: 'device_offline' as const, key: 'device_offline|kalibaru/kalibaru-01', subject: 'kalibaru/kalibaru-01', checkpointId: 'kalibaru', severity: 'major' as const, title: 'Perangkat offline', text: 'x' };
      const o = { at: clock.now().toISOString(), foldAfter: '2026-11-27T00:00:00.000Z', answerBy: 'command' as const };
      const results = await Promise.all(Array.from({ length: 6 }, () => raiseAlert(rdb.db, c, o)));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.row.id)).size).toBe(1);
      const { alerts } = setup(rdb, clock);
      const [open] = await alerts.list(command, { openOnly: true, limit: 10 });
      expect(open).toMatchObject({ count: 6, state: 'active', answerBy: 'command' });
      clock.t += 1000;
      expect(await alerts.acknowledge(open!.id, 'pusat')).toMatchObject({ state: 'acknowledged', ackedBy: 'pusat', ackedAt: clock.now().toISOString() });
      expect(await alerts.acknowledge(open!.id, 'lain')).toMatchObject({ ackedBy: 'pusat' }); // the first ack stands
      clock.t += 1000;
      expect(await alerts.clear(open!.id, 'desa')).toMatchObject({ state: 'cleared', ackedBy: 'pusat', clearedBy: 'desa', clearedAt: clock.now().toISOString() });
      expect((await raiseAlert(rdb.db, c, o)).created).toBe(true); // the key is free again
    } finally {
      await rdb.close();
    }
  });

  it('triage: fever → alert + follow-up (same transaction, linked); cough → follow-up only; a redelivery changes nothing; the same person folds', async () => {
    const rdb = await freshDb(engine);
    try {
      const clock = new Clock();
      const { alerts, emitted, followUps } = setup(rdb, clock);
      const hot = makeScan(1, { health: fever });
      const again = { ...makeScan(2, { health: fever }), nik: hot.nik }; // same person, second checkpoint
      const coughing = makeScan(3, { health: cough });
      const well = makeScan(4);
      const batch = [hot, again, coughing, well];
      await store(rdb, clock, batch);
      await alerts.onScans(batch);
      await alerts.onScans(batch); // redelivered (never announced twice by the writer; must be harmless anyway)
      const list = await alerts.list(command, { openOnly: true, limit: 50 });
      expect(list.map((a) => [a.rule, a.count, a.answerBy])).toEqual([['fever', 2, 'village']]);
      const fus = await alerts.followUps(command, { open: true, limit: 50 });
      expect(fus.map((f) => [f.reason, f.count, f.state]).sort()).toEqual([['fever', 2, 'baru'], ['symptoms', 1, 'baru']]);
      const feverFu = fus.find((f) => f.reason === 'fever')!;
      expect(feverFu).toMatchObject({ alertId: list[0]!.id, scanId: hot.scanId, lastScanId: again.scanId, name: hot.name, nikMasked: expect.stringMatching(/^351021\*+/) });
      expect(list[0]!.followUpId).toBe(feverFu.id);
      expect(await uncovered(rdb)).toBe(0);
      // Live events carry no personal data.
      expect(JSON.stringify([emitted, followUps])).not.toContain(hot.nik);
      expect(JSON.stringify([emitted, followUps])).not.toContain(hot.name);
      // Scoped: the village sees its own, another village nothing.
      expect(await alerts.followUps({ ...villageUser, villageCode: OTHER }, { open: true, limit: 50 })).toEqual([]);
      expect(await alerts.followUps(villageUser, { open: true, limit: 50 })).toHaveLength(2);
    } finally {
      await rdb.close();
    }
  });

  it('the follow-up lifecycle moves its alert: contacted acknowledges, done clears; the command centre sees overdue ones grouped per district', async () => {
    const rdb = await freshDb(engine);
    try {
      const clock = new Clock();
      const { alerts } = setup(rdb, clock);
      const scans = [makeScan(1, { health: positive }), makeScan(2, { health: fever }), makeScan(3, { health: fever, destinationVillageCode: OTHER })];
      await store(rdb, clock, scans);
      await alerts.onScans(scans);
      clock.t += 121 * 60_000; // past the 2-hour contact deadline
      await alerts.sweep();
      let cmd = await alerts.list(command, { openOnly: true, answerBy: 'command', limit: 10 });
      // One per district (both villages are in Kalipuro, 35.10.21): the puskesmas area's count.
      expect(cmd.map((a) => [a.rule, a.subject, a.count])).toEqual([['follow_up_overdue', '35.10.21', 3]]);
      expect(cmd[0]!.text).toContain('Kalipuro');
      expect((await alerts.summary(command)).followUps.overdue).toBe(3);
      await alerts.sweep(); // nothing changed: nothing rewritten
      expect((await alerts.list(command, { openOnly: true, answerBy: 'command', limit: 10 })).map((a) => a.count)).toEqual([3]);

      const [pos] = await alerts.followUps(villageUser, { open: true, limit: 10 }); // most urgent first
      expect(pos!.reason).toBe('positive');
      expect(await alerts.moveFollowUp({ ...villageUser, villageCode: OTHER }, pos!.id, 'dihubungi')).toBeUndefined(); // not theirs
      const contacted = await alerts.moveFollowUp(villageUser, pos!.id, 'dihubungi', 'ditelepon');
      expect(contacted).toMatchObject({ state: 'dihubungi', updatedBy: 'desa', overdue: false });
      expect(await alerts.get(pos!.alertId!)).toMatchObject({ state: 'acknowledged', ackedBy: 'desa' });
      await alerts.sweep();
      cmd = await alerts.list(command, { openOnly: true, answerBy: 'command', limit: 10 });
      expect(cmd.map((a) => a.count)).toEqual([2]);
      await alerts.moveFollowUp(villageUser, pos!.id, 'selesai');
      expect(await alerts.get(pos!.alertId!)).toMatchObject({ state: 'cleared', clearedBy: 'desa' });
      for (const f of await alerts.followUps(command, { open: true, limit: 10 })) await alerts.moveFollowUp(command, f.id, 'dihubungi');
      await alerts.sweep();
      expect(await alerts.list(command, { openOnly: true, answerBy: 'command', limit: 10 })).toEqual([]);
      // Done, then scanned again with a fever: a new follow-up.
      const later = { ...makeScan(9, { health: fever }), nik: scans[0]!.nik };
      await store(rdb, clock, [later]);
      await alerts.onScans([later]);
      expect((await alerts.followUps(villageUser, { open: true, limit: 10 })).filter((f) => f.lastScanId === later.scanId)).toHaveLength(1);
    } finally {
      await rdb.close();
    }
  });

  it('a failed triage transaction leaves neither alert nor follow-up; a restart covers what a crash left untriaged', async () => {
    const rdb = await freshDb(engine);
    try {
      const clock = new Clock();
      const first = setup(rdb, clock);
      const batch1 = [makeScan(1, { health: fever }), makeScan(2, { health: positive }), makeScan(3, { health: cough })];
      await store(rdb, clock, batch1);
      // The alerts table goes away mid-batch (after the claim and the follow-up are written): all or nothing.
      await sql`alter table alerts rename to alerts_away`.execute(rdb.db);
      await expect(first.alerts.onScans(batch1)).rejects.toThrow();
      await sql`alter table alerts_away rename to alerts`.execute(rdb.db);
      expect([await count(rdb, 'alerts'), await count(rdb, 'follow_ups'), await count(rdb, 'follow_up_scans')]).toEqual([0, 0, 0]);
      // A second batch committed, then "crash": never handed to the alerts at all.
      const batch2 = [makeScan(4, { health: fever }), makeScan(5)];
      await store(rdb, clock, batch2);
      expect(await uncovered(rdb)).toBe(3);
      const restarted = setup(rdb, clock);
      await restarted.alerts.start({ silentCheckMs: 3600_000, sweepMs: 3600_000 });
      await restarted.alerts.stop();
      expect(await uncovered(rdb)).toBe(0);
      expect(await count(rdb, 'follow_ups')).toBe(4); // cough included
      expect((await restarted.alerts.list(command, { openOnly: true, limit: 10 })).map((a) => a.rule).sort()).toEqual(['fever', 'fever', 'rapid_positive']);
    } finally {
      await rdb.close();
    }
  });

  it('device offline is one alert per device, a repeat bumps it; a restart remembers it and clears it when the device is back', async () => {
    const rdb = await freshDb(engine);
    try {
      const clock = new Clock();
      const status = (state: 'online' | 'offline'): DeviceStatus => ({ v: 1, checkpointId: 'kalibaru', deviceId: 'kalibaru-01', state, at: clock.now().toISOString(), version: '1' });
      const a = setup(rdb, clock).alerts;
      a.onStatus(status('offline'));
      a.onStatus(status('offline'));
      await a.stop();
      const open = await a.list(command, { openOnly: true, limit: 10 });
      expect(open.map((x) => [x.rule, x.subject, x.answerBy])).toEqual([['device_offline', 'kalibaru/kalibaru-01', 'command']]);
      const b = setup(rdb, clock);
      await b.alerts.start({ silentCheckMs: 3600_000, sweepMs: 3600_000 });
      b.alerts.onStatus(status('online'));
      await b.alerts.stop();
      expect(await b.alerts.list(command, { openOnly: true, limit: 10 })).toEqual([]);
      expect(b.emitted.map((x) => [x.rule, x.state, x.clearedBy])).toEqual([['device_offline', 'cleared', 'system']]);
    } finally {
      await rdb.close();
    }
  });

  it('a surge is one alert per checkpoint, its baseline rebuilt from the scans after a restart', async () => {
    const rdb = await freshDb(engine);
    try {
      const clock = new Clock();
      // An hour at 1 a minute in the database (what a restart finds), then 50 in the current minute.
      const base = Array.from({ length: 60 }, (_, i) => makeScan(i + 1, { scannedAt: new Date(clock.t - (70 - i) * 60_000).toISOString() }));
      await store(rdb, clock, base);
      const { alerts } = setup(rdb, clock);
      await alerts.start({ silentCheckMs: 3600_000, sweepMs: 3600_000 });
      const burst = Array.from({ length: 49 }, (_, i) => makeScan(100 + i, { scannedAt: clock.now().toISOString() }));
      await alerts.onScans(burst);
      await alerts.stop();
      expect((await alerts.list(command, { openOnly: true, limit: 10 })).filter((a) => a.rule === 'arrival_surge')).toEqual([]);
      const again = setup(rdb, clock).alerts;
      await store(rdb, clock, burst);
      await again.start({ silentCheckMs: 3600_000, sweepMs: 3600_000 });
      await again.onScans([makeScan(200), makeScan(201)]);
      await again.onScans([makeScan(202)]);
      await again.stop();
      const surges = (await again.list(command, { openOnly: true, limit: 10 })).filter((a) => a.rule === 'arrival_surge');
      expect(surges.map((a) => [a.subject, a.count])).toEqual([['ketapang', 1]]);
    } finally {
      await rdb.close();
    }
  });

  it('one person key for every server: the secret is kept in the database', async () => {
    const rdb = await freshDb(engine);
    try {
      const [a, b] = await Promise.all([loadPersonSecret(rdb), loadPersonSecret(rdb)]);
      expect(a.equals(b)).toBe(true);
      expect(a.length).toBe(32);
    } finally {
      await rdb.close();
    }
  });
});

describe.each(ENGINES)('expected arrivals and quarantine on %s', (engine) => {
  const regions = loadRegions();

  it('lists a village\'s arrivals with names (NIK masked), marks "Sudah tiba" once, sweeps overdue ones once even with two sweepers', async () => {
    const rdb = await freshDb(engine);
    try {
      const clock = new Clock();
      const { alerts, emitted } = setup(rdb, clock);
      const make = () => new ExpectedArrivals({ rdb, alerts, regions, overdueAfterMs: 30 * 60_000, now: clock.now, sweepBatch: 2 });
      const arrivals = make();
      const scans = [makeScan(1), makeScan(2), makeScan(3), makeScan(4, { destinationVillageCode: OTHER })];
      await store(rdb, clock, scans);
      const mine = await arrivals.list(villageUser, { status: 'expected', limit: 10 });
      expect(mine.map((a) => a.scanId).sort()).toEqual(scans.slice(0, 3).map((s) => s.scanId).sort());
      expect(mine[0]).toMatchObject({ name: expect.stringMatching(/^Pelancong/), villageName: 'Ketapang', status: 'expected', eta: '2026-11-28T01:20:00.000Z' });
      expect(mine[0]!.nikMasked).not.toBe(scans[0]!.nik);
      const [m1, m2] = await Promise.all([arrivals.markArrived(scans[0]!.scanId, 'desa'), arrivals.markArrived(scans[0]!.scanId, 'lain')]);
      expect(m1!.arrivedBy).toBe(m2!.arrivedBy);
      clock.t += 2 * 3600_000;
      const counts = await Promise.all([make().checkOverdue(), make().checkOverdue()]);
      expect(counts[0]! + counts[1]!).toBe(3);
      expect(await arrivals.checkOverdue()).toBe(0);
      expect((await arrivals.list(villageUser, { status: 'overdue', limit: 10 })).map((a) => a.scanId).sort()).toEqual([scans[1]!.scanId, scans[2]!.scanId].sort());
      const overdue = await alerts.list(villageUser, { openOnly: true, limit: 10 });
      expect(overdue.map((a) => a.rule)).toEqual(['arrival_overdue', 'arrival_overdue']);
      await arrivals.markArrived(scans[1]!.scanId, 'desa');
      expect(await alerts.get(overdue.find((a) => a.scanId === scans[1]!.scanId)!.id)).toMatchObject({ state: 'cleared', clearedBy: 'desa' });
      expect(emitted.filter((a) => a.rule === 'arrival_overdue' && a.state === 'cleared')).toHaveLength(1);
    } finally {
      await rdb.close();
    }
  });

  it('never overfills a facility when placements race; nearest with room; full raises an alert, a release clears it', async () => {
    const rdb = await freshDb(engine);
    try {
      const clock = new Clock();
      const { alerts } = setup(rdb, clock);
      const arrivals = new ExpectedArrivals({ rdb, alerts, regions, overdueAfterMs: 3600_000, now: clock.now });
      const q = new Quarantine({ rdb, alerts, now: clock.now });
      await q.start();
      await q.start(); // seeded once
      expect((await q.occupancy()).length).toBe(6);
      await q.upsertFacility({ id: 'hotel-ketapang', name: 'Hotel dekat Pelabuhan Ketapang', districtCode: '35.10.21', capacity: 2 });
      const sick = Array.from({ length: 8 }, (_, i) => makeScan(i + 1, { health: fever }));
      await store(rdb, clock, sick);
      const targets = await Promise.all(sick.map((s) => arrivals.get(s.scanId)));
      const placed = await Promise.all(targets.map((t) => q.assign(t!, 'symptomatic', villageUser)));
      expect(placed.filter((p) => p.assignment.facilityId === 'hotel-ketapang')).toHaveLength(2);
      const occ = await q.occupancy();
      for (const f of occ) expect(f.occupied).toBeLessThanOrEqual(f.capacity);
      expect((await q.assign(targets[0]!, 'symptomatic', villageUser)).created).toBe(false);
      const full = (await alerts.list(command, { openOnly: true, limit: 50 })).find((a) => a.rule === 'quarantine_full' && a.subject === 'hotel-ketapang');
      expect(full).toMatchObject({ answerBy: 'command' });
      const inHotel = placed.find((p) => p.assignment.facilityId === 'hotel-ketapang')!.assignment;
      expect(inHotel).toMatchObject({ villageCode: VILLAGE, name: expect.stringMatching(/^Pelancong/), releaseOn: '2026-12-12' });
      expect(await q.release(inHotel.id, 'desa')).toMatchObject({ releasedBy: 'desa' });
      expect(await alerts.get(full!.id)).toMatchObject({ state: 'cleared' });
      expect(await q.assignments({ ...villageUser, villageCode: OTHER }, true)).toEqual([]);
      expect(await q.assignments(villageUser, true)).toHaveLength(7);
    } finally {
      await rdb.close();
    }
  });
});

describe.each(ENGINES)('upgrade from the journals of sessions 1–4 on %s', (engine) => {
  it('imports alerts (ids kept), quarantine facilities and assignments, and arrival states once', async () => {
    const rdb = await freshDb(engine);
    try {
      const clock = new Clock();
      clock.t = Date.parse('2026-11-27T02:00:00.000Z'); // within the fold window of the journal's last sighting
      const scans = [makeScan(1, { health: fever }), makeScan(2), makeScan(3)];
      await store(rdb, clock, scans); // the scans importer (the lead's) runs first
      const dir = join(rdb.dataDir, 'server');
      mkdirSync(dir, { recursive: true });
      // Written as the old Journal wrote them: object lines, grouped array lines, a torn last line.
      const alert = (id: number, over: object) => ({ id, key: `fever|p${id}`, rule: 'fever', severity: 'major', subject: scans[0]!.scanId, scanId: scans[0]!.scanId, villageCode: VILLAGE, checkpointId: 'ketapang', title: 'Demam', text: 'suhu 38.6 °C ≥ 37.5 °C', state: 'active', count: 1, startedAt: '2026-11-27T01:00:00.000Z', lastSeenAt: '2026-11-27T01:00:00.000Z', ...over });
      writeFileSync(join(dir, 'alerts.jsonl'), [
        JSON.stringify(alert(7, {})),
        JSON.stringify([alert(7, { state: 'acknowledged', ackedBy: 'pusat', ackedAt: '2026-11-27T01:05:00.000Z', count: 2 }), alert(1_000_000_001, { key: 'device_offline|kalibaru/kalibaru-01', rule: 'device_offline', state: 'cleared', clearedBy: 'system', clearedAt: '2026-11-27T02:00:00.000Z' })]),
        '{"id":9,"key"',
      ].join('\n'));
      writeFileSync(join(dir, 'quarantine-facilities.json'), JSON.stringify({ facilities: [{ id: 'gedung-baru', name: 'Gedung Baru', districtCode: '35.10.21', capacity: 3 }] }));
      const asg = { id: '5f0c6a3e-8d1b-4a57-9a7e-0d6f2c1b9e11', scanId: scans[0]!.scanId, facilityId: 'gedung-baru', reason: 'symptomatic', villageCode: VILLAGE, checkpointId: 'ketapang', name: 'x', nikMasked: 'x', assignedBy: 'desa', assignedAt: '2026-11-27T03:00:00.000Z', releaseOn: '2026-12-11' };
      writeFileSync(join(dir, 'quarantine-assignments.jsonl'), `${JSON.stringify(asg)}\n`);
      // The compact form: [1, scanId, …14 values…, arrivedAt, arrivedBy, overdueAt, homeUnfit].
      const compact = (scanId: string, tail: unknown[]) => [1, scanId, 'ketapang', '', '', VILLAGE, null, '35.10.21', null, 'x', 'x', 'L', '1990-01-01', null, 'sehat', ...tail];
      writeFileSync(join(dir, 'expected-arrivals.jsonl'), `${JSON.stringify([compact(scans[1]!.scanId, ['2026-11-27T04:00:00.000Z', 'desa']), compact(scans[2]!.scanId, [null, null, '2026-11-27T05:00:00.000Z', true])])}\n`);

      const report = await runLegacyImports(rdb, rdb.dataDir, ALERTS_LEGACY_IMPORTERS);
      expect(report).toEqual({ imported: { 'alerts-journal': 2, 'quarantine-journal': 2, 'expected-arrivals-journal': 2 }, failed: [] });
      expect(await runLegacyImports(rdb, rdb.dataDir, ALERTS_LEGACY_IMPORTERS)).toEqual({ imported: {}, failed: [] });
      expect(existsSync(join(dir, 'alerts.jsonl.imported'))).toBe(true);

      const { alerts } = setup(rdb, clock);
      const all = await alerts.list(command, { openOnly: false, limit: 10 });
      expect(all.map((a) => [a.id, a.state, a.count, a.ackedBy ?? null])).toEqual([[1_000_000_001, 'cleared', 1, null], [7, 'acknowledged', 2, 'pusat']]);
      // The open one still holds its key (a repeat folds into it), and new alerts get new ids.
      const fresh = await alerts.raise({ rule: 'device_offline', key: 'device_offline|wongsorejo/wongsorejo-01', subject: 'wongsorejo/wongsorejo-01', severity: 'major', title: 't', text: 't' });
      expect(fresh.id).toBeGreaterThan(1_000_000_001);
      expect((await alerts.raise({ rule: 'fever', key: 'fever|p7', subject: 's', severity: 'major', title: 't', text: 't' })).id).toBe(7);

      const arrivals = new ExpectedArrivals({ rdb, alerts, regions: loadRegions(), overdueAfterMs: 3600_000, now: clock.now });
      expect(await arrivals.get(scans[1]!.scanId)).toMatchObject({ status: 'arrived', arrivedBy: 'desa' });
      expect(await arrivals.get(scans[2]!.scanId)).toMatchObject({ status: 'overdue', homeUnfit: true });
      const q = new Quarantine({ rdb, alerts, now: clock.now });
      await q.start(); // not seeded over an imported list
      expect((await q.occupancy()).map((f) => [f.id, f.occupied])).toEqual([['gedung-baru', 1]]);
      expect(await q.assignments(command, true)).toMatchObject([{ scanId: scans[0]!.scanId, reason: 'symptomatic', releaseOn: '2026-12-11', name: scans[0]!.name }]);
    } finally {
      await rdb.close();
    }
  });
});
