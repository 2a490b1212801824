/**
 * The server CLI: --help for every command, `user add` writing the database of record, and the
 * operating commands (backup, restore, purge, person erase) with their errors and exit codes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { UserDirectory } from '../server/src/auth/users.ts';
import { openDatabase } from '../server/src/db/database.ts';
import { insertScans, scanToRow } from '../server/src/db/scan-rows.ts';
import { recordsFile } from '../server/src/ops/records-location.ts';
import { freshPostgresUrl, stopPrivatePostgres } from './db-fixtures.ts';
import { makeScan, tempDir } from './server-fixtures.ts';

const run = promisify(execFile);
const cli = (args: string[], env: Record<string, string> = {}) =>
  run('npx', ['tsx', 'server/src/cli.ts', ...args], { cwd: join(import.meta.dirname, '..'), env: { ...process.env, DATABASE_URL: '', ...env } }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

const dirs: string[] = [];
const dir = (p: string) => {
  const d = tempDir(p);
  dirs.push(d);
  return d;
};
afterAll(async () => {
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  await stopPrivatePostgres();
});

/** Scans in DATA_DIR's database: `days` ago each, from `now`. */
async function seed(dataDir: string, days: number[]) {
  const rdb = await openDatabase({ sqliteFile: recordsFile(dataDir) });
  const scans = days.map((d, i) => makeScan(i + 1, { scannedAt: new Date(Date.now() - d * 86_400_000).toISOString() }));
  await insertScans(rdb, scans.map((scan) => scanToRow({ scan, receivedAt: scan.scannedAt, eta: scan.scannedAt }, 37.5)));
  await rdb.close();
  return scans;
}

