/**
 * Runs a private influxd (Debian's 1.6.x) with its own config: data, meta and wal under `dir`,
 * HTTP on 127.0.0.1:`port`, the RPC bind address (8088) moved to a free port, reporting off.
 * Used by the start command (when no INFLUX_URL is given), the tests and the benchmarks.
 *
 * Authentication is on (issue 17, least privilege): one admin user whose password is generated once
 * into `dir/credentials.json` (mode 0600) and travels only inside `url` (user:password@), which the
 * server reads as INFLUX_URL. influxd 1.x lets the first admin be created without credentials while
 * no admin exists ("CREATE USER … WITH ALL PRIVILEGES"), so a data dir from before gains it at its
 * next start. Print `baseUrl`, never `url`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface InfluxCredentials {
  username: string;
  password: string;
}

export interface PrivateInfluxd {
  /** With the credentials (`http://admin:…@127.0.0.1:8186`): for INFLUX_URL, never for a log line. */
  url: string;
  /** Without them (`http://127.0.0.1:8186`): safe to print. */
  baseUrl: string;
  credentials: InfluxCredentials;
  port: number;
  dir: string;
  process: ChildProcess;
  stop(): Promise<void>;
  /** Stop the process (SIGKILL when `hard`) but keep its data, for outage tests; `start()` brings it back on the same port. */
  kill(hard?: boolean): Promise<void>;
  start(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export const INFLUXD_BIN = process.env.INFLUXD_BIN ?? 'influxd';

/** `redactUrl('http://admin:s3cret@host:8086')` → `http://host:8086`: a URL fit for a log line or a banner. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * fetch() on an InfluxDB URL that may carry credentials (fetch refuses a URL with user:password@):
 * `influxFetch(influxd.url, '/query?q=SHOW%20DATABASES')` sends them as Basic authorization instead.
 */
export function influxFetch(url: string, pathAndQuery: string, init: RequestInit = {}): Promise<Response> {
  const u = new URL(url);
  const headers = new Headers(init.headers);
  if (u.username) headers.set('authorization', `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`);
  return fetch(`${redactUrl(url)}${pathAndQuery}`, { ...init, headers });
}

/** The admin credentials kept in `file` (mode 0600), generated on first use. */
export function influxCredentials(file: string): InfluxCredentials {
  if (existsSync(file)) {
    const c = JSON.parse(readFileSync(file, 'utf8')) as Partial<InfluxCredentials>;
    if (typeof c.username === 'string' && typeof c.password === 'string') return { username: c.username, password: c.password };
    throw new Error(`${file}: not InfluxDB credentials (username, password); remove it to generate new ones for a fresh data dir`);
  }
  // base64url: letters, digits, - and _: safe inside a URL and an InfluxQL string.
  const c = { username: 'admin', password: randomBytes(24).toString('base64url') };
  writeFileSync(file, `${JSON.stringify(c, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return c;
}

/** Creates the admin user unless it exists: unauthenticated while influxd has no admin yet, else as that admin. */
async function ensureAdmin(baseUrl: string, c: InfluxCredentials, credentialsFile: string): Promise<void> {
  const body = new URLSearchParams({ q: `CREATE USER "${c.username}" WITH PASSWORD '${c.password}' WITH ALL PRIVILEGES` });
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  const basic = `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
  // As the admin first (the usual case: it exists); then without credentials (a fresh or older data dir).
  for (const h of [{ ...headers, authorization: basic }, headers]) {
    const res = await fetch(`${baseUrl}/query`, { method: 'POST', headers: h, body });
    await res.arrayBuffer();
    if (res.ok) return;
  }
  throw new Error(`influxd at ${baseUrl} has users, but refuses the credentials in ${credentialsFile}`);
}

export async function waitForPing(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/ping`);
      if (res.status === 204 || res.ok) return;
      lastError = `HTTP ${res.status}`;
    } catch (e) {
      lastError = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`influxd at ${url} did not answer /ping within ${timeoutMs} ms (${lastError})`);
}

export async function startPrivateInfluxd(opts: { dir: string; port?: number; quiet?: boolean }): Promise<PrivateInfluxd> {
  const dir = opts.dir;
  mkdirSync(dir, { recursive: true });
  const port = opts.port ?? (await freePort());
  const bindPort = await freePort();
  const conf = join(dir, 'influxd.conf');
  writeFileSync(
    conf,
    [
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${bindPort}"`,
      '[meta]',
      `  dir = "${join(dir, 'meta')}"`,
      '[data]',
      `  dir = "${join(dir, 'data')}"`,
      `  wal-dir = "${join(dir, 'wal')}"`,
      '  query-log-enabled = false',
      '  wal-fsync-delay = "0s"',
      '[http]',
      `  bind-address = "127.0.0.1:${port}"`,
      '  log-enabled = false',
      '  auth-enabled = true',
      '[monitor]',
      '  store-enabled = false',
      '[subscriber]',
      '  enabled = false',
      '[continuous_queries]',
      '  enabled = true',
      '  run-interval = "1s"',
      '',
    ].join('\n'),
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  const credentialsFile = join(dir, 'credentials.json');
  const credentials = influxCredentials(credentialsFile);
  const url = `http://${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}`;
  const logFd = openSync(join(dir, 'influxd.log'), 'a');
  const handle: PrivateInfluxd = {
    url,
    baseUrl,
    credentials,
    port,
    dir,
    process: undefined as unknown as ChildProcess,
    async start() {
      const child = spawn(INFLUXD_BIN, ['run', '-config', conf], { stdio: ['ignore', logFd, logFd], detached: false });
      handle.process = child;
      const exited = new Promise<never>((_, reject) =>
        child.once('exit', (code) => reject(new Error(`influxd exited with code ${code}; see ${join(dir, 'influxd.log')}`))),
      );
      exited.catch(() => {});
      await Promise.race([waitForPing(baseUrl), exited]);
      await ensureAdmin(baseUrl, credentials, credentialsFile);
    },
    async kill(hard = false) {
      const child = handle.process;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill(hard ? 'SIGKILL' : 'SIGTERM');
      await gone;
    },
    async stop() {
      await handle.kill(false);
    },
  };
  await handle.start();
  return handle;
}
