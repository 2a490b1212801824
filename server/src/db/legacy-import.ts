/**
 * The upgrade from the journal-keeping server (sessions 1–4) to the database of record: on the first
 * start of this version, every journal a deployment has under DATA_DIR is imported once, so an upgrade
 * loses nothing. Each importer is done once, remembered in `meta` (`legacy:<name>`), and the journal it
 * read is renamed `*.imported` (kept for the operator, never read again).
 *
 * An importer must be idempotent (a crash mid-import re-runs it): insert with "on conflict do nothing"
 * on the record's natural key.
 */
import type { RecordsDb } from './database.ts';

export interface LegacyImporter {
  /** Stable name, e.g. `users`, `alerts-journal`. */
  name: string;
  /** Imports what it finds under `dataDir`; returns how many records it imported (0 when there was nothing). */
  run(rdb: RecordsDb, dataDir: string): Promise<number>;
}

export interface LegacyImportReport {
  /** Importer name → records imported, for the importers that ran now. */
  imported: Record<string, number>;
  /** Importers that failed (left undone, tried again at the next start), with the reason. */
  failed: string[];
}

/**
 * Runs the importers not yet done, in order. One that fails (e.g. InfluxDB down at start) is reported
 * in `failed` and left undone: it runs again at the next start; the others go on.
 */
export async function runLegacyImports(rdb: RecordsDb, dataDir: string, importers: readonly LegacyImporter[]): Promise<LegacyImportReport> {
  const report: LegacyImportReport = { imported: {}, failed: [] };
  for (const imp of importers) {
    const key = `legacy:${imp.name}`;
    const done = await rdb.db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst();
    if (done) continue;
    try {
      report.imported[imp.name] = await imp.run(rdb, dataDir);
    } catch (e) {
      report.failed.push(`${imp.name}: ${(e as Error).message.slice(0, 200)}`);
      continue;
    }
    await rdb.db
      .insertInto('meta')
      .values({ key, value: JSON.stringify({ at: new Date().toISOString(), imported: report.imported[imp.name] }) })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
  }
  return report;
}
