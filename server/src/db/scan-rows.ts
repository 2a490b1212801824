/**
 * Scans in the database of record: the scan ⇄ row codec, the hot path's batch insert (one
 * transaction per batch, a redelivered scan a no-op by its primary key), and the reads the API needs.
 *
 * The insert says which scans were new: only those are announced (live channel, expected arrivals,
 * alerts), so a scan redelivered after a crash or by another instance is never announced twice.
 *
 * SQLite goes through one prepared statement run per row inside one transaction: on the server's
 * insert thread (sqlite-insert-thread.ts) when it has one, else on the main connection while holding
 * Kysely's connection (database.ts `exclusive`). The statement's text is compiled by Kysely from the
 * same typed builder, so both engines insert exactly the same columns; PostgreSQL takes the builder's
 * multi-row insert with RETURNING.
 */
import { healthStatus, SYMPTOMS, type HealthStatus, type Scan } from '@sk/protocol';
import type SQLite from 'better-sqlite3';
import type { RecordsDb } from './database.ts';
import type { NewScanRow, ScanRow } from './schema.ts';

/** Why the server did not keep the device's own time (issue 17): see ingest's clock bound. */
export type ClockFlag = 'future' | 'past' | 'untrusted';

export interface ScanToStore {
  scan: Scan;
  receivedAt: string;
  /** Set when `scan.scannedAt` is the receive time, not the device's: what the device said. */
  deviceScannedAt?: string;
  clock?: ClockFlag;
  /** When the traveller is expected at the destination village (arrivals/eta.ts). */
  eta: string;
}

export function scanToRow(s: ScanToStore, feverC: number): NewScanRow {
  const { scan } = s;
  const h = scan.health;
  return {
    scan_id: scan.scanId,
    checkpoint_id: scan.checkpointId,
    device_id: scan.deviceId,
    seq: scan.seq,
    scanned_at: scan.scannedAt,
    device_scanned_at: s.deviceScannedAt ?? null,
    clock_flag: s.clock ?? null,
    received_at: s.receivedAt,
    nik: scan.nik,
    name: scan.name,
    sex: scan.sex,
    birth_date: scan.birthDate,
    origin_address: scan.originAddress,
    origin_regency: `${scan.nik.slice(0, 2)}.${scan.nik.slice(2, 4)}`,
    dest_village: scan.destinationVillageCode,
    dest_district: scan.destinationVillageCode.slice(0, 8),
    temperature_c: h.temperatureC,
    symptoms: JSON.stringify(h.symptoms),
    rapid_test: h.rapidTest,
    vaccination_doses: h.vaccinationDoses,
    health: healthStatus(h, feverC),
    officer: (scan as { officer?: string }).officer ?? null,
    eta: s.eta,
    arrival_state: 'expected',
    arrived_at: null,
    arrived_by: null,
    pii_cleared_at: null,
  };
}

const COLUMNS = [
  'scan_id', 'checkpoint_id', 'device_id', 'seq', 'scanned_at', 'device_scanned_at', 'clock_flag', 'received_at', 'nik', 'name', 'sex', 'birth_date',
  'origin_address', 'origin_regency', 'dest_village', 'dest_district', 'temperature_c', 'symptoms', 'rapid_test', 'vaccination_doses', 'health', 'officer', 'eta', 'arrival_state', 'arrived_at', 'arrived_by', 'pii_cleared_at',
] as const satisfies readonly (keyof NewScanRow)[];

/** Rows per PostgreSQL statement (27 parameters each; the protocol allows 65,535 per statement). */
const PG_ROWS_PER_INSERT = 1000;

/** The insert statement's SQL (Kysely-compiled, `?` placeholders in COLUMNS order) for `db`'s dialect. */
export function scanInsertSql(rdb: Pick<RecordsDb, 'db'>): string {
  const one = Object.fromEntries(COLUMNS.map((c) => [c, null])) as unknown as NewScanRow;
  return rdb.db.insertInto('scans').values(one).onConflict((oc) => oc.column('scan_id').doNothing()).compile().sql;
}

/** A row's values in COLUMNS order (scan_id first). */
const rowValues = (r: NewScanRow): unknown[] => COLUMNS.map((c) => r[c] ?? null);

/** Prepared statements per better-sqlite3 handle. */
const prepared = new WeakMap<SQLite.Database, { insert: SQLite.Statement; times: SQLite.Statement }>();

function statements(rdb: RecordsDb, raw: SQLite.Database) {
  let s = prepared.get(raw);
  if (!s) {
    s = { insert: raw.prepare(scanInsertSql(rdb)), times: raw.prepare('select scan_id, scanned_at from scans where scan_id = ?') };
    prepared.set(raw, s);
  }
  return s;
}

export interface InsertOutcome {
  /** Scan ids inserted by this call (the others were already stored). */
  inserted: Set<string>;
  /** For the scans already stored: the instant they were stored at (their InfluxDB point's time). */
  storedAt: Map<string, string>;
}

/**
 * Inserts a batch in one transaction; durable when it resolves. Scans already stored are left as they
 * are (first write wins) and reported with their stored time, so their InfluxDB point is rewritten on
 * the same timestamp (a crash between the commit and the point write loses no point, doubles none).
 */
