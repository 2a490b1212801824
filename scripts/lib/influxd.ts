/**
 * Runs a private influxd (Debian's 1.6.x) with its own config: data, meta and wal under `dir`,
 * HTTP on 127.0.0.1:`port`, the RPC bind address (8088) moved to a free port, reporting off.
 * Used by the start command (when no INFLUX_URL is given), the tests and the benchmarks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface PrivateInfluxd {
  url: string;
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
      '  auth-enabled = false',
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
  const url = `http://127.0.0.1:${port}`;
  const logFd = openSync(join(dir, 'influxd.log'), 'a');
  const handle: PrivateInfluxd = {
    url,
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
      await Promise.race([waitForPing(url), exited]);
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
