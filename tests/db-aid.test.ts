/**
 * The storage suite, social aid part (issue 15): the same tests on SQLite and PostgreSQL. Handouts,
 * doubles, alarms, acknowledgement, resolution and audit live in the database; two servers on one
 * database recording the same person at the same moment raise exactly one alarm; a check writes
 * nothing; a restart lists everything again; the journal of sessions 1–4 is imported once.
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { afterAll, describe, expect, it } from 'vitest';
import { maskNik, type AidAlarm, type HandoutInput } from '@sk/protocol';
import { loadRegions } from '@sk/protocol/regions';
import { openDatabase, type RecordsDb } from '../server/src/db/database.ts';
import { Aid } from '../server/src/aid/aid.ts';
import { aidLegacyImporter, aidLegacyImporterFor } from '../server/src/aid/aid-legacy-import.ts';
import { AidKeys, keyHex } from '../server/src/aid/keys.ts';
import { purgeAidAlarmNames } from '../server/src/aid/aid-alarm-rows.ts';
import { ENGINES, freshDb, stopPrivatePostgres } from './db-fixtures.ts';

afterAll(stopPrivatePostgres);

const regions = loadRegions();
const [A, B, C] = [regions.villages[0]!.code, regions.villages[40]!.code, regions.villages[80]!.code];
const SECRET = 'db-aid-test-secret-0123456789';
let serial = 1;
const nik = () => `3510211207${'90'}${String(serial++).padStart(4, '0')}`;
const kk = () => `351021230415${String(serial++).padStart(4, '0')}`;
const handout = (village: string, over: Partial<HandoutInput> = {}): HandoutInput => ({ handoutId: ulid(), programmeId: 'bst', nik: nik(), kk: kk(), name: `Warga ${serial}`, birthDate: '1990-07-12', villageCode: village, date: '2026-11-28', ...over });

type Emitted = { event: string; alarm: AidAlarm; rooms: string[] };
async function aidOn(rdb: RecordsDb, dataDir: string, instanceId = 'server-1', secret = SECRET) {
  const emitted: Emitted[] = [];
  const aid = new Aid({ rdb, dataDir, regions, secret, instanceId, emit: (event, alarm, rooms) => emitted.push({ event, alarm, rooms }) });
  await aid.start();
  return { aid, emitted };
}
/**
 * Another server's connection: on PostgreSQL a second pool (cluster mode); on SQLite the same handle,
 * as one server owns its file (two connections of one process would wait on each other's lock inside
 * better-sqlite3's synchronous busy wait).
 */
