/**
 * Opens the database of record: SQLite (better-sqlite3, embedded under DATA_DIR/server/) by default,
 * PostgreSQL when DATABASE_URL is set (cluster mode: several servers share it). Both go through one
 * typed query layer, Kysely, chosen because it has both dialects, a schema builder for one set of
 * migrations, types checked against schema.ts, and no runtime of its own between us and the driver
 * (an ORM would own the hot path; raw SQL would be written twice).
 *
 * SQLite runs in WAL mode with `synchronous = FULL`: a commit is on disk (the WAL fsync'd) when it
 * returns, which is what "durable" means before a device is acked (issue 15). Commits are batched by
 * the callers (one transaction per scan batch), so the fsync is paid per batch, not per scan.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';
import { migrateToLatest, type Engine } from './migrations.ts';
import { scanInsertSql } from './scan-rows.ts';
import { SqliteInsertThread } from './sqlite-insert-thread.ts';

// int8 (count(*), bigserial ids, seq) as JS numbers: every id and count here is far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export interface RecordsDb {
  readonly engine: Engine;
  readonly db: Kysely<Database>;
  /** Where it is, for logs and health (the SQLite file, or the PostgreSQL host/db without credentials). */
  readonly where: string;
  /**
   * SQLite only: runs `fn` with the raw better-sqlite3 handle while no Kysely query or transaction
   * holds the connection (the hot path's prepared statements; see scan-rows.ts). Undefined on PostgreSQL.
   */
  readonly exclusive?: <T>(fn: (raw: SQLite.Database) => T) => Promise<T>;
  /** SQLite with `insertThread`: the scan hot path's inserts run on their own thread (sqlite-insert-thread.ts). */
  readonly insertThread?: SqliteInsertThread;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** postgres://… selects PostgreSQL; otherwise SQLite at `sqliteFile`. */
  databaseUrl?: string;
  sqliteFile: string;
  /** Run migrations (default true). */
  migrate?: boolean;
  /** PostgreSQL pool size (default 8). */
  poolSize?: number;
  /** SQLite file databases: insert scans on a worker thread (the server does; default false). */
  insertThread?: boolean;
}

/** Redacts the password of a connection URL for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable url)';
  }
}

export async function openDatabase(o: OpenOptions): Promise<RecordsDb> {
  const rdb = o.databaseUrl ? openPostgres(o.databaseUrl, o.poolSize ?? 8) : openSqlite(o.sqliteFile);
  if (o.migrate !== false) {
    try {
      await migrateToLatest(rdb.db, rdb.engine);
    } catch (e) {
      await rdb.close().catch(() => {});
      throw e;
    }
  }
  // After the migrations: the thread's statement needs the table.
  if (o.insertThread && rdb.engine === 'sqlite' && o.sqliteFile !== ':memory:') {
    const thread = new SqliteInsertThread(o.sqliteFile, scanInsertSql(rdb));
    return {
      ...rdb,
      insertThread: thread,
      async close() {
        await thread.close();
        await rdb.close();
      },
    };
  }
  return rdb;
}

function openSqlite(file: string): RecordsDb {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const raw = new SQLite(file);
  // The file holds personal data: owner only (before WAL mode, so SQLite gives the -wal and -shm files
  // the same mode; DATA_DIR/server is 0700 as well).
  if (file !== ':memory:') chmodSync(file, 0o600);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  raw.pragma('busy_timeout = 5000');
  raw.pragma('cache_size = -65536'); // 64 MiB page cache
  raw.pragma('temp_store = MEMORY');
  // Checkpoint the WAL every 10,000 pages (40 MiB) instead of 1,000: with indexes of random keys a
  // checkpoint rewrites pages all over the file, and one every 4 MiB halved the aid handout rate at full
  // regency scale (docs/benchmarks.md). Readers still see every commit; the WAL is just longer.
  raw.pragma('wal_autocheckpoint = 10000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(raw) }) });
  return {
    engine: 'sqlite',
    db,
    where: file,
    // Kysely's SQLite driver has one connection behind a mutex; holding it keeps our raw statements out
    // of another caller's open transaction (and theirs out of ours).
    exclusive: (fn) => db.connection().execute(async () => fn(raw)),
    async ping() {
      try {
        raw.prepare('select 1').get();
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await db.destroy();
    },
  };
}

/**
 * Kysely's SQLite driver prepares every statement it runs; preparing costs more than running the small
 * queries of the alerts and arrivals (4 % of the server's time at e2e load, profiled). The statements are
 * kept by their SQL (the 512 most recently used): Kysely runs one query at a time on this connection, so
 * a statement is never in use twice at once.
 */
function withStatementCache(raw: SQLite.Database): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = (sql: string): SQLite.Statement => {
    let st = cache.get(sql);
    if (st) {
      cache.delete(sql); // most recently used last
      cache.set(sql, st);
      return st;
    }
    st = raw.prepare(sql);
    cache.set(sql, st);
    if (cache.size > 512) cache.delete(cache.keys().next().value!);
    return st;
  };
  return new Proxy(raw, {
    get(target, prop) {
      if (prop === 'prepare') return prepare;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

function openPostgres(url: string, max: number): RecordsDb {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 5000, idleTimeoutMillis: 30_000 });
  // An idle client losing its connection (PostgreSQL restarted) must not crash the process.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    engine: 'postgres',
    db,
    where: redactUrl(url),
    async ping() {
      try {
        await sql`select 1`.execute(db);
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await db.destroy();
    },
  };
}
