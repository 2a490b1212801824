/**
 * The upgrade from the journal-keeping server (sessions 1–4) for alerts, expected arrivals and
 * quarantine: their journals under DATA_DIR/server are imported once into the database of record
 * (db/legacy-import.ts runs each importer once and remembers it). Each import is one transaction (a
 * crash re-runs it from nothing) and skips what is already there, so running it twice changes nothing.
 *
 * Journal format (the old arrivals/journal.ts): JSON lines, each one record object, or an array of up to
 * 64 records (objects, or — with a codec — arrays of values, version first); the last record per key
 * wins; a torn last line is skipped.
 *
 * Expected arrivals are rows of `scans` now: their state (arrived, by whom, home unfit, overdue) is put
 * on the scan rows the scan import brought in, so `arrivalStateImporter` must run after it.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { AlertEvent } from '@sk/protocol';
import type { LegacyImporter } from '../db/legacy-import.ts';
import { LegacyFacilityFileSchema } from '../quarantine/facilities.ts';
import { DEFAULT_COMMAND_RULES } from './triage.ts';

const dir = (dataDir: string) => join(dataDir, 'server');
/** The scans importer (store/legacy-points.ts) the arrival states wait for. */
const SCANS_IMPORTER = 'influx-record-points';

/** The last record per key of an old journal; `decode` reads a values-array record (undefined = unknown layout, skipped). */
export function readLegacyJournal<T>(file: string, keyOf: (r: T) => string, decode?: (v: unknown[]) => T | undefined): T[] {
  if (!existsSync(file)) return [];
  const latest = new Map<string, T>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      continue; // a torn final line from a crash
    }
    const items = Array.isArray(v) ? v : [v];
    for (const item of items) {
      const r = Array.isArray(item) ? decode?.(item) : (item as T);
      if (r !== undefined && r !== null) latest.set(keyOf(r), r);
    }
  }
  return [...latest.values()];
}

/** Keeps the journal for the operator, never read again. */
function retire(file: string): void {
  if (existsSync(file)) renameSync(file, `${file}.imported`);
}

type OldAlert = AlertEvent & { key: string };

/** DATA_DIR/server/alerts.jsonl → `alerts`, ids kept (an id the console or a report cites still means the same alert). */
export const alertsImporter: LegacyImporter = {
  name: 'alerts-journal',
  async run(rdb, dataDir) {
    const file = join(dir(dataDir), 'alerts.jsonl');
    const records = readLegacyJournal<OldAlert>(file, (r) => String(r.id)).filter((r) => Number.isInteger(r.id) && r.id > 0 && typeof r.key === 'string');
    if (records.length === 0) return 0;
    const command = new Set<string>(DEFAULT_COMMAND_RULES);
    let n = 0;
    await rdb.db.transaction().execute(async (trx) => {
      for (const r of records) {
        const open = r.state !== 'cleared';
        const res = await trx
          .insertInto('alerts')
          .values({
            id: r.id, rule: r.rule, severity: r.severity, subject_key: r.key.slice(r.key.indexOf('|') + 1), state: r.state, open_key: open ? r.key : null,
            village_code: r.villageCode ?? null, checkpoint_id: r.checkpointId ?? null, scan_id: r.scanId ?? null, count: r.count ?? 1,
            raised_at: r.startedAt, updated_at: r.lastSeenAt ?? r.startedAt, acked_at: r.ackedAt ?? null, acked_by: r.ackedBy ?? null,
            cleared_at: r.clearedAt ?? null, cleared_by: r.clearedBy ?? null, body: JSON.stringify({ subject: r.subject, title: r.title, text: r.text }),
            answer_by: command.has(r.rule) ? 'command' : 'village',
          } as never)
          .onConflict((oc) => oc.doNothing())
          .returning('id')
          .executeTakeFirst();
        if (res) n++;
      }
      if (rdb.engine === 'postgres') {
        // Explicit ids leave the sequence behind: the next raise must not reuse one.
        await sql`select setval(pg_get_serial_sequence('alerts', 'id'), greatest((select max(id) from alerts), 1))`.execute(trx);
      }
    });
    retire(file);
    return n;
  },
};

interface OldFacility { id: string; name: string; districtCode: string; capacity: number }
interface OldAssignment {
  id: string; scanId: string; facilityId: string; reason: string; assignedBy: string; assignedAt: string; releaseOn: string; releasedAt?: string; releasedBy?: string;
}

