/**
 * Child of tests/alerts-crash.test.ts: stores batches of scans as the scan writer does and hands each
 * committed batch to the alerts (triage), forever (bounded), until it is killed -9. Prints `batch <n>`
 * after each triage commit. Args: <sqlite file> [database url].
 */
import { Alerts } from '../server/src/alerts/alerts.ts';
import { openDatabase } from '../server/src/db/database.ts';
import { insertScans, scanToRow } from '../server/src/db/scan-rows.ts';
import { makeScan } from './server-fixtures.ts';

const [file, url] = process.argv.slice(2);
const rdb = await openDatabase({ sqliteFile: file!, databaseUrl: url || undefined });
const alerts = new Alerts({ rdb, feverC: 37.5, watchOrigins: [], offlineAfterMs: 90_000, personSecret: Buffer.alloc(32, 3) });
const base = Number(process.env.SEQ_BASE ?? 0);
for (let b = 0; b < 10_000; b++) {
  const scans = Array.from({ length: 40 }, (_, i) => {
    const seq = base + b * 40 + i;
    const kind = seq % 5;
    const health =
      kind === 0 ? { temperatureC: 38.5, symptoms: [], rapidTest: 'negatif' as const, vaccinationDoses: 1 }
      : kind === 1 ? { temperatureC: 36.5, symptoms: [], rapidTest: 'positif' as const, vaccinationDoses: 1 }
      : kind === 2 ? { temperatureC: 36.5, symptoms: ['batuk' as const], rapidTest: 'negatif' as const, vaccinationDoses: 1 }
      : { temperatureC: 36.5, symptoms: [], rapidTest: 'negatif' as const, vaccinationDoses: 2 };
    // Distinct people (a NIK per seq) so every fever/positive scan opens its own follow-up and alert.
    return { ...makeScan(seq, { health, scannedAt: new Date().toISOString() }), nik: `3510${String(1_000_000_000_000 + seq).slice(-12)}` };
  });
  const at = new Date().toISOString();
  await insertScans(rdb, scans.map((scan) => scanToRow({ scan, receivedAt: at, eta: at }, 37.5)));
  await alerts.onScans(scans);
  process.stdout.write(`batch ${b}\n`);
}
