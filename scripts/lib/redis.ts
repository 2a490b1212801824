/**
 * Runs a private redis-server (Debian's 7.x) like scripts/lib/influxd.ts does influxd: its own port on
 * 127.0.0.1, its own data dir, no protected-mode surprises, and — when `ephemeral` — no RDB snapshots
 * and no AOF (tests and benches). The cluster start command runs it persistent (appendonly, fsync every
 * second) under $DATA_DIR/redis so broker sessions and queued QoS 1 messages survive a Redis restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from './influxd.ts';

/** A private server process of ours (Redis, PostgreSQL) on 127.0.0.1 with its own data dir. */
export interface PrivateService {
  url: string;
  port: number;
  dir: string;
  process: ChildProcess;
  stop(): Promise<void>;
  /** Stop (SIGKILL when `hard`) but keep the data dir; `start()` brings it back on the same port. */
  kill(hard?: boolean): Promise<void>;
  start(): Promise<void>;
}

export type PrivateRedis = PrivateService;

export const REDIS_BIN = process.env.REDIS_SERVER_BIN ?? 'redis-server';

/** Sends PING over a raw socket (no client library needed here) and waits for +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const done = (ok: boolean) => (s.destroy(), resolve(ok));
    s.setTimeout(1000, () => done(false));
    s.once('error', () => done(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

export async function waitForRedis(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ping(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server on 127.0.0.1:${port} did not answer PING within ${timeoutMs} ms`);
}

export async function startPrivateRedis(opts: { dir: string; port?: number; ephemeral?: boolean }): Promise<PrivateRedis> {
  const dir = opts.dir;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const port = opts.port ?? (await freePort());
  const conf = join(dir, 'redis.conf');
  const durable = !opts.ephemeral;
  writeFileSync(
    conf,
    [
      'bind 127.0.0.1',
      `port ${port}`,
      `dir ${dir}`,
      'daemonize no',
      `logfile ${join(dir, 'redis.log')}`,
      'loglevel warning',
      // Snapshots off in both modes; the durable mode keeps an append-only file instead (at most 1 s lost).
      'save ""',
      `appendonly ${durable ? 'yes' : 'no'}`,
      'appendfsync everysec',
      'databases 4',
      '',
    ].join('\n'),
  );
  const url = `redis://127.0.0.1:${port}`;
  const handle: PrivateRedis = {
    url,
    port,
    dir,
    process: undefined as unknown as ChildProcess,
    async start() {
      const child = spawn(REDIS_BIN, [conf], { stdio: 'ignore' });
      handle.process = child;
      const exited = new Promise<never>((_, reject) =>
        child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}; see ${join(dir, 'redis.log')}`))),
      );
      exited.catch(() => {});
      child.once('error', () => {});
      await Promise.race([waitForRedis(port), exited]);
    },
    async kill(hard = false) {
      const child = handle.process;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill(hard ? 'SIGKILL' : 'SIGTERM');
      await gone;
    },
    stop: () => handle.kill(false),
  };
  await handle.start();
  return handle;
}
