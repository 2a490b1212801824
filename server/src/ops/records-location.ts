/**
 * Where the database of record is, found the same way by the server and by every operating command:
 * DATABASE_URL (PostgreSQL, cluster mode), else the SQLite file DATA_DIR/server/records.sqlite. The
 * CLI may open the SQLite file while the server runs: WAL mode lets one writer and many readers share
 * it, and busy_timeout makes a second writer wait its turn instead of failing.
 */
import { join } from 'node:path';
import { openDatabase, type RecordsDb } from '../db/database.ts';

export interface RecordsLocation {
  dataDir: string;
  databaseUrl?: string;
}

export const recordsFile = (dataDir: string) => join(dataDir, 'server', 'records.sqlite');

/** Opens (and migrates) the database of record at `loc`. */
export function openRecords(loc: RecordsLocation, o: { migrate?: boolean; poolSize?: number } = {}): Promise<RecordsDb> {
  return openDatabase({ databaseUrl: loc.databaseUrl, sqliteFile: recordsFile(loc.dataDir), poolSize: o.poolSize ?? 2, migrate: o.migrate });
}

/** Runs `fn` on an open database: the one given, or one opened at the location for the call and closed after. */
export async function withRecords<T>(target: RecordsDb | RecordsLocation, fn: (rdb: RecordsDb) => Promise<T>): Promise<T> {
  if ('db' in target) return fn(target);
  const rdb = await openRecords(target);
  try {
    return await fn(rdb);
  } finally {
    await rdb.close();
  }
}
