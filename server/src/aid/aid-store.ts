/**
 * Social aid in the database of record (issue 15): handouts, alarms, the villages each alarm involves,
 * and the audit trail, on SQLite or PostgreSQL. Keys are HMACs (keys.ts); no NIK, KK or birth date here.
 *
 * A handout's double check and its insert happen in ONE transaction, and the database decides:
 * - SQLite has one writer at a time (`BEGIN IMMEDIATE`), and one server owns the file: a batch sees
 *   every handout committed before it and the earlier ones of its own batch.
 * - PostgreSQL (cluster mode, several servers): the transaction first takes a transaction-scoped
 *   advisory lock on each key the batch touches (person, household, name + birth date), in one global
 *   order (by the lock's number), so no two batches deadlock. Two servers recording the same person,
 *   household or name at the same moment are therefore serialised on that key; the second one's
 *   query (READ COMMITTED: after the lock, it sees the first one's commit) finds the first handout and
 *   raises the one alarm. Chosen over a unique index because a double is not only "same key, same
 *   programme and period" but also a forbidden combination across programmes (and a possible double
 *   under another NIK), which no single unique index expresses, and a double is recorded (status
 *   `double`), not refused; chosen over SERIALIZABLE because that would abort and retry whole batches
 *   on unrelated keys sharing index pages.
 * Batches: the caller groups concurrent handouts into one transaction (group commit, aid.ts), so the
 * fsync (SQLite `synchronous = FULL`) is paid once per batch.
 */
import type SQLite from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import type { RecordsDb } from '../db/database.ts';
import type { AidHandoutsTable, Database } from '../db/schema.ts';
import { doubleMatches, periodsOf, type DoubleQuery, type EarlierHandout, type RawMatch } from './double-rules.ts';

/** A handout to insert: its aid_handouts row but the status (decided by the double check). */
export type HandoutRow = Omit<AidHandoutsTable, 'status'>;

export interface AuditInsert {
  alarm_id: number | null;
  handout_id: string | null;
  at: string;
  by: string | null;
  action: string;
  village_code: string | null;
  /** JSON: { detail } */
  body: string;
}

/** One handout to record, with what the store needs to raise its alarm. */
export interface PendingHandout {
  row: HandoutRow;
  /** The handout day (selects the periods). */
  date: string;
  /** The alarm for these matches: its severity, body (JSON) and the villages involved. */
  alarm(matches: RawMatch[]): { severity: string; body: string; villages: string[]; detail: string };
}

export type RecordOutcome =
  | { status: 'redelivered'; existing: { recorded_by: string | null; handed_at: string; body: string } }
  | { status: 'recorded' | 'double'; matches: RawMatch[]; alarmId: number | null };

type Existing = { handout_id: string; recorded_by: string | null; handed_at: string; body: string };

/**
 * The store's operations inside one transaction, the same for both engines. Reads and inserts take the
 * whole batch: on PostgreSQL each is one statement (a round trip per handout and statement cost ~6 ms a
 * handout); on SQLite they loop over prepared statements (in process, microseconds each).
 */
interface TxOps {
  lock(keys: string[]): Promise<void>;
  /** The batch's handout ids already stored. */
  existing(ids: string[]): Promise<Map<string, Existing>>;
  /** Per pending handout, the stored handouts (not cancelled) sharing one of its keys in a period that counts. */
  earlier(batch: readonly PendingHandout[]): Promise<EarlierHandout[][]>;
  insertHandouts(rows: { row: HandoutRow; status: string }[]): Promise<void>;
  insertAlarm(a: { severity: string; handout_id: string; raised_at: string; body: string }): Promise<number>;
  insertAlarmVillages(alarmId: number, villages: string[]): Promise<void>;
  insertAudits(rows: AuditInsert[]): Promise<void>;
}

/** Periods go in three fixed parameters (one prepared statement); a query has at most one per period kind. */
const PERIOD_SLOTS = 3;
const pad = (ps: string[]) => [...ps, ...Array(PERIOD_SLOTS - ps.length).fill(ps[0])].slice(0, PERIOD_SLOTS);

