/**
 * The storage suite, operations part (issue 15): users and sessions, dead letters, puskesmas reports,
 * personal-data retention and erasure, the upgrade imports of users.json and pending.jsonl, and an
 * online backup restored into a fresh place — the same tests on SQLite and PostgreSQL.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { DailyReport, Scan } from '@sk/protocol';
import { addUser, copyUsers, hashPassword, listUsers, removeUser, UserDirectory } from '../server/src/auth/users.ts';
import { DbSessionStore, tokenHash } from '../server/src/auth/sessions.ts';
import { usersJsonImporter } from '../server/src/auth/legacy-users.ts';
import { runLegacyImports } from '../server/src/db/legacy-import.ts';
import { openDatabase, type RecordsDb } from '../server/src/db/database.ts';
import { insertScans, scanToRow } from '../server/src/db/scan-rows.ts';
import { DeadLetters } from '../server/src/ingest/dead-letters.ts';
import { countPending, markStored, pendingReports, recordReports, reportedOn } from '../server/src/puskesmas/report-rows.ts';
import { puskesmasPendingImporter } from '../server/src/puskesmas/legacy-pending.ts';
import { eraseAidPersonData, erasePerson, purgePersonalData } from '../server/src/ops/personal-data.ts';
import { AidKeys } from '../server/src/aid/keys.ts';
import { backup, OpsError, restore } from '../server/src/ops/backup.ts';
import { recordsFile } from '../server/src/ops/records-location.ts';
import { Retention } from '../server/src/ops/retention.ts';
import { ENGINES, freshDb, freshPostgresUrl, stopPrivatePostgres, type EngineName } from './db-fixtures.ts';
import { makeScan, tempDir } from './server-fixtures.ts';

afterAll(stopPrivatePostgres);

/** A second handle on the same database: another server instance, or the CLI beside the server. */
const secondHandle = (rdb: RecordsDb & { dataDir: string; databaseUrl?: string }) => openDatabase({ databaseUrl: rdb.databaseUrl, sqliteFile: recordsFile(rdb.dataDir) });

const rowOf = (scan: Scan) => scanToRow({ scan, receivedAt: scan.scannedAt, eta: scan.scannedAt }, 37.5);

const report = (puskesmasId: string, date: string, newConfirmed = 1): DailyReport => ({ puskesmasId, date, suspects: 0, newConfirmed, recoveries: 0, deaths: 0, tests: 5 });

async function withDb<T>(engine: EngineName, fn: (rdb: Awaited<ReturnType<typeof freshDb>>) => Promise<T>): Promise<T> {
  const rdb = await freshDb(engine);
  try {
    return await fn(rdb);
  } finally {
    await rdb.close();
  }
}

