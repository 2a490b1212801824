/**
 * The cluster on one machine (issue 9): a private redis-server (unless REDIS_URL) and influxd (unless
 * INFLUX_URL) under $DATA_DIR, two brokers sharing Redis, two servers in cluster mode (the console is
 * served by both), and simulated checkpoint devices that list both brokers. Ctrl-C stops everything.
 *
 *   npm run start:cluster            npm run start:cluster -- --help
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { redactUrl, startPrivateInfluxd, type PrivateInfluxd } from './lib/influxd.ts';
import { provision } from './lib/provision.ts';
import { startPrivateRedis, type PrivateRedis } from './lib/redis.ts';
import { startPrivatePostgres, type PrivatePostgres } from './lib/postgres.ts';

const HELP = `Usage: npm run start:cluster [-- --no-sim]

Starts on one machine: Redis (private, unless REDIS_URL), PostgreSQL (private, unless DATABASE_URL),
influxd (private, unless INFLUX_URL), broker A and broker B (one broker cluster through Redis), server 1
and server 2 (cluster mode: one shared database of record in PostgreSQL, checkpoint leases and the live
channel in Redis), simulated checkpoints connected to both brokers.
Environment (defaults):
  DATA_DIR=./data-cluster   everything stored (redis/, postgres/, influxdb/, broker/, server-1/, server-2/, agents/, dev/)
  MQTT_PORT=1883            broker A; broker B listens on MQTT_PORT+1
  HTTP_PORT=8080            server 1 (console + API); server 2 on HTTP_PORT+1
  REDIS_URL=                use this Redis instead of a private one (REDIS_PORT=6390 for the private one)
  DATABASE_URL=             use this PostgreSQL instead of a private one (PG_PORT=5433 for the private one)
  INFLUX_URL=               use this InfluxDB 1.x instead of a private one (INFLUX_PORT=8186)
  SIM_DEVICES=2  SIM_RATE=60   as for npm start
Kill one broker or one server (kill -9 <pid>, pids printed at start) and watch the other take over.`;

const env = process.env;
const int = (name: string, dflt: number) => {
  const raw = env[name];
  const n = raw ? Number(raw) : dflt;
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`${name}=${raw} is not an integer in 0..65535\n\n${HELP}`);
    process.exit(1);
  }
  return n;
};

const children: ChildProcess[] = [];
let redis: PrivateRedis | undefined;
let postgres: PrivatePostgres | undefined;
let influxd: PrivateInfluxd | undefined;
let stopping = false;

function run(name: string, args: string[], childEnv: Record<string, string>): ChildProcess {
  const proc = spawn(process.execPath, ['--import', 'tsx', ...args], { env: { ...process.env, ...childEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = `${name.padEnd(8)}│ `;
  for (const stream of [proc.stdout, proc.stderr]) {
    let buf = '';
    stream?.on('data', (d: Buffer) => {
      const lines = (buf += d.toString()).split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) process.stdout.write(prefix + l + '\n');
    });
  }
  // Unlike npm start, one process dying is the point of a cluster: report it, keep the rest running.
  proc.on('exit', (code, signal) => !stopping && console.error(`${prefix}exited (${signal ?? code}); the cluster carries on without it`));
  children.push(proc);
  return proc;
}

const portOpen = (port: number) =>
  new Promise<boolean>((res) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), res(true)));
    s.once('error', () => res(false));
  });

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !stopping) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  if (!stopping) throw new Error(`${what} did not come up within ${timeoutMs / 1000} s`);
}

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log('\nStopping…');
    for (const proc of [...children].reverse()) {
      if (proc.exitCode !== null || proc.signalCode !== null) continue;
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    }
    await influxd?.stop();
    await redis?.stop();
    await postgres?.stop();
  }
  process.exit(code);
}

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) return void console.log(HELP);
  const dataDir = resolve(env.DATA_DIR || './data-cluster');
  const mqttPort = int('MQTT_PORT', 1883);
  const httpPort = int('HTTP_PORT', 8080);
  const simDevices = int('SIM_DEVICES', 2);
  const simRate = int('SIM_RATE', 60);
  const noSim = process.argv.includes('--no-sim') || simDevices === 0 || simRate === 0;
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  mkdirSync(dataDir, { recursive: true });

  let redisUrl = env.REDIS_URL;
  if (!redisUrl) {
    redis = await startPrivateRedis({ dir: join(dataDir, 'redis'), port: int('REDIS_PORT', 6390) });
    redisUrl = redis.url;
    console.log(`redis   │ private redis-server at ${redisUrl} (append-only file in ${redis.dir})`);
  }
  // The database of record both servers share (issue 15): a private PostgreSQL unless DATABASE_URL.
  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    postgres = await startPrivatePostgres({ dir: join(dataDir, 'postgres'), port: int('PG_PORT', 5433) });
    databaseUrl = postgres.url;
    console.log(`pg      │ private PostgreSQL on 127.0.0.1:${postgres.port} (scram; credentials in ${join(postgres.dir, 'credentials.json')})`);
  }
  let influxUrl = env.INFLUX_URL;
  if (!influxUrl) {
    influxd = await startPrivateInfluxd({ dir: join(dataDir, 'influxdb'), port: int('INFLUX_PORT', 8186) });
    influxUrl = influxd.url;
    console.log(`influx  │ private influxd at ${influxd.baseUrl}, authentication on`);
  }
  const p = await provision({ dataDir, devicesPerCheckpoint: simDevices, databaseUrl });

  const brokerPorts = [mqttPort, mqttPort + 1];
  const brokerUrls = brokerPorts.map((port) => `mqtt://127.0.0.1:${port}`);
  const pids: string[] = [];
  for (const [i, port] of brokerPorts.entries()) {
    const name = `broker-${'ab'[i]}`;
    const proc = run(name, ['broker/src/cli.ts', 'start'], { DATA_DIR: dataDir, MQTT_PORT: String(port), MQTT_WS_PORT: 'off', REDIS_URL: redisUrl });
    pids.push(`${name} ${proc.pid}`);
    await waitFor(name, () => portOpen(port));
  }
  const serverUrls: string[] = [];
  // One aid HMAC secret for every instance, or doubles across servers would go unflagged (the server refuses to start).
  const aidSecretFile = join(dataDir, 'dev', 'aid-secret');
  if (!process.env.AID_HMAC_SECRET && !existsSync(aidSecretFile)) writeFileSync(aidSecretFile, randomBytes(32).toString('base64url'), { mode: 0o600 });
  const aidSecret = process.env.AID_HMAC_SECRET ?? readFileSync(aidSecretFile, 'utf8').trim();
  for (const n of [1, 2]) {
    const port = httpPort + n - 1;
    // Each instance has its own DATA_DIR (spool); staff accounts are in the shared database (provisioned there).
    mkdirSync(join(dataDir, `server-${n}`, 'server'), { recursive: true, mode: 0o700 });
    const proc = run(`server-${n}`, ['server/src/cli.ts', 'serve'], {
      DATA_DIR: join(dataDir, `server-${n}`),
      HTTP_PORT: String(port),
      // Each server starts on a different broker and fails over to the other.
      MQTT_URL: (n === 1 ? brokerUrls : [...brokerUrls].reverse()).join(','),
      MQTT_USERNAME: p.server.id,
      MQTT_PASSWORD: p.server.secret,
      MQTT_CLIENT_ID: `sk-server-${n}`,
      INFLUX_URL: influxUrl,
      REDIS_URL: redisUrl,
      DATABASE_URL: databaseUrl,
      AID_HMAC_SECRET: aidSecret,
    });
    pids.push(`server-${n} ${proc.pid}`);
    serverUrls.push(`http://127.0.0.1:${port}`);
    await waitFor(`server-${n}`, async () => (await fetch(`${serverUrls.at(-1)}/api/health`)).ok);
  }
  if (!noSim) {
    run('sim', ['simulators/src/cli.ts', 'checkpoints', '--broker', brokerUrls.join(','), '--credentials', p.devicesFile,
      '--devices', String(simDevices), '--base-rate', String(simRate), '--data-dir', join(dataDir, 'agents')], { DATA_DIR: dataDir });
  }
  console.log(
    [
      '',
      '┌──────────────────────────────────────────────────────────────',
      '│ Smart Kampung Checkpoint — cluster of 2 brokers + 2 servers',
      `│ Console:   ${serverUrls.join('  or  ')}`,
      `│ MQTT:      ${brokerUrls.join(', ')}`,
      `│ Redis:     ${redisUrl}     InfluxDB: ${redactUrl(influxUrl)}     PostgreSQL: ${redactUrl(databaseUrl)}`,
      `│ Processes: ${pids.join(', ')}`,
      `│ Logins:    ${p.accounts.map((a) => `${a.username} / ${a.password}`).join(', ')} (on either server)`,
      '│ Stop with Ctrl-C.',
      '└──────────────────────────────────────────────────────────────',
    ].join('\n'),
  );
}

main().catch((e) => {
  console.error(`start:cluster failed: ${(e as Error).message}`);
  void shutdown(1);
});