function earlierQuery(db: Kysely<Database>, periods: string[], person: string, household: string | null, name: string | null) {
  return db
    .selectFrom('aid_handouts')
    .select(['handout_id', 'programme_id', 'period', 'village_code', 'person_key', 'household_key', 'name_dob_key', 'handed_at'])
    .where('status', '<>', 'cancelled')
    .where('period', 'in', pad(periods))
    .where((eb) => eb.or([eb('person_key', '=', person), eb('household_key', '=', household as string), eb('name_dob_key', '=', name as string)]))
    .orderBy('handed_at')
    .orderBy('handout_id');
}

const handoutValues = (r: HandoutRow, status: string) => ({ ...r, status });

/** Prepared statements per better-sqlite3 handle (compiled once from the same Kysely queries). */
const prepared = new WeakMap<SQLite.Database, Record<'find' | 'earlier' | 'handout' | 'alarm' | 'village' | 'audit', SQLite.Statement>>();

function statements(db: Kysely<Database>, raw: SQLite.Database) {
  let s = prepared.get(raw);
  if (!s) {
    const h: HandoutRow = { handout_id: '', programme_id: '', period: '', village_code: '', person_key: '', household_key: null, name_dob_key: null, handed_at: '', recorded_by: null, body: '' };
    s = {
      find: raw.prepare(db.selectFrom('aid_handouts').select(['recorded_by', 'handed_at', 'body']).where('handout_id', '=', '').compile().sql),
      earlier: raw.prepare(earlierQuery(db, ['', '', ''], '', '', '').compile().sql),
      handout: raw.prepare(db.insertInto('aid_handouts').values(handoutValues(h, '')).compile().sql),
      alarm: raw.prepare(db.insertInto('aid_alarms').values({ state: 'active', severity: '', open_key: '', handout_id: '', raised_at: '', updated_at: '', body: '' }).compile().sql),
      village: raw.prepare(db.insertInto('aid_alarm_villages').values({ village_code: '', alarm_id: 0 }).onConflict((oc) => oc.doNothing()).compile().sql),
      audit: raw.prepare(db.insertInto('aid_audit').values({ alarm_id: null, handout_id: null, at: '', by: null, action: '', body: '', village_code: null }).compile().sql),
    };
    prepared.set(raw, s);
  }
  return s;
}

function sqliteOps(db: Kysely<Database>, raw: SQLite.Database): TxOps {
  const st = statements(db, raw);
  return {
    lock: async () => {}, // one writer: BEGIN IMMEDIATE holds the database
    existing: async (ids) => {
      const out = new Map<string, Existing>();
      for (const id of ids) {
        const r = st.find.get(id) as Omit<Existing, 'handout_id'> | undefined;
        if (r) out.set(id, { handout_id: id, ...r });
      }
      return out;
    },
    earlier: async (batch) => batch.map((p) => st.earlier.all('cancelled', ...pad(periodsOf(p.row.programme_id, p.date)), p.row.person_key, p.row.household_key, p.row.name_dob_key) as EarlierHandout[]),
    insertHandouts: async (rows) => {
      for (const { row: r, status } of rows) st.handout.run(r.handout_id, r.programme_id, r.period, r.village_code, r.person_key, r.household_key, r.name_dob_key, r.handed_at, r.recorded_by, r.body, status);
    },
    insertAlarm: async (a) => Number(st.alarm.run('active', a.severity, a.handout_id, a.handout_id, a.raised_at, a.raised_at, a.body).lastInsertRowid),
    insertAlarmVillages: async (id, vs) => {
      for (const v of vs) st.village.run(v, id);
    },
    insertAudits: async (rows) => {
      for (const a of rows) st.audit.run(a.alarm_id, a.handout_id, a.at, a.by, a.action, a.body, a.village_code);
    },
  };
}

/** Rows per multi-row INSERT on PostgreSQL (11 parameters each; the protocol allows 65,535 per statement). */
const PG_ROWS = 1000;