describe.each(ENGINES)('users and sessions on %s', (engine) => {
  it('a user added through one instance signs in on another; replacing keeps one account; removing ends its sessions', () =>
    withDb(engine, async (a) => {
      const b = await secondHandle(a);
      try {
        await addUser(a, { username: 'bu-rina', role: 'village', villageCode: '35.10.21.2003', password: 'rahasia-sekali-1', displayName: 'Bu Rina' });
        const onB = await new UserDirectory(b).authenticate('bu-rina', 'rahasia-sekali-1');
        expect(onB).toEqual({ username: 'bu-rina', displayName: 'Bu Rina', role: 'village', villageCode: '35.10.21.2003' });
        expect(await new UserDirectory(b).authenticate('bu-rina', 'salah-sekali-123')).toBeNull();
        expect(await new UserDirectory(b).authenticate('nobody', 'rahasia-sekali-1')).toBeNull();

        await addUser(a, { username: 'bu-rina', role: 'command', password: 'rahasia-baru-22' });
        expect(await listUsers(b)).toEqual([{ username: 'bu-rina', displayName: 'bu-rina', role: 'command' }]);
        expect(await new UserDirectory(b).authenticate('bu-rina', 'rahasia-sekali-1')).toBeNull();

        const token = await new DbSessionStore(a).create(onB!);
        expect((await new DbSessionStore(b).get(token))?.role).toBe('command'); // the user's current role, read on every lookup
        expect(await removeUser(b, 'bu-rina')).toBe(true);
        expect(await new DbSessionStore(a).get(token)).toBeNull();
        expect(await removeUser(b, 'bu-rina')).toBe(false);
      } finally {
        await b.close();
      }
    }));

  it('keeps only the token hash, expires sessions on the clock and purges them; refuses malformed tokens', () =>
    withDb(engine, async (rdb) => {
      let now = new Date('2026-12-06T00:00:00.000Z');
      const store = new DbSessionStore(rdb, 3600_000, () => now);
      const { user } = await addUser(rdb, { username: 'komando', role: 'command', password: 'rahasia-sekali-1' });
      const token = await store.create(user);
      const rows = await rdb.db.selectFrom('sessions').selectAll().execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]!.token_hash).toBe(tokenHash(token));
      expect(JSON.stringify(rows)).not.toContain(token);
      expect(await store.get(token)).toEqual(user);

      now = new Date(now.getTime() + 3600_000);
      expect(await store.get(token)).toBeNull();
      const later = await store.create(user);
      expect(await store.purgeExpired()).toBe(0); // create already purged the expired one (first purge of this store)
      expect(await rdb.db.selectFrom('sessions').select('token_hash').execute()).toEqual([{ token_hash: tokenHash(later) }]);
      await store.destroy(later);
      expect(await store.get(later)).toBeNull();
      for (const bad of ['', 'x', `${'a'.repeat(30)}'; drop table sessions; --`, 'a'.repeat(500)]) expect(await store.get(bad)).toBeNull();
    }));

  it('imports a deployment’s users.json once, passwords unchanged, keeping accounts the database already has', () =>
    withDb(engine, async (rdb) => {
      await addUser(rdb, { username: 'komando', role: 'command', password: 'sudah-di-database' });
      const file = join(rdb.dataDir, 'server', 'users.json');
      mkdirSync(join(rdb.dataDir, 'server'), { recursive: true });
      const stored = async (username: string, password: string, extra = {}) => ({ username, displayName: `Pak ${username}`, role: 'village', villageCode: '35.10.21.2003', passwordHash: await hashPassword(password), createdAt: '2026-01-01T00:00:00.000Z', ...extra });
      writeFileSync(file, JSON.stringify({ users: [await stored('desa', 'kata-sandi-lama'), await stored('komando', 'dari-file-lama', { role: 'command', villageCode: undefined })] }));
      expect(await runLegacyImports(rdb, rdb.dataDir, [usersJsonImporter])).toEqual({ imported: { 'users-json': 1 }, failed: [] });
      expect(await new UserDirectory(rdb).authenticate('desa', 'kata-sandi-lama')).toMatchObject({ displayName: 'Pak desa', villageCode: '35.10.21.2003' });
      expect(await new UserDirectory(rdb).authenticate('komando', 'sudah-di-database')).not.toBeNull();
      expect(existsSync(file)).toBe(false);
      expect(existsSync(`${file}.imported`)).toBe(true);
      expect(await runLegacyImports(rdb, rdb.dataDir, [usersJsonImporter])).toEqual({ imported: {}, failed: [] });
    }));
});

