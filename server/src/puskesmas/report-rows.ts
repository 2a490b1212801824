/**
 * Puskesmas daily reports and their submission state in the database of record
 * (`puskesmas_reports`, issue 15): one row per (puskesmas, date), the report as JSON in `body`,
 * `state` pending (not yet in InfluxDB) or stored. A report is durable here before a device gets its
 * PUBACK or a form its reply; InfluxDB gets it now or on a later retry. A correction for the same day
 * replaces the row (and goes pending again), as the same point replaces the first in InfluxDB.
 */
import type { DailyReport } from '@sk/protocol';
import type { RecordsDb } from '../db/database.ts';
import type { PuskesmasReportsTable } from '../db/schema.ts';

/** Rows per insert statement (6 parameters each: well under both engines' limits). */
const ROWS_PER_INSERT = 1000;

export interface PendingRow {
  report: DailyReport;
  /** The version written: marked stored only if it was not replaced while the write ran. */
  submittedAt: string;
  body: string;
}

/** Records reports as pending, durable when it resolves. The last of several for one (puskesmas, date) wins. */
export async function recordReports(rdb: RecordsDb, reports: readonly DailyReport[], by: string | null, at: string): Promise<void> {
  const byKey = new Map<string, PuskesmasReportsTable>();
  for (const r of reports) {
    byKey.set(`${r.puskesmasId}|${r.date}`, { puskesmas_id: r.puskesmasId, date: r.date, state: 'pending', submitted_at: at, submitted_by: by, body: JSON.stringify(r) });
  }
  const rows = [...byKey.values()];
  if (rows.length === 0) return;
  await rdb.db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      await trx
        .insertInto('puskesmas_reports')
        .values(rows.slice(i, i + ROWS_PER_INSERT))
        .onConflict((oc) =>
          oc.columns(['puskesmas_id', 'date']).doUpdateSet((eb) => ({
            state: eb.ref('excluded.state'),
            submitted_at: eb.ref('excluded.submitted_at'),
            submitted_by: eb.ref('excluded.submitted_by'),
            body: eb.ref('excluded.body'),
          })),
        )
        .execute();
    }
  });
}

/** Oldest first. */
export async function pendingReports(rdb: RecordsDb, limit = 5000): Promise<PendingRow[]> {
  const rows = await rdb.db.selectFrom('puskesmas_reports').select(['submitted_at', 'body']).where('state', '=', 'pending').orderBy('submitted_at').limit(limit).execute();
  return rows.map((r) => ({ report: JSON.parse(r.body) as DailyReport, submittedAt: r.submitted_at, body: r.body }));
}

export async function countPending(rdb: RecordsDb): Promise<number> {
  const r = await rdb.db.selectFrom('puskesmas_reports').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'pending').executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Marks written reports stored, unless a correction replaced one while it was being written (that one stays pending). */
export async function markStored(rdb: RecordsDb, written: readonly PendingRow[]): Promise<void> {
  if (written.length === 0) return;
  await rdb.db.transaction().execute(async (trx) => {
    for (const w of written) {
      await trx
        .updateTable('puskesmas_reports')
        .set({ state: 'stored' })
        .where('puskesmas_id', '=', w.report.puskesmasId)
        .where('date', '=', w.report.date)
        .where('submitted_at', '=', w.submittedAt)
        .where('body', '=', w.body)
        .execute();
    }
  });
}

/** The puskesmas that have a report (pending or stored) for `date`. */
export async function reportedOn(rdb: RecordsDb, date: string): Promise<Set<string>> {
  const rows = await rdb.db.selectFrom('puskesmas_reports').select('puskesmas_id').where('date', '=', date).execute();
  return new Set(rows.map((r) => r.puskesmas_id));
}