function postgresOps(trx: Kysely<Database>): TxOps {
  return {
    // The lock numbers sorted: every transaction takes its locks in the same order (no deadlock).
    lock: async (keys) => {
      if (keys.length === 0) return;
      await sql`select pg_advisory_xact_lock(h) from (select distinct hashtextextended('sk-aid:' || k, 0) as h from unnest(${keys}::text[]) as k order by h offset 0) as locks`.execute(trx);
    },
    existing: async (ids) => {
      const rows = await trx.selectFrom('aid_handouts').select(['handout_id', 'recorded_by', 'handed_at', 'body']).where('handout_id', 'in', ids).execute();
      return new Map(rows.map((r) => [r.handout_id, r]));
    },
    // One query for the whole batch, then each handout's rows by its keys (the rules filter programme and period).
    earlier: async (batch) => {
      const uniq = (xs: (string | null)[]) => [...new Set(xs.filter((x): x is string => x !== null))];
      const persons = uniq(batch.map((p) => p.row.person_key));
      const households = uniq(batch.map((p) => p.row.household_key));
      const names = uniq(batch.map((p) => p.row.name_dob_key));
      const periods = uniq(batch.flatMap((p) => periodsOf(p.row.programme_id, p.date)));
      const rows = await trx
        .selectFrom('aid_handouts')
        .select(['handout_id', 'programme_id', 'period', 'village_code', 'person_key', 'household_key', 'name_dob_key', 'handed_at'])
        .where('status', '<>', 'cancelled')
        .where('period', 'in', periods)
        .where((eb) => eb.or([eb('person_key', 'in', persons), ...(households.length ? [eb('household_key', 'in', households)] : []), ...(names.length ? [eb('name_dob_key', 'in', names)] : [])]))
        .orderBy('handed_at')
        .orderBy('handout_id')
        .execute();
      const byKey = new Map<string, EarlierHandout[]>();
      const add = (k: string | null, r: EarlierHandout) => k !== null && (byKey.get(k) ?? byKey.set(k, []).get(k)!).push(r);
      for (const r of rows) {
        add(r.person_key, r);
        if (r.household_key !== r.person_key) add(r.household_key, r);
        if (r.name_dob_key !== r.person_key && r.name_dob_key !== r.household_key) add(r.name_dob_key, r);
      }
      return batch.map((p) => [...new Set([p.row.person_key, p.row.household_key, p.row.name_dob_key].flatMap((k) => (k === null ? [] : (byKey.get(k) ?? []))))]);
    },
    insertHandouts: async (rows) => {
      for (let i = 0; i < rows.length; i += PG_ROWS) await trx.insertInto('aid_handouts').values(rows.slice(i, i + PG_ROWS).map((r) => handoutValues(r.row, r.status))).execute();
    },
    insertAlarm: async (a) => {
      const got = await trx.insertInto('aid_alarms').values({ state: 'active', severity: a.severity, open_key: a.handout_id, handout_id: a.handout_id, raised_at: a.raised_at, updated_at: a.raised_at, body: a.body }).returning('id').executeTakeFirstOrThrow();
      return Number(got.id);
    },
    insertAlarmVillages: async (id, vs) => void (await trx.insertInto('aid_alarm_villages').values(vs.map((v) => ({ village_code: v, alarm_id: id }))).onConflict((oc) => oc.doNothing()).execute()),
    insertAudits: async (rows) => {
      for (let i = 0; i < rows.length; i += PG_ROWS) await trx.insertInto('aid_audit').values(rows.slice(i, i + PG_ROWS)).execute();
    },
  };
}

/** Runs `fn` in one write transaction on either engine. */
export async function inTransaction<T>(rdb: RecordsDb, fn: (ops: TxOps) => Promise<T>): Promise<T> {
  if (rdb.exclusive) {
    return rdb.exclusive(async (raw) => {
      raw.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(sqliteOps(rdb.db, raw));
        raw.exec('COMMIT');
        return out;
      } catch (e) {
        if (raw.inTransaction) raw.exec('ROLLBACK');
        throw e;
      }
    });
  }
  return rdb.db.transaction().execute((trx) => fn(postgresOps(trx)));
}