describe('server CLI', () => {
  it('prints help, and each command’s own help', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['user add <username>', 'backup <file>', 'restore <file>', 'purge', 'person erase <NIK>']) expect(r.stdout).toContain(c);
    const erase = await cli(['person', 'erase', '--help']);
    expect(erase.code).toBe(0);
    expect(erase.stdout).toMatch(/spool\s+hold no personal data/);
    expect((await cli(['backup', '--help'])).stdout).toMatch(/never on the command line/);
  });

  it('adds a village officer with a generated password shown once, stored only as a scrypt hash in the database', async () => {
    const d = dir('cli');
    const r = await cli(['user', 'add', 'desa-kelir', '--role', 'village', '--village', '35.10.21.2003'], { DATA_DIR: d });
    expect(r.code).toBe(0);
    const password = /password \(shown once\): (\S+)/.exec(r.stdout)?.[1];
    expect(password).toBeTruthy();
    const bytes = readFileSync(recordsFile(d)).toString('latin1');
    expect(bytes).not.toContain(password!);
    expect(bytes).toContain('scrypt$');
    const rdb = await openDatabase({ sqliteFile: recordsFile(d) });
    try {
      expect(await new UserDirectory(rdb).authenticate('desa-kelir', password!)).toMatchObject({ role: 'village', villageCode: '35.10.21.2003' });
    } finally {
      await rdb.close();
    }
    const list = await cli(['user', 'list'], { DATA_DIR: d });
    expect(list.stdout).toContain('desa-kelir\tvillage\t35.10.21.2003');
    expect(list.stdout).not.toContain('scrypt');
  });

  it('refuses bad input with a clear error: 1 for a refused value, 2 for a usage error', async () => {
    const d = dir('cli-bad');
    const village = await cli(['user', 'add', 'desa-x', '--role', 'village', '--village', '99.99.99.9999'], { DATA_DIR: d });
    expect(village.code).toBe(1);
    expect(village.stderr).toContain('--village must be a Banyuwangi village code');
    const role = await cli(['user', 'add', 'desa-x'], { DATA_DIR: d });
    expect(role.code).toBe(2);
    expect(role.stderr).toContain('--role must be command, village or checkpoint');
    expect((await cli(['backup'], { DATA_DIR: d })).code).toBe(2);
    expect((await cli(['purge', '--days', 'lots'], { DATA_DIR: d })).code).toBe(2);
    const nik = await cli(['person', 'erase', '35102101079'], { DATA_DIR: d });
    expect(nik.code).toBe(1);
    expect(nik.stderr).toContain('a NIK is 16 digits');
    const env = await cli(['purge'], { DATA_DIR: d, DATABASE_URL: 'mysql://nope' });
    expect(env.code).toBe(1);
    expect(env.stderr).toContain('DATABASE_URL: must be a postgres:// URL');
  });

  it('backs up, and restores only into a fresh DATA_DIR', async () => {
    const d = dir('cli-src');
    await seed(d, [1, 2, 3]);
    const file = join(dir('cli-bak'), 'records.backup');
    const b = await cli(['backup', file], { DATA_DIR: d });
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/\(sqlite\) written to/);
    const again = await cli(['backup', file], { DATA_DIR: d });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('exists');

    const busy = await cli(['restore', file], { DATA_DIR: d });
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain('is not empty: restore into a fresh one');
    const fresh = join(dir('cli-dst'), 'data');
    expect((await cli(['restore', file], { DATA_DIR: fresh })).code).toBe(0);
    const rdb = await openDatabase({ sqliteFile: recordsFile(fresh) });
    try {
      expect((await rdb.db.selectFrom('scans').select('scan_id').execute()).length).toBe(3);
    } finally {
      await rdb.close();
    }
    const junk = join(dir('cli-junk'), 'x');
    writeFileSync(junk, 'x');
    expect((await cli(['restore', junk], { DATA_DIR: join(dir('cli-dst2'), 'data') })).stderr).toContain('not a backup');
  });

  it('on PostgreSQL (DATABASE_URL): adds a user, backs up with pg_dump and restores into an empty database', async () => {
    const url = await freshPostgresUrl();
    const add = await cli(['user', 'add', 'pusat', '--role', 'command', '--password', 'rahasia-sekali-9'], { DATA_DIR: dir('cli-pg'), DATABASE_URL: url });
    expect(add.code).toBe(0);
    expect(add.stdout).toContain('saved in postgres://');
    expect(add.stdout).not.toContain(new URL(url).password);
    const file = join(dir('cli-pg-bak'), 'records.pgdump');
    const b = await cli(['backup', file], { DATA_DIR: dir('cli-pg2'), DATABASE_URL: url });
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/\(postgres\) written to/);
    const into = await freshPostgresUrl();
    const r = await cli(['restore', file], { DATA_DIR: join(dir('cli-pg3'), 'data'), DATABASE_URL: into });
    expect(r.code).toBe(0);
    const rdb = await openDatabase({ databaseUrl: into, sqliteFile: ':memory:' });
    try {
      expect(await new UserDirectory(rdb).authenticate('pusat', 'rahasia-sekali-9')).toMatchObject({ role: 'command' });
    } finally {
      await rdb.close();
    }
    const again = await cli(['restore', file], { DATA_DIR: join(dir('cli-pg4'), 'data'), DATABASE_URL: into });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('not empty');
  });

  it('purges personal data past the retention period and erases one person, printing counts, never the NIK', async () => {
    const d = dir('cli-pii');
    const scans = await seed(d, [40, 30, 1, 0.5]);
    const purge = await cli(['purge'], { DATA_DIR: d, PII_RETENTION_DAYS: '28' });
    expect(purge.code).toBe(0);
    expect(purge.stdout).toMatch(/personal data cleared from 2 scans .* \(retention 28 days\)/);
    const target = scans[2]!.nik;
    const erase = await cli(['person', 'erase', target], { DATA_DIR: d });
    expect(erase.code).toBe(0);
    expect(erase.stdout).toContain('personal data cleared from 1 scans');
    expect(erase.stdout + erase.stderr).not.toContain(target);
    const rdb = await openDatabase({ sqliteFile: recordsFile(d) });
    try {
      const rows = await rdb.db.selectFrom('scans').select(['seq', 'nik']).orderBy('seq').execute();
      expect(rows.map((r) => r.nik)).toEqual([null, null, null, scans[3]!.nik]);
    } finally {
      await rdb.close();
    }
    expect((await cli(['person', 'erase', target], { DATA_DIR: d })).stdout).toContain('no scan holds this NIK');
  });
});
