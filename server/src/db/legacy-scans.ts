/**
 * Scans kept by a version before issue 15 outside the database (whole scans in the InfluxDB spool, or
 * `record` points in InfluxDB): stored as rows, and their points given back in layout v3.
 */
import type { Scan } from '@sk/protocol';
import type { RecordsDb } from './database.ts';
import { insertScans, scanToRow } from './scan-rows.ts';
import { rowLine } from '../store/line-protocol.ts';

/** Inserts (idempotently) and returns each scan's v3 point line, on its stored time. */
export async function storeLegacyScans(rdb: RecordsDb, scans: readonly Scan[], feverC: number, eta: (scan: Scan) => string): Promise<string[]> {
  const rows = scans.map((scan) => scanToRow({ scan, receivedAt: scan.scannedAt, eta: eta(scan) }, feverC));
  const { storedAt } = await insertScans(rdb, rows);
  return rows.map((r) => rowLine({ ...r, scanned_at: storedAt.get(r.scan_id) ?? r.scanned_at }));
}
