/**
 * Online, consistent backups of the database of record, and their restore (issue 15).
 *
 * SQLite: the online backup API (better-sqlite3 `backup`) from a second connection while the server
 * keeps writing (WAL: readers never block the writer). A backup step that is interrupted by another
 * connection's write starts over, so the whole database is copied in ONE step: one read snapshot,
 * hence consistent (every committed batch in, none half). Written beside the target, then renamed.
 *
 * PostgreSQL: `pg_dump -Fc` (one REPEATABLE READ snapshot) and `pg_restore`. The URL's credentials go
 * to them in the environment (PGPASSWORD…), never on a command line another user could read in `ps`.
 *
 * Restore goes into a fresh place only: an empty DATA_DIR for SQLite, an empty database for
 * PostgreSQL. Then the migrations bring an older backup up to this build (a newer one is refused).
 */
import { spawn } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { openDatabase } from '../db/database.ts';
import { migrateToLatest } from '../db/migrations.ts';
import { openRecords, recordsFile, type RecordsLocation } from './records-location.ts';

export class OpsError extends Error {}

export interface BackupResult {
  engine: 'sqlite' | 'postgres';
  file: string;
  bytes: number;
}

export async function backup(loc: RecordsLocation, file: string): Promise<BackupResult> {
  const target = resolve(file);
  if (existsSync(target)) throw new OpsError(`${file} exists: give a new file name (a backup never overwrites)`);
  if (!existsSync(dirname(target))) throw new OpsError(`${dirname(file)}: no such directory`);
  const tmp = `${target}.partial`;
  rmSync(tmp, { force: true });
  try {
    if (loc.databaseUrl) await runPg('pg_dump', ['--format=custom', '--no-owner', '--file', tmp], loc.databaseUrl);
    else await sqliteBackup(recordsFile(loc.dataDir), tmp);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return { engine: loc.databaseUrl ? 'postgres' : 'sqlite', file: target, bytes: statSync(target).size };
}

async function sqliteBackup(source: string, dest: string): Promise<void> {
  if (!existsSync(source)) throw new OpsError(`no database at ${source} (is DATA_DIR right, or should DATABASE_URL be set?)`);
  const raw = new SQLite(source, { fileMustExist: true });
  try {
    raw.pragma('busy_timeout = 5000');
    // All remaining pages in one step: one read snapshot (see the file comment).
    await raw.backup(dest, { progress: () => 0x7fffffff });
  } finally {
    raw.close();
  }
}

export interface RestoreResult {
  engine: 'sqlite' | 'postgres';
  /** Migrations run on the restored database (a backup made by an older build). */
  migrated: string[];
}

const SQLITE_MAGIC = 'SQLite format 3\u0000';
const PG_MAGIC = 'PGDMP';

function magic(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(16);
    const n = readSync(fd, b, 0, 16, 0);
    return b.subarray(0, n).toString('latin1');
  } finally {
    closeSync(fd);
  }
}

export async function restore(loc: RecordsLocation, file: string): Promise<RestoreResult> {
  if (!existsSync(file)) throw new OpsError(`${file}: no such file`);
  const head = magic(file);
  const kind = head.startsWith(SQLITE_MAGIC) ? 'sqlite' : head.startsWith(PG_MAGIC) ? 'postgres' : undefined;
  if (!kind) throw new OpsError(`${file} is not a backup made by \`backup\` (neither an SQLite database nor a pg_dump custom archive)`);
  if (kind === 'sqlite' && loc.databaseUrl) throw new OpsError('this is an SQLite backup but DATABASE_URL is set: unset it to restore into DATA_DIR');
  if (kind === 'postgres' && !loc.databaseUrl) throw new OpsError('this is a PostgreSQL backup: set DATABASE_URL to the (empty) database to restore into');
  if (existsSync(loc.dataDir) && readdirSync(loc.dataDir).length > 0) throw new OpsError(`DATA_DIR ${loc.dataDir} is not empty: restore into a fresh one`);

  if (kind === 'sqlite') {
    const dest = recordsFile(loc.dataDir);
    mkdirSync(dirname(dest), { recursive: true, mode: 0o700 });
    const check = new SQLite(file, { readonly: true, fileMustExist: true });
    try {
      const r = check.pragma('quick_check', { simple: true });
      if (r !== 'ok') throw new OpsError(`${file} is damaged (quick_check: ${String(r)})`);
    } finally {
      check.close();
    }
    copyFileSync(file, `${dest}.partial`);
    renameSync(`${dest}.partial`, dest);
  } else {
    const rdb = await openRecords(loc, { migrate: false });
    try {
      const r = await sql<{ n: number }>`select count(*) as n from information_schema.tables where table_schema = current_schema()`.execute(rdb.db);
      if (Number(r.rows[0]?.n ?? 0) > 0) throw new OpsError('the database at DATABASE_URL is not empty: restore into a fresh one');
    } finally {
      await rdb.close();
    }
    await runPg('pg_restore', ['--no-owner', '--exit-on-error', '--single-transaction', '--dbname', pgDbName(loc.databaseUrl!), file], loc.databaseUrl!);
  }
  // Brings an older backup up to this build; refuses a newer one (SchemaTooNewError).
  const rdb = await openDatabase({ databaseUrl: loc.databaseUrl, sqliteFile: recordsFile(loc.dataDir), migrate: false });
  try {
    return { engine: kind, migrated: await migrateToLatest(rdb.db, rdb.engine) };
  } finally {
    await rdb.close();
  }
}

// --- PostgreSQL client tools ---

function pgBin(tool: string): string {
  for (const v of ['17', '16', '15']) {
    const p = join('/usr/lib/postgresql', v, 'bin', tool);
    if (existsSync(p)) return p;
  }
  return tool; // on PATH
}

const pgDbName = (url: string) => decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';

/** The connection as libpq environment variables: nothing secret in argv. */
export function pgEnv(url: string): Record<string, string> {
  const u = new URL(url);
  const env: Record<string, string> = { PGHOST: u.hostname || '127.0.0.1', PGPORT: u.port || '5432', PGDATABASE: pgDbName(url) };
  if (u.username) env.PGUSER = decodeURIComponent(u.username);
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  const sslmode = u.searchParams.get('sslmode');
  if (sslmode) env.PGSSLMODE = sslmode;
  return env;
}

function runPg(tool: string, args: string[], url: string): Promise<void> {
  return new Promise((res, rej) => {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...pgEnv(url) };
    const child = spawn(pgBin(tool), args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err = (err + b.toString('utf8')).slice(-2000)));
    child.once('error', (e) => rej(new OpsError(`${tool}: ${e.message}`)));
    child.once('close', (code) => (code === 0 ? res() : rej(new OpsError(`${tool} failed (exit ${code}): ${err.trim()}`))));
  });
}
