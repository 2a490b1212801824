/**
 * Fixtures for the cluster tests (issue 9): a private redis-server and influxd, brokers and servers as
 * real child processes (so `kill -9` is a real crash), edge agents that list several brokers, and a
 * direct read of what InfluxDB holds. Every wait is a bounded poll.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { addDevice, addServer, addVillageDevice } from '@sk/broker';
import { CHECKPOINT_IDS } from '@sk/protocol';
import { EdgeAgent } from '@sk/edge-agent';
import { influxFetch, startPrivateInfluxd, freePort, type PrivateInfluxd } from '../scripts/lib/influxd.ts';
import { startPrivateRedis, type PrivateRedis } from '../scripts/lib/redis.ts';
import { startPrivatePostgres, type PrivatePostgres } from '../scripts/lib/postgres.ts';
import { openDatabase } from '../server/src/db/database.ts';
import { storedScanIds } from '../server/src/db/scan-rows.ts';
import type { RunningServer } from '@sk/server';
import { liveSocket, signIn, until, type LiveSocket } from './server-fixtures.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface Child {
  name: string;
  port: number;
  url: string;
  proc: ChildProcess;
  /** Output so far (for a failure message). */
  output(): string;
  /** kill -9: a crash, no cleanup. */
  crash(): Promise<void>;
  stop(): Promise<void>;
}

export function spawnTsx(name: string, args: string[], env: Record<string, string>, port: number, url: string): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-20_000));
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const gone = () => proc.exitCode !== null || proc.signalCode !== null;
  const kill = async (signal: NodeJS.Signals) => {
    if (gone()) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill(signal);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (!gone()) proc.kill('SIGKILL');
  };
  return { name, port, url, proc, output: () => out, crash: () => kill('SIGKILL'), stop: () => kill('SIGTERM') };
}

export const portOpen = (port: number) =>
  new Promise<boolean>((res) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), res(true)));
    s.once('error', () => res(false));
  });

export class ClusterRig {
  readonly dir = mkdtempSync(join(tmpdir(), 'sk-cluster-'));
  readonly credFile = join(this.dir, 'broker', 'credentials.json');
  redis!: PrivateRedis;
  influx!: PrivateInfluxd;
  /** The database of record every server of the rig shares (issue 15: cluster mode is PostgreSQL). */
  pg!: PrivatePostgres;
  serverSecret = '';
  readonly children: Child[] = [];
  readonly agents: EdgeAgent[] = [];

  async start(): Promise<void> {
    this.redis = await startPrivateRedis({ dir: join(this.dir, 'redis'), ephemeral: true });
    this.influx = await startPrivateInfluxd({ dir: join(this.dir, 'influx') });
    chmodSync(this.dir, 0o755); // as root, PostgreSQL runs as its own system user: it must reach its directory
    this.pg = await startPrivatePostgres({ dir: join(this.dir, 'pg'), ephemeral: true });
    this.serverSecret = (await addServer(this.credFile, 'sk-server')).secret;
  }

  /** Where a server of the rig keeps its records: the shared PostgreSQL (users added there sign in on every server). */
  records(name: string): { dataDir: string; databaseUrl: string } {
    return { dataDir: join(this.dir, name), databaseUrl: this.pg.url };
  }

  /** A broker child process; `redis: false` = single-node mode (LevelDB under the rig's dir). */
  async broker(name: string, opts: { redis?: boolean } = {}): Promise<Child> {
    const p = await freePort();
    const env: Record<string, string> = { DATA_DIR: this.dir, MQTT_PORT: String(p), MQTT_WS_PORT: 'off', LOG_LEVEL: process.env.CLUSTER_LOG_LEVEL ?? 'warn' };
    if (opts.redis ?? true) env.REDIS_URL = this.redis.url;
    const child = spawnTsx(name, ['broker/src/cli.ts', 'start'], env, p, `mqtt://127.0.0.1:${p}`);
    this.children.push(child);
    await until(`${name} listening (${child.output()})`, () => portOpen(p), 30_000);
    return child;
  }

