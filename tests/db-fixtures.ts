/**
 * The two engines of the database of record, for the storage suite: every test in a
 * `describe.each(ENGINES)` runs on an embedded SQLite file and on a private PostgreSQL (scram auth,
 * 127.0.0.1 only). Each test gets an empty database (PostgreSQL: a fresh database per test).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type RecordsDb } from '../server/src/db/database.ts';
import { startPrivatePostgres, type PrivatePostgres } from '../scripts/lib/postgres.ts';
import { tempDir } from './server-fixtures.ts';

export type EngineName = 'sqlite' | 'postgres';
export const ENGINES: EngineName[] = ['sqlite', 'postgres'];

let shared: { pg: PrivatePostgres; dir: string } | undefined;
let dbCounter = 0;

/** One private PostgreSQL per test file (started on first use). */
export async function privatePostgres(): Promise<PrivatePostgres> {
  if (!shared) {
    const dir = tempDir('pg');
    shared = { pg: await startPrivatePostgres({ dir, ephemeral: true }), dir };
  }
  return shared.pg;
}

export async function stopPrivatePostgres(): Promise<void> {
  if (!shared) return;
  await shared.pg.stop();
  rmSync(shared.dir, { recursive: true, force: true });
  shared = undefined;
}

/** A database URL for a fresh, empty PostgreSQL database. */
export async function freshPostgresUrl(): Promise<string> {
  const server = await privatePostgres();
  const name = `t${process.pid}_${++dbCounter}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  return server.url.replace(/\/[^/]*$/, `/${name}`);
}

/** Opens an empty, migrated database of record on `engine`. */
export async function freshDb(engine: EngineName): Promise<RecordsDb & { dataDir: string; databaseUrl?: string }> {
  const dataDir = tempDir(`db-${engine}`);
  const databaseUrl = engine === 'postgres' ? await freshPostgresUrl() : undefined;
  const rdb = await openDatabase({ databaseUrl, sqliteFile: join(dataDir, 'server', 'records.sqlite') });
  return Object.assign(rdb, { dataDir, databaseUrl });
}
