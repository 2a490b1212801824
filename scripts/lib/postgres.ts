/**
 * Runs a private PostgreSQL (Debian's 15) the way scripts/lib/redis.ts runs Redis: its own data dir,
 * its own port on 127.0.0.1 only, its socket inside the data dir, and password authentication (scram)
 * for the one role it creates. Its credentials are generated into `<dir>/credentials.json` (0600) and
 * never printed. PostgreSQL refuses to run as root, so as root it runs as the `postgres` system user
 * (created by Debian's package; `skpg` is created when there is none).
 *
 * `ephemeral` (tests, benches) turns fsync off; the cluster start command runs it durable.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from './influxd.ts';
import type { PrivateService } from './redis.ts';

/** `url` is postgres://sk:…@127.0.0.1:port/smart_kampung: it holds the password, never log it. */
export type PrivatePostgres = PrivateService;

function pgBinDir(): string {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  for (const v of ['17', '16', '15']) if (existsSync(`/usr/lib/postgresql/${v}/bin/postgres`)) return `/usr/lib/postgresql/${v}/bin`;
  throw new Error('PostgreSQL not found: install Debian\'s postgresql (scripts/ensure.sh does) or set PG_BIN_DIR');
}

/** The system user the server runs as when we are root. */
function runAsUser(): { name: string; uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const ids = (name: string) => ({ name, uid: Number(execFileSync('id', ['-u', name], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', name], { encoding: 'utf8' })) });
  for (const name of ['postgres', 'skpg']) {
    try {
      return ids(name);
    } catch {
      /* no such user: try the next */
    }
  }
  execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'skpg']);
  return ids('skpg');
}

function as(user: ReturnType<typeof runAsUser>, bin: string, args: string[]): [string, string[]] {
  return user ? ['runuser', ['-u', user.name, '--', bin, ...args]] : [bin, args];
}

function tcpUp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const done = (ok: boolean) => (s.destroy(), resolve(ok));
    s.setTimeout(500, () => done(false));
    s.once('error', () => done(false));
    s.once('connect', () => done(true));
  });
}

export async function startPrivatePostgres(opts: { dir: string; port?: number; ephemeral?: boolean; database?: string }): Promise<PrivatePostgres> {
  const dir = opts.dir;
  const pgdata = join(dir, 'pgdata');
  const credFile = join(dir, 'credentials.json');
  const user = runAsUser();
  const bin = pgBinDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (user) chownSync(dir, user.uid, user.gid);
  let creds: { user: string; password: string; port: number; database: string };
  if (!existsSync(join(pgdata, 'PG_VERSION'))) {
    creds = { user: 'sk', password: randomBytes(18).toString('base64url'), port: opts.port ?? (await freePort()), database: opts.database ?? 'smart_kampung' };
    const pwfile = join(dir, '.pw');
    writeFileSync(pwfile, creds.password + '\n', { mode: 0o600 });
    if (user) chownSync(pwfile, user.uid, user.gid);
    const [cmd, args] = as(user, join(bin, 'initdb'), ['-D', pgdata, '--username', creds.user, '--pwfile', pwfile, '--auth', 'scram-sha-256', '--encoding', 'UTF8', '--locale', 'C.UTF-8', '--no-instructions']);
    execFileSync(cmd, args, { stdio: 'pipe' });
    writeFileSync(pwfile, '');
    writeFileSync(credFile, JSON.stringify(creds), { mode: 0o600 });
  } else {
    creds = JSON.parse(readFileSync(credFile, 'utf8'));
    if (opts.port) creds.port = opts.port;
  }
  chmodSync(credFile, 0o600);
  const port = creds.port;
  const url = `postgres://${creds.user}:${encodeURIComponent(creds.password)}@127.0.0.1:${port}/${creds.database}`;
  const settings = ['-p', String(port), '-k', pgdata, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=100', '-c', 'shared_buffers=128MB', '-c', `logging_collector=off`];
  if (opts.ephemeral) settings.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const handle: PrivatePostgres = {
    url,
    port,
    dir,
    process: undefined as unknown as ChildProcess,
    async start() {
      const [cmd, args] = as(user, join(bin, 'postgres'), ['-D', pgdata, ...settings]);
      const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      handle.process = child;
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`postgres exited with code ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`))));
      exited.catch(() => {});
      const deadline = Date.now() + 30_000;
      const ready = (async () => {
        while (Date.now() < deadline) {
          if (await tcpUp(port)) {
            // Accepting connections: make the database (idempotent).
            const pg = (await import('pg')).default;
            const c = new pg.Client({ connectionString: url.replace(/\/[^/]*$/, '/postgres') });
            try {
              await c.connect();
              const has = await c.query('select 1 from pg_database where datname = $1', [creds.database]);
              if (has.rowCount === 0) await c.query(`create database "${creds.database}"`);
              return;
            } catch {
              /* still starting up */
            } finally {
              await c.end().catch(() => {});
            }
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`postgres on 127.0.0.1:${port} did not accept connections within 30 s: ${stderr.slice(-500)}`);
      })();
      await Promise.race([ready, exited]);
    },
    async kill(hard = false) {
      const child = handle.process;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      // Signal the postmaster itself (runuser does not pass SIGINT on); SIGINT is its "fast shutdown".
      let pid = 0;
      try {
        pid = Number(readFileSync(join(pgdata, 'postmaster.pid'), 'utf8').split('\n')[0]);
      } catch {
        /* not up yet */
      }
      if (pid > 0) {
        try {
          process.kill(pid, hard ? 'SIGKILL' : 'SIGINT');
        } catch {
          /* already gone */
        }
      } else child.kill('SIGKILL');
      await gone;
    },
    stop: () => handle.kill(false),
  };
  await handle.start();
  return handle;
}
