/**
 * The upgrade import of DATA_DIR/server/puskesmas/pending.jsonl (the journal-keeping versions'
 * reports received but not yet in InfluxDB: one DailyReport per line, the last per (puskesmas, date)
 * the valid one, a torn last line possible) into `puskesmas_reports` as pending, once
 * (db/legacy-import.ts); the feature's retry then writes them to InfluxDB.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { DailyReportSchema, type DailyReport } from '@sk/protocol';
import type { LegacyImporter } from '../db/legacy-import.ts';
import { recordReports } from './report-rows.ts';

export const legacyPendingFile = (dataDir: string) => join(dataDir, 'server', 'puskesmas', 'pending.jsonl');

export const puskesmasPendingImporter: LegacyImporter = {
  name: 'puskesmas-pending',
  async run(rdb, dataDir) {
    const file = legacyPendingFile(dataDir);
    if (!existsSync(file)) return 0;
    const reports: DailyReport[] = [];
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        const r = DailyReportSchema.safeParse(JSON.parse(line));
        if (r.success) reports.push(r.data);
      } catch {
        // A crash mid-append tore this line; its report was never acknowledged to the device.
      }
    }
    // A report already in the database is newer than the journal: only add what is missing.
    const have = new Set((await rdb.db.selectFrom('puskesmas_reports').select(['puskesmas_id', 'date']).execute()).map((r) => `${r.puskesmas_id}|${r.date}`));
    const fresh = reports.filter((r) => !have.has(`${r.puskesmasId}|${r.date}`));
    await recordReports(rdb, fresh, null, new Date().toISOString());
    renameSync(file, `${file}.imported`);
    return new Set(fresh.map((r) => `${r.puskesmasId}|${r.date}`)).size;
  },
};