async function secondServer(rdb: RecordsDb & { dataDir: string; databaseUrl?: string }): Promise<RecordsDb> {
  if (rdb.engine === 'sqlite') return { ...rdb, close: async () => {} };
  return openDatabase({ databaseUrl: rdb.databaseUrl, sqliteFile: join(rdb.dataDir, 'server', 'records.sqlite') });
}
const counts = async (rdb: RecordsDb) =>
  Object.fromEntries(await Promise.all((['aid_handouts', 'aid_alarms', 'aid_audit', 'aid_alarm_villages'] as const).map(async (t) => [t, Number((await rdb.db.selectFrom(t).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)])));

describe.each(ENGINES)('social aid on %s', (engine) => {
  it('a double of the same NIK raises one alarm for both villages and the command centre; a check writes nothing; a redelivery is no double', async () => {
    const rdb = await freshDb(engine);
    try {
      const { aid, emitted } = await aidOn(rdb, rdb.dataDir);
      const first = handout(A);
      expect((await aid.record([first], 'desa-a'))[0]).toMatchObject({ status: 'recorded', alarmId: null });
      const before = await counts(rdb);
      const check = await aid.check({ programmeId: 'bst', nik: first.nik, villageCode: B, date: '2026-11-30' }, 'desa-b');
      expect(check).toMatchObject({ ok: false, matches: [{ kind: 'same_nik', severity: 'critical', villageCode: A, period: '2026-11', handoutId: first.handoutId }] });
      expect(await counts(rdb)).toEqual(before);
      // Another month is another period: no match.
      expect((await aid.check({ programmeId: 'bst', nik: first.nik, villageCode: B, date: '2026-12-01' }, 'desa-b')).matches).toEqual([]);

      const [second] = await aid.record([handout(B, { nik: first.nik })], 'desa-b');
      expect(second).toMatchObject({ status: 'double', matches: [{ kind: 'same_nik', villageCode: A }] });
      expect(emitted).toHaveLength(1);
      expect(emitted[0]).toMatchObject({ event: 'aid:alarm', alarm: { id: second!.alarmId, severity: 'critical', nikMasked: maskNik(first.nik), villages: [B, A] } });
      expect(emitted[0]!.rooms.sort()).toEqual(['command', `village:${A}`, `village:${B}`].sort());
      expect((await aid.alarms(A, true)).map((a) => a.id)).toEqual([second!.alarmId]);
      expect(await aid.alarms(C, true)).toEqual([]);
      expect(await aid.alarm(second!.alarmId!, C)).toBeUndefined();
      expect(await aid.alarm(second!.alarmId!, null)).toEqual(emitted[0]!.alarm);

      expect((await aid.record([first], 'desa-a'))[0]!.status).toBe('redelivered');
      expect(emitted).toHaveLength(1);
      // No personal data in the aid tables but the alarm's masked NIK and name (what the officers need).
      const rows = await rdb.db.selectFrom('aid_handouts').selectAll().execute();
      expect(JSON.stringify(rows)).not.toContain(first.nik);
      expect(JSON.stringify(rows)).not.toContain(first.kk);
    } finally {
      await rdb.close();
    }
  });

  it('same KK in a household programme, a forbidden combination, and a possible double (same name and birth date, other NIK)', async () => {
    const rdb = await freshDb(engine);
    try {
      const { aid } = await aidOn(rdb, rdb.dataDir);
      const family = handout(A, { programmeId: 'bpnt' });
      await aid.record([family], 'desa-a');
      const [sameKk] = await aid.record([handout(B, { programmeId: 'bpnt', kk: family.kk })], 'desa-b');
      expect(sameKk!.matches.map((m) => [m.kind, m.severity])).toEqual([['same_kk', 'critical']]);
      const [conflict] = await aid.record([handout(C, { programmeId: 'bst', kk: family.kk })], 'desa-c');
      expect(conflict).toMatchObject({ status: 'double' });
      expect(conflict!.matches.map((m) => [m.kind, m.programmeId])).toEqual([['conflict', 'bpnt'], ['conflict', 'bpnt']]);
      const [maybe] = await aid.record([handout(B, { programmeId: 'bansos-bwi', name: 'Siti Aminah', birthDate: '1970-01-02' })], 'desa-b');
      expect(maybe!.status).toBe('recorded');
      const [other] = await aid.record([handout(C, { programmeId: 'bansos-bwi', name: 'Hj. SITI aminah, S.Pd', birthDate: '1970-01-02' })], 'desa-c');
      expect(other!.matches.map((m) => [m.kind, m.severity, m.villageCode])).toEqual([['possible_double', 'minor', B]]);
      expect((await aid.alarm(other!.alarmId!, null))!.severity).toBe('minor');
      // One call (one transaction): the second handout of the same person is checked against the first.
      const twice = handout(A, { programmeId: 'pkh' });
      expect((await aid.record([twice, { ...handout(B, { programmeId: 'pkh', nik: twice.nik }) }, twice], 'desa')).map((r) => r.status)).toEqual(['recorded', 'double', 'redelivered']);
    } finally {
      await rdb.close();
    }
  });

  it('two servers on one database record the same people at the same moment: exactly one alarm per person, one handout per id', async () => {
    const rdb = await freshDb(engine);
    const other = await secondServer(rdb);
    try {
      const s1 = await aidOn(rdb, rdb.dataDir, 'server-1');
      const s2 = await aidOn(other, rdb.dataDir, 'server-2');
      const people = Array.from({ length: 25 }, () => nik());
      const shared = handout(A); // the same handout sent to both servers
      const results = await Promise.all([
        ...people.map((n) => s1.aid.record([handout(A, { nik: n })], 'desa-a')),
        ...people.map((n) => s2.aid.record([handout(B, { nik: n })], 'desa-b')),
        s1.aid.record([shared], 'desa-a'),
        s2.aid.record([shared], 'desa-a'),
      ]);
      const flat = results.flat();
      expect(flat.filter((r) => r.status === 'double')).toHaveLength(people.length);
      expect(flat.filter((r) => r.status === 'recorded')).toHaveLength(people.length + 1);
      expect(flat.filter((r) => r.status === 'redelivered')).toHaveLength(1);
      expect(s1.emitted.length + s2.emitted.length).toBe(people.length);
      expect(await s1.aid.alarms(null, true)).toHaveLength(people.length);
      expect(await counts(rdb)).toMatchObject({ aid_handouts: 2 * people.length + 1, aid_alarms: people.length });
    } finally {
      await other.close();
      await rdb.close();
    }
  });

  it('the first acknowledgement is kept, an alarm is resolved once, a cancel takes the double out of later checks; a restart lists it all', async () => {
    const rdb = await freshDb(engine);
    const other = await secondServer(rdb);
    try {
      const s1 = await aidOn(rdb, rdb.dataDir, 'server-1');
      const s2 = await aidOn(other, rdb.dataDir, 'server-2');
      const person = nik();
      await s1.aid.record([handout(A, { nik: person })], 'desa-a');
      const [dbl] = await s2.aid.record([handout(B, { nik: person })], 'desa-b');
      const id = dbl!.alarmId!;
      const acks = await Promise.all([s1.aid.acknowledge(id, 'desa-a'), s2.aid.acknowledge(id, 'desa-b')]);
      expect(acks[0]!.acknowledgedBy).toBe(acks[1]!.acknowledgedBy);
      expect([...s1.emitted, ...s2.emitted].filter((e) => e.event === 'aid:alarm-update')).toHaveLength(1);

      expect((await s1.aid.check({ programmeId: 'bst', nik: person, villageCode: A, date: '2026-11-28' }, 'x')).matches).toHaveLength(2);
      const res = await Promise.all([s1.aid.resolve(id, { action: 'cancel', reason: 'penerima ganda' }, 'desa-a'), s2.aid.resolve(id, { action: 'confirm', reason: 'disetujui camat' }, 'desa-b')]);
      expect(res.filter((r) => r === 'already')).toHaveLength(1);
      const kept = res.find((r) => r !== 'already') as AidAlarm;
      const after = await s1.aid.check({ programmeId: 'bst', nik: person, villageCode: A, date: '2026-11-28' }, 'x');
      expect(after.matches.map((m) => m.villageCode)).toEqual(kept.resolution!.action === 'cancel' ? [A] : [A, B]);
      expect(await s1.aid.alarms(null, true)).toEqual([]);

      const audit = await s2.aid.audit(B, 50);
      expect(audit.filter((e) => e.alarmId === id).map((e) => e.type).sort()).toEqual(['ack', 'alarm', 'resolve']);
      expect((await s2.aid.audit(C, 50))).toEqual([]);

      // A restart: a new connection and feature lists the same alarm, in the same state.
      await other.close();
      const again = await secondServer(rdb);
      try {
        const s3 = await aidOn(again, rdb.dataDir, 'server-2');
        expect(await s3.aid.alarm(id, null)).toEqual(kept);
        expect((await s3.aid.record([handout(C, { nik: person })], 'desa-c'))[0]!.status).toBe('double');
      } finally {
        await again.close();
      }
    } finally {
      await rdb.close();
    }
  });

  it('person erase blanks the masked NIK and name on that person\'s alarms; others keep theirs', async () => {
    const rdb = await freshDb(engine);
    try {
      const { aid } = await aidOn(rdb, rdb.dataDir);
      const [gone, kept] = [nik(), nik()];
      for (const n of [gone, kept]) {
        await aid.record([handout(A, { nik: n })], 'desa-a');
        await aid.record([handout(B, { nik: n, name: `Nama ${n}` })], 'desa-b');
      }
      expect(await aid.erasePerson(gone)).toBe(1);
      const byName = (await aid.alarms(null, true)).map((a) => [a.name, a.nikMasked]);
      expect(byName).toEqual([[`Nama ${kept}`, maskNik(kept)], ['', '']]);
    } finally {
      await rdb.close();
    }
  });

  it('retention blanks the masked NIK and name of alarms resolved before the cutoff; open ones keep them', async () => {
    const rdb = await freshDb(engine);
    try {
      let now = new Date('2026-11-01T00:00:00.000Z');
      const aid = new Aid({ rdb, dataDir: rdb.dataDir, regions, secret: SECRET, emit: () => {}, now: () => now });
      await aid.start();
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) {
        const n = nik();
        await aid.record([handout(A, { nik: n })], 'desa-a');
        ids.push((await aid.record([handout(B, { nik: n })], 'desa-b'))[0]!.alarmId!);
      }
      await aid.resolve(ids[0]!, { action: 'confirm', reason: 'sudah diperiksa' }, 'desa-a');
      now = new Date('2026-12-01T00:00:00.000Z');
      await aid.resolve(ids[1]!, { action: 'confirm', reason: 'sudah diperiksa' }, 'desa-a');
      expect(await purgeAidAlarmNames(rdb, '2026-11-15T00:00:00.000Z')).toBe(1);
      expect(await purgeAidAlarmNames(rdb, '2026-11-15T00:00:00.000Z')).toBe(0);
      const named = new Map((await aid.alarms(null, false)).map((a) => [a.id, a.name]));
      expect([named.get(ids[0]!), named.get(ids[1]!) !== '', named.get(ids[2]!) !== '']).toEqual(['', true, true]);
    } finally {
      await rdb.close();
    }
  });

  it('refuses to start with another HMAC secret than the one the keys were made with', async () => {
    const rdb = await freshDb(engine);
    try {
      await aidOn(rdb, rdb.dataDir);
      await expect(aidOn(rdb, rdb.dataDir, 'server-2', 'another-secret-0123456789abcdef')).rejects.toThrow(/HMAC secret differs/);
    } finally {
      await rdb.close();
    }
  });

  it('imports the aid journal of sessions 1–4 once: handouts, alarms with ack and resolution, audit; later handouts see them', async () => {
    const rdb = await freshDb(engine);
    try {
      const k = new AidKeys(Buffer.from(SECRET, 'utf8'));
      const [p1, p2] = [nik(), nik()];
      const line = (id: string, n: string, v: string, at: string) => ({ t: 'h', id, p: 'bst', d: '2026-11-28', v, at, by: 'desa', pk: keyHex(k.person(n)), kk: keyHex(k.household(kk())), nk: keyHex(k.nameBirth('Budi', '1990-07-12')) });
      const h1 = line(ulid(), p1, A, '2026-11-28T01:00:00.000Z');
      const h2 = line(ulid(), p1, B, '2026-11-28T02:00:00.000Z');
      const h3 = line(ulid(), p2, A, '2026-11-28T03:00:00.000Z');
      const h4 = line(ulid(), p2, C, '2026-11-28T04:00:00.000Z');
      const alarm = (id: number, h: typeof h1, other: typeof h1): AidAlarm => ({
        id, severity: 'critical', handoutId: h.id, programmeId: 'bst', period: '2026-11', villageCode: h.v, villageName: null, nikMasked: '351021******0001', name: 'Budi',
        matches: [{ kind: 'same_nik', severity: 'critical', programmeId: 'bst', period: '2026-11', villageCode: other.v, villageName: null, at: other.at, handoutId: null }],
        villages: [h.v, other.v], raisedAt: h.at, acknowledgedAt: null, acknowledgedBy: null, resolution: null,
      });
      const journal = [
        h1, h2, { t: 'a', alarm: alarm(7, h2, h1) }, { t: 'q', v: A, p: 'bst', by: 'desa', at: h2.at, matches: 1 },
        h3, h4, { t: 'a', alarm: alarm(8, h4, h3) }, { t: 'k', alarmId: 8, by: 'desa-c', at: '2026-11-28T05:00:00.000Z' },
        { t: 'r', alarmId: 8, action: 'cancel', reason: 'ganda', by: 'komando', at: '2026-11-28T06:00:00.000Z', cancelled: h4 },
      ].map((l) => JSON.stringify(l)).join('\n');
      const dir = join(rdb.dataDir, 'server', 'aid');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'journal.jsonl'), `${journal}\n{"t":"h","id":"torn`);
      writeFileSync(join(dir, 'index.snap'), 'SKAIDSNP…');

      expect(await aidLegacyImporter.run(rdb, rdb.dataDir)).toBe(4);
      expect(await aidLegacyImporter.run(rdb, rdb.dataDir)).toBe(0); // the journal is renamed: once only
      expect(existsSync(join(dir, 'journal.jsonl.imported'))).toBe(true);
      expect(existsSync(join(dir, 'index.snap'))).toBe(false);

      const { aid } = await aidOn(rdb, rdb.dataDir);
      expect((await aid.alarms(null, false)).map((a) => [a.id, a.acknowledgedBy, a.resolution?.action ?? null])).toEqual([[8, 'desa-c', 'cancel'], [7, null, null]]);
      expect((await aid.alarms(B, true)).map((a) => a.id)).toEqual([7]);
      expect((await aid.audit(C, 10)).map((e) => e.type)).toEqual(['resolve', 'ack', 'alarm', 'handout']);
      // Same secret, same keys: the imported handouts count; the cancelled one does not.
      expect((await aid.check({ programmeId: 'bst', nik: p1, villageCode: C, date: '2026-11-02' }, 'x')).matches.map((m) => m.villageCode)).toEqual([A, B]);
      expect((await aid.check({ programmeId: 'bst', nik: p2, villageCode: B, date: '2026-11-02' }, 'x')).matches.map((m) => m.villageCode)).toEqual([A]);
      // New alarm ids continue after the imported ones.
      const [next] = await aid.record([handout(C, { nik: p1 })], 'desa-c');
      expect(next!.alarmId).toBe(9);
    } finally {
      await rdb.close();
    }
  });

  it('cluster mode: each server imports its own journal; an alarm in both is one row, audited once, with the resolution only one knew', async () => {
    const rdb = await freshDb(engine);
    try {
      const k = new AidKeys(Buffer.from(SECRET, 'utf8'));
      const person = nik();
      const line = (id: string, v: string, at: string) => ({ t: 'h', id, p: 'bst', d: '2026-11-28', v, at, by: 'desa', pk: keyHex(k.person(person)), kk: null, nk: null });
      const h1 = line(ulid(), B, '2026-11-28T01:00:00.000Z'); // recorded on server 2
      const h2 = line(ulid(), A, '2026-11-28T02:00:00.000Z'); // the double, recorded on server 1
      const alarm: AidAlarm = {
        id: 11, severity: 'critical', handoutId: h2.id, programmeId: 'bst', period: '2026-11', villageCode: A, villageName: null, nikMasked: '351021******0001', name: 'Budi',
        matches: [{ kind: 'same_nik', severity: 'critical', programmeId: 'bst', period: '2026-11', villageCode: B, villageName: null, at: h1.at, handoutId: null }],
        villages: [A, B], raisedAt: h2.at, acknowledgedAt: null, acknowledgedBy: null, resolution: null,
      };
      const write = (server: string, lines: unknown[]) => {
        const dir = join(rdb.dataDir, server, 'server', 'aid');
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'journal.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
        return join(rdb.dataDir, server);
      };
      // Server 1 raised the alarm and was down when server 2 resolved it (cancelling server 1's handout).
      const d1 = write('server-1', [h2, { t: 'a', alarm }]);
      const d2 = write('server-2', [h1, { t: 'a', alarm }, { t: 'r', alarmId: 11, action: 'cancel', reason: 'ganda', by: 'desa-b', at: '2026-11-28T03:00:00.000Z', cancelled: h2 }]);
      expect(aidLegacyImporterFor('server-1').name).not.toBe(aidLegacyImporterFor('server-2').name);
      expect(await aidLegacyImporterFor('server-1').run(rdb, d1)).toBe(1);
      expect(await aidLegacyImporterFor('server-2').run(rdb, d2)).toBe(1);

      const { aid } = await aidOn(rdb, rdb.dataDir);
      expect((await aid.alarms(null, false)).map((a) => [a.id, a.resolution?.action ?? null, a.acknowledgedBy])).toEqual([[11, 'cancel', 'desa-b']]);
      expect((await aid.audit(null, 20)).filter((e) => e.alarmId === 11).map((e) => e.type).sort()).toEqual(['alarm', 'resolve']);
      expect((await aid.check({ programmeId: 'bst', nik: person, villageCode: C, date: '2026-11-02' }, 'x')).matches.map((m) => m.villageCode)).toEqual([B]);
    } finally {
      await rdb.close();
    }
  });
});
