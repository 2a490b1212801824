/**
 * The upgrade of InfluxDB points written before issue 15: layouts v1 and v2 carried the whole scan,
 * personal data included, in a `record` string (arrival-point.ts). Once, at the first start of this
 * version and before anything is read from MQTT, every such point becomes a row of the database of
 * record, and InfluxDB keeps only its v3 point (numbers, no personal data), day by day:
 *
 *   1. read the day's points that have a `record` and insert their scans (idempotent: by scanId);
 *   2. delete the day's points from InfluxDB (InfluxDB 1.x cannot drop one field of a point);
 *   3. write the v3 point of every row the database holds for that day.
 *
 * Step 3 reads the database, not InfluxDB, so a crash between 2 and 3 loses nothing: the re-run (the
 * import is only marked done when it finishes) rewrites the day from the rows. For InfluxDB 2.x the
 * old points are left in place (their records are read the same way by `rowToScan`); delete them with
 * `influx delete --predicate '_measurement="arrivals"'` after the import, as docs/upgrade.md says.
 */
import type { Scan } from '@sk/protocol';
import type { RecordsDb } from '../db/database.ts';
import type { LegacyImporter } from '../db/legacy-import.ts';
import { storeLegacyScans } from '../db/legacy-scans.ts';
import { rowToScan } from './arrival-point.ts';
import type { InfluxScanStore } from './influx-store.ts';
import { rowLine } from './line-protocol.ts';

const DAY = 86_400_000;

export function legacyPointsImporter(o: { store: InfluxScanStore; feverC: number; eta: (scan: Scan) => string; log?: (msg: string, n: number) => void }): LegacyImporter {
  return {
    name: 'influx-record-points',
    async run(rdb: RecordsDb): Promise<number> {
      const m = o.store.from();
      type Edge = { time: { getTime(): number } };
      const first = await o.store.query<Edge>(`SELECT first(record) FROM ${m}`);
      const last = await o.store.query<Edge>(`SELECT last(record) FROM ${m}`);
      if (!first[0] || !last[0]) return 0;
      let imported = 0;
      const end = last[0].time.getTime() + 1;
      for (let from = Math.floor(first[0].time.getTime() / DAY) * DAY; from < end; from += DAY) {
        const to = from + DAY;
        const range = `time >= ${from}ms AND time < ${to}ms`;
        const rows = await o.store.query<Record<string, unknown>>(`SELECT * FROM ${m} WHERE ${range}`);
        const legacy = rows.filter((r) => typeof r.record === 'string').map((r) => rowToScan(r)).filter((s) => s.scanId && /^\d{16}$/.test(s.nik));
        if (legacy.length === 0) continue;
        await storeLegacyScans(rdb, legacy, o.feverC, o.eta);
        // DELETE takes a bare measurement (the database comes with the request; rollups live in other measurements).
        await o.store.query(`DELETE FROM "arrivals" WHERE ${range}`);
        const stored = await rdb.db
          .selectFrom('scans')
          .select(['checkpoint_id', 'device_id', 'dest_district', 'health', 'origin_regency', 'seq', 'scanned_at', 'temperature_c', 'vaccination_doses', 'symptoms'])
          .where('scanned_at', '>=', new Date(from).toISOString())
          .where('scanned_at', '<', new Date(to).toISOString())
          .execute();
        const lines = stored.map((r) => rowLine(r));
        for (let i = 0; i < lines.length; i += 5000) await o.store.writeLines(lines.slice(i, i + 5000));
        imported += legacy.length;
        o.log?.(new Date(from).toISOString().slice(0, 10), legacy.length);
      }
      return imported;
    },
  };
}