/** quarantine-facilities.json and quarantine-assignments.jsonl → `quarantine_facilities`, `quarantine_assignments`. */
export const quarantineImporter: LegacyImporter = {
  name: 'quarantine-journal',
  async run(rdb, dataDir) {
    const facFile = join(dir(dataDir), 'quarantine-facilities.json');
    const asgFile = join(dir(dataDir), 'quarantine-assignments.jsonl');
    let facilities: OldFacility[] = [];
    if (existsSync(facFile)) {
      const parsed = LegacyFacilityFileSchema.safeParse(JSON.parse(readFileSync(facFile, 'utf8')));
      if (!parsed.success) throw new Error(`${facFile}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      facilities = parsed.data.facilities;
    }
    const assignments = readLegacyJournal<OldAssignment>(asgFile, (a) => a.id).filter((a) => typeof a.scanId === 'string' && typeof a.facilityId === 'string');
    if (facilities.length === 0 && assignments.length === 0) return 0;
    let n = 0;
    await rdb.db.transaction().execute(async (trx) => {
      for (const f of facilities) {
        const r = await trx
          .insertInto('quarantine_facilities')
          .values({ id: f.id, name: f.name, district_code: f.districtCode, capacity: f.capacity, body: '{}' })
          .onConflict((oc) => oc.column('id').doUpdateSet({ name: f.name, district_code: f.districtCode, capacity: f.capacity }))
          .returning('id')
          .executeTakeFirst();
        if (r) n++;
      }
      for (const a of assignments.sort((x, y) => x.assignedAt.localeCompare(y.assignedAt))) {
        const seen = await trx.selectFrom('quarantine_assignments').select('id').where('scan_id', '=', a.scanId).where('created_at', '=', a.assignedAt).executeTakeFirst();
        if (seen) continue;
        const active = !a.releasedAt;
        const r = await trx
          .insertInto('quarantine_assignments')
          .values({
            scan_id: a.scanId, facility_id: a.facilityId, state: active ? 'active' : 'released', active_key: active ? a.scanId : null,
            starts_at: a.assignedAt, ends_at: a.releaseOn, created_at: a.assignedAt, created_by: a.assignedBy ?? null,
            body: JSON.stringify({ reason: a.reason, ...(a.releasedAt ? { releasedAt: a.releasedAt, releasedBy: a.releasedBy } : {}), legacyId: a.id }),
          })
          .onConflict((oc) => oc.doNothing())
          .returning('id')
          .executeTakeFirst();
        if (r) n++;
      }
    });
    retire(asgFile);
    if (existsSync(facFile)) renameSync(facFile, `${facFile}.imported`);
    return n;
  },
};

interface OldExpected { scanId: string; arrivedAt?: string; arrivedBy?: string; overdueAt?: string; homeUnfit?: boolean }

/** The old compact form (arrivals/expected-arrivals.ts EXPECTED_CODEC, version 1): only the state is read. */
function decodeExpected(v: unknown[]): OldExpected | undefined {
  if (v[0] !== 1 || typeof v[1] !== 'string') return undefined;
  const r: OldExpected = { scanId: v[1] };
  if (v[15] != null) r.arrivedAt = v[15] as string;
  if (v[16] != null) r.arrivedBy = v[16] as string;
  if (v[17] != null) r.overdueAt = v[17] as string;
  if (v[18] != null) r.homeUnfit = v[18] as boolean;
  return r;
}

/**
 * expected-arrivals.jsonl → the state columns of the scans rows (arrived, by whom, overdue, home unfit).
 * Run after the scans are imported; an arrival whose scan row is not there is counted as skipped (the
 * journal is kept as `.imported` either way).
 */
export const arrivalStateImporter: LegacyImporter = {
  name: 'expected-arrivals-journal',
  async run(rdb, dataDir) {
    const file = join(dir(dataDir), 'expected-arrivals.jsonl');
    const records = readLegacyJournal<OldExpected>(file, (r) => r.scanId, decodeExpected).filter((r) => r.arrivedAt || r.overdueAt || r.homeUnfit !== undefined);
    let n = 0;
    if (records.length > 0) {
      // The scans come from the old InfluxDB points (store/legacy-points.ts): not there yet (InfluxDB down
      // at this start) = not done; tried again at the next start rather than losing the states.
      const pointsDone = await rdb.db.selectFrom('meta').select('key').where('key', '=', `legacy:${SCANS_IMPORTER}`).executeTakeFirst();
      const anyScan = await rdb.db.selectFrom('scans').select('scan_id').limit(1).executeTakeFirst();
      if (!pointsDone && !anyScan) throw new Error('the scans are not imported yet (InfluxDB points); arrival states wait for them');
      await rdb.db.transaction().execute(async (trx) => {
        for (const r of records) {
          const set = {
            ...(r.arrivedAt ? { arrival_state: 'arrived', arrived_at: r.arrivedAt, arrived_by: r.arrivedBy ?? null } : r.overdueAt ? { arrival_state: 'overdue' } : {}),
            ...(r.homeUnfit !== undefined ? { home_unfit: r.homeUnfit ? 1 : 0 } : {}),
          };
          const res = await trx.updateTable('scans').set(set).where('scan_id', '=', r.scanId).executeTakeFirst();
          n += Number(res.numUpdatedRows);
        }
      });
    }
    retire(file);
    return n;
  },
};

/** In the order they must run (after the scans importer). */
export const ALERTS_LEGACY_IMPORTERS: readonly LegacyImporter[] = [alertsImporter, quarantineImporter, arrivalStateImporter];