const queryOf = (p: PendingHandout): DoubleQuery => ({ programmeId: p.row.programme_id, date: p.date, personKey: p.row.person_key, householdKey: p.row.household_key, nameKey: p.row.name_dob_key, handoutId: p.row.handout_id });

/**
 * Records a batch in one transaction (durable when it resolves): each handout is checked against every
 * handout committed before it and the batch's earlier ones, inserted as `recorded` or `double`, with its
 * alarm and audit rows. A handout id already stored is a redelivery: nothing is written but an audit row.
 */
export async function recordHandouts(rdb: RecordsDb, batch: readonly PendingHandout[]): Promise<RecordOutcome[]> {
  if (batch.length === 0) return [];
  return inTransaction(rdb, async (tx) => {
    await tx.lock([...new Set(batch.flatMap((p) => [p.row.person_key, p.row.household_key, p.row.name_dob_key].filter((k): k is string => k !== null)))]);
    const stored = await tx.existing(batch.map((p) => p.row.handout_id));
    const earlier = await tx.earlier(batch);
    /** The batch's own handouts recorded so far: a later one in the same batch is checked against them too. */
    const mine: EarlierHandout[] = [];
    const handouts: { row: HandoutRow; status: string }[] = [];
    const audits: AuditInsert[] = [];
    const out: RecordOutcome[] = [];
    for (const [i, p] of batch.entries()) {
      const r = p.row;
      const existing = stored.get(r.handout_id);
      if (existing) {
        audits.push({ alarm_id: null, handout_id: r.handout_id, at: r.handed_at, by: r.recorded_by, action: 'redelivered', village_code: r.village_code, body: '{"detail":""}' });
        out.push({ status: 'redelivered', existing });
        continue;
      }
      const keys = [r.person_key, r.household_key, r.name_dob_key];
      const own = mine.filter((e) => keys.includes(e.person_key) || (e.household_key !== null && keys.includes(e.household_key)) || (e.name_dob_key !== null && keys.includes(e.name_dob_key)));
      const matches = doubleMatches(queryOf(p), own.length ? [...earlier[i]!, ...own] : earlier[i]!);
      const status = matches.length ? 'double' : 'recorded';
      handouts.push({ row: r, status });
      stored.set(r.handout_id, { handout_id: r.handout_id, recorded_by: r.recorded_by, handed_at: r.handed_at, body: r.body });
      mine.push({ handout_id: r.handout_id, programme_id: r.programme_id, period: r.period, village_code: r.village_code, person_key: r.person_key, household_key: r.household_key, name_dob_key: r.name_dob_key, handed_at: r.handed_at });
      audits.push({ alarm_id: null, handout_id: r.handout_id, at: r.handed_at, by: r.recorded_by, action: 'handout', village_code: r.village_code, body: JSON.stringify({ detail: `${r.programme_id} ${p.date}` }) });
      if (!matches.length) {
        out.push({ status: 'recorded', matches, alarmId: null });
        continue;
      }
      const a = p.alarm(matches);
      const alarmId = await tx.insertAlarm({ severity: a.severity, handout_id: r.handout_id, raised_at: r.handed_at, body: a.body });
      await tx.insertAlarmVillages(alarmId, a.villages);
      audits.push({ alarm_id: alarmId, handout_id: r.handout_id, at: r.handed_at, by: 'system', action: 'alarm', village_code: r.village_code, body: JSON.stringify({ detail: a.detail }) });
      out.push({ status: 'double', matches, alarmId });
    }
    await tx.insertHandouts(handouts);
    await tx.insertAudits(audits);
    return out;
  });
}

/** "Check before handing out": read-only, writes nothing. */
export async function checkHandout(rdb: RecordsDb, q: DoubleQuery): Promise<RawMatch[]> {
  const periods = periodsOf(q.programmeId, q.date);
  const rows = rdb.exclusive
    ? await rdb.exclusive((raw) => statements(rdb.db, raw).earlier.all('cancelled', ...pad(periods), q.personKey, q.householdKey, q.nameKey) as EarlierHandout[])
    : await earlierQuery(rdb.db, periods, q.personKey, q.householdKey, q.nameKey).execute();
  return doubleMatches(q, rows);
}
