// The SQLite side of the scan hot path, on its own thread (sqlite-insert-thread.ts explains why).
// Plain JavaScript so it loads the same under tsx, vitest and plain node: it only needs better-sqlite3.
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';

const { file, insertSql, busyTimeoutMs } = workerData;
const db = new SQLite(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma(`busy_timeout = ${busyTimeoutMs}`);
db.pragma('cache_size = -65536');
db.pragma('wal_autocheckpoint = 10000'); // as database.ts, and why
const insert = db.prepare(insertSql);
const storedTime = db.prepare('select scanned_at from scans where scan_id = ?').pluck();

// rows: arrays of column values in the statement's order; the scan id is the first value.
const batch = db.transaction((rows) => {
  const inserted = [];
  const stored = [];
  for (let i = 0; i < rows.length; i++) {
    if (insert.run(rows[i]).changes === 1) inserted.push(i);
    else stored.push([i, storedTime.get(rows[i][0])]);
  }
  return { inserted, stored };
});

parentPort.on('message', (m) => {
  if (m.close) {
    db.close();
    parentPort.postMessage({ closed: true });
    return;
  }
  try {
    parentPort.postMessage({ id: m.id, ...batch(m.rows) });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String(e && e.message ? e.message : e), code: e && e.code });
  }
});