describe.each(ENGINES)('the accounts of a 0.1.0 deployment on %s', (engine) => {
  it('imports tests/fixtures/legacy-v0.1’s users.json: its demo logins sign in with their passwords', () =>
    withDb(engine, async (rdb) => {
      const fixture = join(import.meta.dirname, 'fixtures', 'legacy-v0.1');
      mkdirSync(join(rdb.dataDir, 'server'), { recursive: true });
      cpSync(join(fixture, 'server', 'users.json'), join(rdb.dataDir, 'server', 'users.json'));
      expect((await runLegacyImports(rdb, rdb.dataDir, [usersJsonImporter])).imported).toEqual({ 'users-json': 2 });
      const accounts = readFileSync(join(fixture, 'accounts.txt'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
      expect(accounts.map((a) => a[0])).toEqual(['komando', 'desa']);
      for (const [username, password] of accounts) expect(await new UserDirectory(rdb).authenticate(username!, password!)).toMatchObject({ username });
      expect(await new UserDirectory(rdb).authenticate('desa', 'salah-salah-salah')).toBeNull();
    }));
});

describe.each(ENGINES)('dead letters on %s', (engine) => {
  it('a flood is counted whole but written in bounded batches, without payloads, newest first', () =>
    withDb(engine, async (rdb) => {
      const dl = new DeadLetters({ rdb, maxBuffered: 100, maxReasons: 3 });
      for (let i = 0; i < 1000; i++) dl.add({ topic: 'sk/v1/checkpoints/ketapang/devices/evil-01/scans', reason: `r${i % 5}`, message: `bad ${i}`, receivedAt: new Date(Date.UTC(2026, 11, 1, 0, 0, i)).toISOString() });
      expect(dl.total).toBe(1000);
      expect([...dl.byReason.values()].reduce((a, b) => a + b, 0)).toBe(1000);
      expect([...dl.byReason.keys()].sort()).toEqual(['other', 'r0', 'r1', 'r2']); // bounded: later reasons fold into "other"
      expect((await dl.list(3)).map((d) => d.message)).toEqual(['bad 99', 'bad 98', 'bad 97']); // still buffered
      await dl.flush();
      expect(dl.notRecorded).toBe(900);
      const n = await rdb.db.selectFrom('dead_letters').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(Number(n.n)).toBe(100);
      expect((await dl.list(2)).map((d) => d.message)).toEqual(['bad 99', 'bad 98']);
      dl.add({ topic: 't', reason: 'r0', message: 'later', receivedAt: '2026-12-02T00:00:00.000Z' });
      await dl.stop();
      expect((await dl.list(1))[0]).toEqual({ topic: 't', reason: 'r0', message: 'later', receivedAt: '2026-12-02T00:00:00.000Z' });
    }));

  it('keeps the last keepDays days and at most keepRows rows', () =>
    withDb(engine, async (rdb) => {
      const now = new Date('2026-12-31T00:00:00.000Z');
      const dl = new DeadLetters({ rdb, keepDays: 30, keepRows: 20, now: () => now });
      for (let day = 0; day < 40; day++) dl.add({ topic: 't', reason: 'r', message: `d${day}`, receivedAt: new Date(now.getTime() - (40 - day) * 86_400_000 + 1000).toISOString() });
      await dl.flush();
      expect(await dl.prune()).toBe(20);
      const left = (await dl.list(100)).map((d) => d.message);
      expect(left).toHaveLength(20);
      expect(left[0]).toBe('d39');
      expect(left.at(-1)).toBe('d20');
      const dl2 = new DeadLetters({ rdb, keepDays: 30, keepRows: 100, now: () => now });
      expect(await dl2.prune()).toBe(0);
      const dl3 = new DeadLetters({ rdb, keepDays: 15, keepRows: 100, now: () => now });
      expect(await dl3.prune()).toBe(5); // d20..d24 are older than 15 days
    }));
});

describe.each(ENGINES)('puskesmas reports on %s', (engine) => {
  it('records reports pending, a correction replaces the first, and a correction made during a write stays pending', () =>
    withDb(engine, async (rdb) => {
      await recordReports(rdb, [report('sobo', '2026-12-01', 3), report('kelir', '2026-12-01'), report('sobo', '2026-12-01', 4)], 'dinkes', '2026-12-01T01:00:00.000Z');
      expect(await countPending(rdb)).toBe(2);
      const writing = await pendingReports(rdb);
      expect(writing.find((r) => r.report.puskesmasId === 'sobo')!.report.newConfirmed).toBe(4);
      // While those are written to InfluxDB, sobo sends a correction.
      await recordReports(rdb, [report('sobo', '2026-12-01', 5)], null, '2026-12-01T01:00:01.000Z');
      await markStored(rdb, writing);
      const still = await pendingReports(rdb);
      expect(still.map((r) => [r.report.puskesmasId, r.report.newConfirmed])).toEqual([['sobo', 5]]);
      await markStored(rdb, still);
      expect(await countPending(rdb)).toBe(0);
      expect([...(await reportedOn(rdb, '2026-12-01'))].sort()).toEqual(['kelir', 'sobo']);
      expect((await reportedOn(rdb, '2026-12-02')).size).toBe(0);
    }));

  it('imports the pending.jsonl of a deployment once (a torn last line skipped), keeping newer reports', () =>
    withDb(engine, async (rdb) => {
      await recordReports(rdb, [report('sobo', '2026-12-01', 9)], null, '2026-12-02T00:00:00.000Z');
      const dir = join(rdb.dataDir, 'server', 'puskesmas');
      mkdirSync(dir, { recursive: true });
      const lines = [report('kelir', '2026-12-01', 1), report('kelir', '2026-12-01', 2), report('sobo', '2026-12-01', 1)].map((r) => JSON.stringify(r));
      writeFileSync(join(dir, 'pending.jsonl'), `${lines.join('\n')}\n{"puskesmasId":"gla`);
      expect(await runLegacyImports(rdb, rdb.dataDir, [puskesmasPendingImporter])).toEqual({ imported: { 'puskesmas-pending': 1 }, failed: [] });
      const pending = (await pendingReports(rdb)).map((r) => [r.report.puskesmasId, r.report.newConfirmed]).sort();
      expect(pending).toEqual([['kelir', 2], ['sobo', 9]]);
      expect(readdirSync(dir)).toEqual(['pending.jsonl.imported']);
    }));
});

describe.each(ENGINES)('personal data on %s', (engine) => {
  const at = (day: number) => new Date(Date.UTC(2026, 10, 1) + day * 86_400_000).toISOString();

  it('the retention purge clears the personal columns of scans older than the period, in bounded batches, and nothing else', () =>
    withDb(engine, async (rdb) => {
      const scans = Array.from({ length: 40 }, (_, i) => makeScan(i + 1, { scannedAt: at(i) }));
      await insertScans(rdb, scans.map(rowOf));
      const now = () => new Date(at(40 + 28 - 10)); // cutoff = day 30: scans of days 0..29 are past it
      const first = await purgePersonalData(rdb, { retentionDays: 28, now, batch: 7, maxBatches: 2 });
      expect(first).toEqual({ cutoff: at(30), cleared: 14, more: true });
      const rest = await purgePersonalData(rdb, { retentionDays: 28, now, batch: 7 });
      expect(rest).toMatchObject({ cleared: 16, more: false });
      expect((await purgePersonalData(rdb, { retentionDays: 28, now })).cleared).toBe(0);

      const rows = await rdb.db.selectFrom('scans').selectAll().orderBy('scanned_at').execute();
      for (const [i, r] of rows.entries()) {
        const personal = [r.nik, r.name, r.sex, r.birth_date, r.origin_address];
        if (i < 30) {
          expect(personal).toEqual([null, null, null, null, null]);
          expect(r.pii_cleared_at).toBe(now().toISOString());
        } else {
          expect(personal).toEqual([scans[i]!.nik, scans[i]!.name, scans[i]!.sex, scans[i]!.birthDate, scans[i]!.originAddress]);
          expect(r.pii_cleared_at).toBeNull();
        }
        // The rest of the row stays: counts, arrivals and series are unchanged.
        expect([r.scan_id, r.checkpoint_id, r.dest_village, r.temperature_c, r.health, r.origin_regency]).toEqual([scans[i]!.scanId, 'ketapang', scans[i]!.destinationVillageCode, scans[i]!.health.temperatureC, 'sehat', '35.10']);
      }
    }));

  it('erasing a person clears every scan holding their NIK and reports counts; others keep theirs', () =>
    withDb(engine, async (rdb) => {
      const nik = makeScan(3).nik;
      const theirs = [makeScan(3, { scannedAt: at(1) }), makeScan(3, { scannedAt: at(2) })];
      const others = [makeScan(4), makeScan(5)];
      await insertScans(rdb, [...theirs, ...others].map(rowOf));
      const t = '2026-12-01T00:00:00.000Z';
      const alert = (scanId: string, subject: string) => ({ rule: 'fever', severity: 'major', subject_key: subject, state: 'active', open_key: `fever|${subject}`, village_code: null, checkpoint_id: 'ketapang', scan_id: scanId, count: 1, raised_at: t, updated_at: t, acked_at: null, acked_by: null, cleared_at: null, cleared_by: null, body: '{}' });
      // Their alert and follow-up carry their person key (an HMAC of the NIK); another person's do too.
      await rdb.db.insertInto('alerts').values([alert(theirs[0]!.scanId, 'pk-theirs'), alert(others[0]!.scanId, 'pk-other')]).execute();
      const followUp = (scanId: string, key: string) => ({ person_key: key, open_key: key, scan_id: scanId, last_scan_id: scanId, reason: 'fever', priority: 2, village_code: '35.10.21.2003', district_code: '35.10.21', checkpoint_id: 'ketapang', state: 'baru', alert_id: null, count: 1, created_at: t, updated_at: t, due_at: t, updated_by: null, body: '{}' });
      const [fu] = await rdb.db.insertInto('follow_ups').values([followUp(theirs[0]!.scanId, 'pk-theirs'), followUp(others[0]!.scanId, 'pk-other')]).returning('id').execute();
      await rdb.db.insertInto('follow_up_scans').values({ scan_id: theirs[1]!.scanId, follow_up_id: fu!.id }).execute();
      const r = await erasePerson(rdb, nik, new Date(t));
      expect(r).toEqual({ scans: 2, alerts: 1, followUps: 1, quarantineAssignments: 0 });
      // Their alert and follow-up keep only scan ids: the person key is gone, the others' stays.
      expect((await rdb.db.selectFrom('alerts').select(['scan_id', 'subject_key', 'open_key']).orderBy('id').execute())).toEqual([
        { scan_id: theirs[0]!.scanId, subject_key: `erased:${theirs[0]!.scanId}`, open_key: `fever|erased:${theirs[0]!.scanId}` },
        { scan_id: others[0]!.scanId, subject_key: 'pk-other', open_key: 'fever|pk-other' },
      ]);
      expect((await rdb.db.selectFrom('follow_ups').select(['person_key', 'open_key']).orderBy('id').execute())).toEqual([
        { person_key: `erased:${fu!.id}`, open_key: `erased:${fu!.id}` },
        { person_key: 'pk-other', open_key: 'pk-other' },
      ]);
      expect(await rdb.db.selectFrom('scans').select('scan_id').where('nik', '=', nik).execute()).toEqual([]);
      const cleared = await rdb.db.selectFrom('scans').selectAll().where('scan_id', 'in', theirs.map((s) => s.scanId)).execute();
      expect(cleared.every((c) => c.name === null && c.birth_date === null && c.origin_address === null && c.pii_cleared_at === t)).toBe(true);
      const kept = await rdb.db.selectFrom('scans').select(['nik', 'name']).where('scan_id', 'in', others.map((s) => s.scanId)).orderBy('seq').execute();
      expect(kept).toEqual(others.map((s) => ({ nik: s.nik, name: s.name })));
      expect(await erasePerson(rdb, nik)).toEqual({ scans: 0, alerts: 0, followUps: 0, quarantineAssignments: 0 });
    }));
});

describe.each(ENGINES)('the hourly retention feature on %s', (engine) => {
  it('clears personal data past PII_RETENTION_DAYS, expired sessions and old dead letters, on the injected clock', () =>
    withDb(engine, async (rdb) => {
      let now = new Date('2026-12-01T00:00:00.000Z');
      const clock = () => now;
      const day = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();
      await insertScans(rdb, [makeScan(1, { scannedAt: day(29) }), makeScan(2, { scannedAt: day(27) })].map(rowOf));
      const sessions = new DbSessionStore(rdb, 3600_000, clock);
      const { user } = await addUser(rdb, { username: 'komando', role: 'command', password: 'rahasia-sekali-1' });
      await sessions.create(user);
      const deadLetters = new DeadLetters({ rdb, now: clock });
      deadLetters.add({ topic: 't', reason: 'r', message: 'old', receivedAt: day(31) });
      deadLetters.add({ topic: 't', reason: 'r', message: 'new', receivedAt: day(1) });
      await deadLetters.flush();
      const log = { info: () => {}, warn: () => {}, debug: () => {}, error: () => {} } as never;
      const retention = new Retention({ rdb, retentionDays: 28, log, sessions, deadLetters, now: clock });

      expect(await retention.runOnce()).toMatchObject({ pii: { cleared: 1 }, sessions: 0, deadLetters: 1 });
      expect((await rdb.db.selectFrom('scans').select('seq').where('nik', 'is not', null).execute()).map((r) => Number(r.seq))).toEqual([2]);
      now = new Date(now.getTime() + 2 * 86_400_000); // two days on: the second scan passes 28 days, the session expired
      expect(await retention.runOnce()).toMatchObject({ pii: { cleared: 1 }, sessions: 1, deadLetters: 0 });
      expect(await rdb.db.selectFrom('scans').select('seq').where('nik', 'is not', null).execute()).toEqual([]);
      expect(await rdb.db.selectFrom('sessions').selectAll().execute()).toEqual([]);
    }));
});

describe.each(ENGINES)('erasing a person from aid on %s', (engine) => {
  it('blanks the masked NIK and name on their alarms with the server’s aid secret; refuses another secret', () =>
    withDb(engine, async (rdb) => {
      const secret = 'rahasia-aid-yang-panjang-sekali';
      const keys = new AidKeys(Buffer.from(secret, 'utf8'));
      const nik = makeScan(7).nik;
      expect(await eraseAidPersonData(rdb, nik, { fromEnv: secret, dataDir: rdb.dataDir })).toEqual({ skipped: 'no-aid' });
      await rdb.db.insertInto('meta').values({ key: 'aid:secret-fingerprint', value: keys.fingerprint() }).execute();
      const t = '2026-12-01T00:00:00.000Z';
      const handout = (id: string, personKey: string) => ({ handout_id: id, programme_id: 'blt-dd', period: '2026-12', village_code: '35.10.21.2003', person_key: personKey, household_key: null, name_dob_key: null, handed_at: t, status: 'double', recorded_by: 'desa', body: '{}' });
      await rdb.db.insertInto('aid_handouts').values([handout('h1', keys.hex(nik).person), handout('h2', keys.hex(makeScan(8).nik).person)]).execute();
      const alarm = (h: string) => ({ state: 'active', severity: 'critical', open_key: h, handout_id: h, raised_at: t, updated_at: t, body: JSON.stringify({ nikMasked: '351021********01', name: 'Pelancong' }) });
      await rdb.db.insertInto('aid_alarms').values([alarm('h1'), alarm('h2')]).execute();

      expect(await eraseAidPersonData(rdb, nik, { fromEnv: 'another-secret-of-16-chars', dataDir: rdb.dataDir })).toEqual({ skipped: 'other-secret' });
      expect(await eraseAidPersonData(rdb, nik, { dataDir: rdb.dataDir })).toEqual({ skipped: 'no-secret' });
      expect(await eraseAidPersonData(rdb, nik, { fromEnv: secret, dataDir: rdb.dataDir })).toEqual({ alarms: 1 });
      const bodies = (await rdb.db.selectFrom('aid_alarms').select(['handout_id', 'body']).orderBy('handout_id').execute()).map((r) => [r.handout_id, JSON.parse(r.body)]);
      expect(bodies).toEqual([['h1', { nikMasked: '', name: '' }], ['h2', { nikMasked: '351021********01', name: 'Pelancong' }]]);
    }));
});

/** Every table's rows in a stable order, for comparing two databases. */
async function dump(rdb: RecordsDb, table: string): Promise<unknown[]> {
  const r = await sql<Record<string, unknown>>`select * from ${sql.table(table)} order by 1`.execute(rdb.db);
  return r.rows.map((row) => ({ ...row }));
}

async function tables(rdb: RecordsDb): Promise<string[]> {
  const q = rdb.engine === 'postgres'
    ? sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() order by 1`
    : sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by 1`;
  return (await q.execute(rdb.db)).rows.map((r) => r.name);
}

describe.each(ENGINES)('backup and restore on %s', (engine) => {
  it('an online backup taken while scans keep arriving restores into a fresh place with every table consistent', () =>
    withDb(engine, async (rdb) => {
      await addUser(rdb, { username: 'komando', role: 'command', password: 'rahasia-sekali-1' });
      const { user } = await addUser(rdb, { username: 'desa', role: 'village', villageCode: '35.10.21.2003', password: 'rahasia-sekali-2' });
      await new DbSessionStore(rdb).create(user);
      const dl = new DeadLetters({ rdb });
      for (let i = 0; i < 30; i++) dl.add({ topic: 't', reason: 'schema', message: `m${i}`, receivedAt: new Date(Date.UTC(2026, 11, 1, 0, i)).toISOString() });
      await dl.stop();
      await recordReports(rdb, [report('sobo', '2026-12-01'), report('kelir', '2026-12-01')], 'komando', '2026-12-01T08:00:00.000Z');

      // A writer keeps committing batches of 20 scans while the backup runs.
      const BATCH = 20;
      let seq = 0;
      let stop = false;
      const writer = (async () => {
        for (let b = 0; b < 400 && !stop; b++) {
          await insertScans(rdb, Array.from({ length: BATCH }, () => rowOf(makeScan(++seq))));
          await new Promise((r) => setImmediate(r));
        }
      })();
      const until = Date.now() + 10_000;
      while (seq < 5 * BATCH && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
      const before = seq;
      const dir = tempDir('backup');
      const file = join(dir, 'records.backup');
      const made = await backup({ dataDir: rdb.dataDir, databaseUrl: rdb.databaseUrl }, file);
      stop = true;
      await writer;
      expect(made.bytes).toBeGreaterThan(0);
      await expect(backup({ dataDir: rdb.dataDir, databaseUrl: rdb.databaseUrl }, file)).rejects.toThrow(OpsError); // never overwrites

      const target = { dataDir: join(dir, 'restored'), databaseUrl: engine === 'postgres' ? await freshPostgresUrl() : undefined };
      await restore(target, file);
      await expect(restore(target, file)).rejects.toThrow(/not empty/);
      const restored = await openDatabase({ databaseUrl: target.databaseUrl, sqliteFile: recordsFile(target.dataDir) });
      try {
        expect(await tables(restored)).toEqual(await tables(rdb));
        for (const t of await tables(rdb)) {
          if (t === 'scans') continue;
          expect({ t, rows: await dump(restored, t) }).toEqual({ t, rows: await dump(rdb, t) });
        }
        // Scans: a whole number of committed batches, at least those committed before the backup began,
        // each row exactly as in the source.
        const got = (await restored.db.selectFrom('scans').selectAll().orderBy('seq').execute()).map((r) => ({ ...r }));
        expect(got.length).toBeGreaterThanOrEqual(before);
        expect(got.length % BATCH).toBe(0);
        expect(got.map((r) => Number(r.seq))).toEqual(Array.from({ length: got.length }, (_, i) => i + 1));
        const source = (await rdb.db.selectFrom('scans').selectAll().orderBy('seq').limit(got.length).execute()).map((r) => ({ ...r }));
        expect(got).toEqual(source);
        expect(await new UserDirectory(restored).authenticate('desa', 'rahasia-sekali-2')).toMatchObject({ villageCode: '35.10.21.2003' });
      } finally {
        await restored.close();
      }
    }), 60_000);

  it('restore refuses a file that is not a backup, and a backup of the other engine', async () => {
    const dir = tempDir('restore-bad');
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, 'definitely not a database');
    await expect(restore({ dataDir: join(dir, 'a') }, junk)).rejects.toThrow(/not a backup/);
    await expect(restore({ dataDir: join(dir, 'a') }, join(dir, 'missing'))).rejects.toThrow(/no such file/);
    if (engine === 'sqlite') {
      await withDb('sqlite', async (rdb) => {
        const file = join(dir, 'sqlite.backup');
        await backup({ dataDir: rdb.dataDir }, file);
        await expect(restore({ dataDir: join(dir, 'b'), databaseUrl: 'postgres://u:p@127.0.0.1:1/x' }, file)).rejects.toThrow(/SQLite backup but DATABASE_URL is set/);
      });
    }
  });
});

describe('copying accounts between databases that are not shared', () => {
  it('copies every account with its hash', () =>
    withDb('sqlite', async (a) =>
      withDb('sqlite', async (b) => {
        await addUser(a, { username: 'komando', role: 'command', password: 'rahasia-sekali-1' });
        expect(await copyUsers(a, b)).toBe(1);
        expect(await new UserDirectory(b).authenticate('komando', 'rahasia-sekali-1')).not.toBeNull();
      }),
    ));
});