export async function insertScans(rdb: RecordsDb, rows: readonly NewScanRow[]): Promise<InsertOutcome> {
  const inserted = new Set<string>();
  const storedAt = new Map<string, string>();
  if (rows.length === 0) return { inserted, storedAt };
  if (rdb.insertThread) {
    const out = await rdb.insertThread.insert(rows.map(rowValues));
    for (const i of out.inserted) inserted.add(rows[i]!.scan_id);
    for (const [i, at] of out.stored) storedAt.set(rows[i]!.scan_id, at);
    return { inserted, storedAt };
  }
  if (rdb.exclusive) {
    await rdb.exclusive((raw) => {
      const st = statements(rdb, raw);
      raw.transaction(() => {
        for (const r of rows) {
          if (st.insert.run(rowValues(r)).changes === 1) inserted.add(r.scan_id);
          else storedAt.set(r.scan_id, (st.times.get(r.scan_id) as { scanned_at: string }).scanned_at);
        }
      })();
    });
    return { inserted, storedAt };
  }
  await rdb.db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += PG_ROWS_PER_INSERT) {
      const chunk = rows.slice(i, i + PG_ROWS_PER_INSERT);
      const got = await trx.insertInto('scans').values(chunk).onConflict((oc) => oc.column('scan_id').doNothing()).returning('scan_id').execute();
      for (const g of got) inserted.add(g.scan_id);
    }
  });
  const old = rows.filter((r) => !inserted.has(r.scan_id)).map((r) => r.scan_id);
  if (old.length > 0) {
    for (const r of await rdb.db.selectFrom('scans').select(['scan_id', 'scanned_at']).where('scan_id', 'in', old).execute()) storedAt.set(r.scan_id, r.scanned_at);
  }
  return { inserted, storedAt };
}

const isSymptom = (s: string): s is (typeof SYMPTOMS)[number] => (SYMPTOMS as readonly string[]).includes(s);

/** The scan as the API shows it. Personal values cleared by retention or erasure read as empty strings. */
export function rowToScan(r: ScanRow): Scan & { officer?: string } {
  let symptoms: string[] = [];
  try {
    symptoms = JSON.parse(r.symptoms) as string[];
  } catch {
    symptoms = [];
  }
  const scan: Scan & { officer?: string } = {
    v: 1,
    scanId: r.scan_id,
    checkpointId: r.checkpoint_id,
    deviceId: r.device_id,
    seq: Number(r.seq),
    scannedAt: r.scanned_at,
    nik: r.nik ?? '',
    name: r.name ?? '',
    sex: r.sex === 'P' ? 'P' : 'L',
    birthDate: r.birth_date ?? '',
    originAddress: r.origin_address ?? '',
    destinationVillageCode: r.dest_village,
    health: {
      temperatureC: Number(r.temperature_c),
      symptoms: symptoms.filter(isSymptom),
      rapidTest: (['negatif', 'positif', 'tidak_dites'] as const).find((x) => x === r.rapid_test) ?? 'tidak_dites',
      vaccinationDoses: Number(r.vaccination_doses),
    },
  };
  if (r.officer) scan.officer = r.officer;
  return scan;
}

export interface ScanQuery {
  checkpointId?: string;
  districtCode?: string;
  villageCode?: string;
  health?: HealthStatus;
  /** Only scans kept strictly before this instant (ISO). */
  before?: string;
  limit: number;
}

/** Newest first. */
export async function recentScans(rdb: RecordsDb, q: ScanQuery): Promise<ScanRow[]> {
  let sel = rdb.db.selectFrom('scans').selectAll();
  if (q.checkpointId) sel = sel.where('checkpoint_id', '=', q.checkpointId);
  if (q.villageCode) sel = sel.where('dest_village', '=', q.villageCode);
  if (q.districtCode) sel = sel.where('dest_district', '=', q.districtCode);
  if (q.health) sel = sel.where('health', '=', q.health);
  if (q.before) sel = sel.where('scanned_at', '<', q.before);
  return sel
    .orderBy('scanned_at', 'desc')
    .orderBy('scan_id', 'desc')
    .limit(Math.max(1, Math.min(1000, Math.floor(q.limit))))
    .execute();
}

/** Every stored scan id kept in [from, to). */
export async function storedScanIds(rdb: RecordsDb, from: string, to: string): Promise<string[]> {
  const rows = await rdb.db.selectFrom('scans').select('scan_id').where('scanned_at', '>=', from).where('scanned_at', '<', to).execute();
  return rows.map((r) => r.scan_id);
}

/** Scans per checkpoint kept at or after `since` (ISO). */
export async function countsByCheckpoint(rdb: RecordsDb, since: string): Promise<Map<string, number>> {
  const rows = await rdb.db
    .selectFrom('scans')
    .select(['checkpoint_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('scanned_at', '>=', since)
    .groupBy('checkpoint_id')
    .execute();
  return new Map(rows.map((r) => [r.checkpoint_id, Number(r.n)]));
}

export async function countScans(rdb: RecordsDb): Promise<number> {
  const r = await rdb.db.selectFrom('scans').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** What the recent in-memory counts need of each scan kept since `sinceMs` (store/rollups.ts), oldest first. */
export async function recentArrivalsSince(rdb: RecordsDb, sinceMs: number) {
  const rows = await rdb.db
    .selectFrom('scans')
    .select(['scan_id', 'scanned_at', 'checkpoint_id', 'origin_regency', 'dest_district', 'health'])
    .where('scanned_at', '>=', new Date(sinceMs).toISOString())
    .orderBy('scanned_at')
    .execute();
  return rows.map((r) => ({
    scanId: r.scan_id,
    at: Date.parse(r.scanned_at),
    groups: { checkpoint: r.checkpoint_id, originRegency: r.origin_regency, destDistrict: r.dest_district, health: r.health },
  }));
}