  /** A server child process; `redis` = cluster mode (leases, shared seen index, sessions, live). */
  async server(name: string, brokerUrls: string[], opts: { redis?: boolean; clientId?: string } = {}): Promise<Child> {
    const p = await freePort();
    const env: Record<string, string> = {
      HTTP_PORT: String(p),
      MQTT_URL: brokerUrls.join(','),
      MQTT_USERNAME: 'sk-server',
      MQTT_PASSWORD: this.serverSecret,
      MQTT_CLIENT_ID: opts.clientId ?? `sk-server-${name}`,
      INFLUX_URL: this.influx.url,
      DATABASE_URL: this.pg.url,
      DATA_DIR: join(this.dir, name),
      CONSOLE_DIR: join(this.dir, 'console'),
      LOG_LEVEL: process.env.CLUSTER_LOG_LEVEL ?? 'warn',
      BATCH_MAX_MS: '20',
      // Every instance of one cluster must key people with the same aid secret (the server refuses otherwise).
      AID_HMAC_SECRET: process.env.AID_HMAC_SECRET ?? 'cluster-rig-shared-aid-secret-0123456789',
      ...(opts.redis ? { REDIS_URL: this.redis.url } : {}),
    };
    const child = spawnTsx(name, ['server/src/cli.ts', 'serve'], env, p, `http://127.0.0.1:${p}`);
    this.children.push(child);
    await until(`${name} healthy`, async () => (await fetch(`${child.url}/api/health`).catch(() => null))?.ok === true, 90_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${child.output()}`);
    });
    return child;
  }

  readonly #secrets = new Map<string, string>();

  /** Enrol devices before the brokers start (a broker reloads credentials on change, but a device that
   * races the reload is refused and then throttled per IP, which only slows a test down). */
  secretOf(deviceId: string): string | undefined {
    return this.#secrets.get(deviceId);
  }

  /**
   * Waits until the four checkpoint leases are split two and two between servers `a` and `b` (their
   * names given to `server()`), and returns who holds which.
   */
  async leasesSplit(a: string, b: string, timeoutMs = 30_000): Promise<Record<string, string | null>> {
    const redis = new Redis(this.redis.url);
    let holders: Record<string, string | null> = {};
    try {
      await until('the four checkpoints split two and two', async () => {
        holders = Object.fromEntries(await Promise.all(CHECKPOINT_IDS.map(async (cp) => [cp, await redis.get(`sk:lease:${cp}`)] as const)));
        const h = Object.values(holders);
        return h.filter((x) => x === `sk-server-${a}`).length === 2 && h.filter((x) => x === `sk-server-${b}`).length === 2;
      }, timeoutMs);
    } finally {
      redis.disconnect();
    }
    return holders;
  }

  async enrol(devices: [checkpointId: string, deviceId: string][]): Promise<void> {
    for (const [checkpointId, deviceId] of devices) this.#secrets.set(deviceId, (await addDevice(this.credFile, { checkpointId, deviceId })).secret);
  }

  /** One agent per device (an outbox is locked by its agent): asking twice returns the running one. */
  async agent(checkpointId: string, deviceId: string, brokerUrls: string[]): Promise<EdgeAgent> {
    const running = this.agents.find((a) => a.config.deviceId === deviceId);
    if (running) return running;
    const secret = this.#secrets.get(deviceId) ?? (await addDevice(this.credFile, { checkpointId, deviceId })).secret;
    const agent = new EdgeAgent({ brokerUrls, checkpointId, deviceId, password: secret, dataDir: join(this.dir, 'agents', deviceId), retransmitAfterMs: 2000, reconnectPeriodMs: 300 });
    await agent.start();
    this.agents.push(agent);
    return agent;
  }

  /**
   * Every scanId stored, read straight from the shared database of record — after checking that
   * InfluxDB holds exactly one point per stored scan (a doubled point would make the counts differ).
   */
  async storedScanIds(): Promise<string[]> {
    const rdb = await openDatabase({ databaseUrl: this.pg.url, sqliteFile: ':memory:', migrate: false });
    try {
      const ids = await storedScanIds(rdb, '1970-01-01T00:00:00.000Z', '2100-01-01T00:00:00.000Z');
      await until(`InfluxDB holds one point per stored scan (${ids.length})`, async () => (await this.pointCount()) === ids.length, 30_000);
      return ids;
    } catch (e) {
      if ((e as Error).message.includes('relation "scans" does not exist')) return [];
      throw e;
    } finally {
      await rdb.close();
    }
  }

  /** Points in InfluxDB's arrivals measurement (one per scan, whatever the replays). */
  async pointCount(): Promise<number> {
    const res = await influxFetch(this.influx.url, `/query?db=smart_kampung&q=${encodeURIComponent('SELECT count(temperatureC) FROM arrivals')}`);
    const body = (await res.json()) as { results: { series?: { values: [string, number][] }[] }[] };
    return body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
  }

  async stop(): Promise<void> {
    for (const a of this.agents) await a.stop().catch(() => {});
    for (const c of [...this.children].reverse()) await c.stop().catch(() => {});
    await this.influx?.stop().catch(() => {});
    await this.redis?.stop().catch(() => {});
    await this.pg?.stop().catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Waits until every agent's outbox is empty (every scan acknowledged by a server). */
/**
 * The double-aid cluster tests' setup: one broker, two servers in cluster mode on one PostgreSQL and
 * one Redis (every instance keys people with `secret`: the children inherit it), village officer A
 * signed in through server 1 and B through server 2 (users and sessions are in the shared database),
 * each with a console on the OTHER server.
 */
export async function twoAidServers(rig: ClusterRig, secret: string, villageA: string, villageB: string) {
  process.env.AID_HMAC_SECRET = secret;
  await rig.start();
  // A distribution-point device of village A (before the broker starts: it reads its credentials then).
  const device = { id: 'pos-a', secret: (await addVillageDevice(rig.credFile, { villageCode: villageA, deviceId: 'pos-a' })).secret };
  const broker = await rig.broker('broker-a', { redis: false });
  const s1 = await rig.server('server-1', [broker.url], { redis: true });
  const s2 = await rig.server('server-2', [broker.url], { redis: true });
  const at = (s: Child) => ({ url: s.url }) as RunningServer;
  const cookies: Record<string, string> = {
    A: await signIn(at(s1), rig.records('server-1'), 'desa-a', 'village', { villageCode: villageA }),
    B: await signIn(at(s2), rig.records('server-2'), 'desa-b', 'village', { villageCode: villageB }),
  };
  const consoles = { A: liveSocket(at(s2), cookies.A), B: liveSocket(at(s1), cookies.B) } as Record<'A' | 'B', LiveSocket>;
  await Promise.all(Object.values(consoles).map((s) => new Promise<void>((r) => s.once('hello', () => r()))));
  return {
    s1, s2, cookies, consoles, broker, device,
    async stop(): Promise<void> {
      for (const s of Object.values(consoles)) s.close();
      delete process.env.AID_HMAC_SECRET;
      await rig.stop();
    },
  };
}

export async function allAcked(agents: EdgeAgent[], timeoutMs = 90_000, rig?: ClusterRig): Promise<void> {
  try {
    await until('every outbox empty', () => agents.every((a) => a.stats().outbox.depth === 0), timeoutMs);
  } catch (e) {
    const agentsState = agents.map((a) => `${a.config.deviceId}: ${JSON.stringify({ ...a.stats(), outbox: a.stats().outbox.depth })}`);
    const logs = rig?.children.map((c) => `--- ${c.name}\n${c.output().slice(-3000)}`) ?? [];
    throw new Error(`${(e as Error).message}\n${agentsState.join('\n')}\n${logs.join('\n')}`);
  }
}

export function dupes(ids: string[]): string[] {
  const seen = new Set<string>();
  return ids.filter((id) => (seen.has(id) ? true : (seen.add(id), false)));
}
