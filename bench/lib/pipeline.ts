/**
 * The whole product on localhost for e2e/latency: a private influxd, our broker (its CLI, with its own
 * DATA_DIR and LevelDB persistence, as `npm start` runs it), the server (its CLI), device and server
 * identities, a command-centre account, and one signed-in socket.io client recording publish→socket
 * latency per arrival event. Also the bare-broker child for the limit runs.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { addDevice, addServer } from '@sk/broker';
import type { ClientToServerEvents, ServerToClientEvents } from '@sk/protocol';
import { addUser, serverPaths } from '@sk/server';
import { freePort, startPrivateInfluxd, type PrivateInfluxd } from '../../scripts/lib/influxd.ts';
import type { PubClientPlan } from './pub-worker.ts';
import { cpuSeconds, portOpen, progress, spawnTsx, stopChild, waitFor } from './proc.ts';

export const tempDir = (p: string) => mkdtempSync(join(tmpdir(), `sk-bench-${p}-`));

/** Starts broker-child.ts and resolves with its port once it prints it. */
export async function startBrokerChild(env: { auth: boolean; credentials?: string; persistDir?: string }): Promise<{ child: ChildProcess; url: string }> {
  const child = spawnTsx(env.auth ? 'broker' : 'bare', 'bench/lib/broker-child.ts', [], {
    BENCH_BROKER_AUTH: String(env.auth), BENCH_CREDENTIALS: env.credentials ?? '', BENCH_PERSIST_DIR: env.persistDir ?? '',
  });
  const port = await new Promise<number>((res, rej) => {
    let buf = '';
    const timer = setTimeout(() => rej(new Error('broker child did not start within 30 s')), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /PORT (\d+)/.exec(buf);
      if (m) { clearTimeout(timer); res(Number(m[1])); }
    });
    child.once('exit', (c) => { clearTimeout(timer); rej(new Error(`broker child exited (${c})`)); });
  });
  return { child, url: `mqtt://127.0.0.1:${port}` };
}

export interface Pipeline {
  mqttUrl: string;
  httpUrl: string;
  broker: ChildProcess;
  server: ChildProcess;
  influxd: PrivateInfluxd;
  cookie: string;
  /** Device plans with their credentials filled in. */
  devices: PubClientPlan[];
  live: LiveCounter;
  /** All scanIds stored between `from` and `to` (ISO), via GET /api/stored-scan-ids. */
  storedScanIds(from: string, to: string): Promise<string[]>;
  stop(): Promise<void>;
}

export interface LiveCounter {
  arrivals: number;
  unique: Set<string>;
  latenciesMs: number[];
  lastAt: number;
  /** When the n-th 100,000 unique scans had arrived (epoch ms): for the sustained rate of the last 100,000. */
  per100k: number[];
  close(): void;
}

export async function startPipeline(o: { devices: PubClientPlan[]; serverEnv?: Record<string, string> }): Promise<Pipeline> {
  const dir = tempDir('e2e');
  let influxd: PrivateInfluxd | undefined, broker: ChildProcess | undefined, server: ChildProcess | undefined, live: LiveCounter | undefined;
  const stop = async () => {
    live?.close();
    await stopChild(server, 15_000); // flushes its batches first
    await stopChild(broker);
    await influxd?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    influxd = await startPrivateInfluxd({ dir: join(dir, 'influxdb') });
    mkdirSync(join(dir, 'broker'), { recursive: true });
    const cred = join(dir, 'broker', 'credentials.json');
    const srv = await addServer(cred, 'sk-server');
    const devices: PubClientPlan[] = [];
    for (const d of o.devices) devices.push({ ...d, username: d.deviceId, password: (await addDevice(cred, { checkpointId: d.checkpointId, deviceId: d.deviceId })).secret });
    const password = 'bench-komando-rahasia';
    await addUser({ dataDir: dir }, { username: 'komando', role: 'command', password });

    const mqttPort = await freePort();
    broker = spawnTsx('broker', 'broker/src/cli.ts', ['start'], { DATA_DIR: dir, MQTT_PORT: String(mqttPort), MQTT_WS_PORT: 'off', LOG_LEVEL: 'warn' });
    await waitFor('broker', () => portOpen(mqttPort), 30_000, broker);
    const mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;

    const httpPort = await freePort();
    const consoleDir = join(dir, 'console');
    mkdirSync(consoleDir);
    server = spawnTsx('server', 'server/src/cli.ts', ['serve'], {
      DATA_DIR: dir, HTTP_PORT: String(httpPort), MQTT_URL: mqttUrl, MQTT_USERNAME: srv.id, MQTT_PASSWORD: srv.secret,
      INFLUX_URL: influxd.url, LOG_LEVEL: 'warn', CONSOLE_DIR: consoleDir, ...o.serverEnv,
    });
    const httpUrl = `http://127.0.0.1:${httpPort}`;
    await waitFor('server', async () => (await fetch(`${httpUrl}/api/health`)).ok, 60_000, server);

    const res = await fetch(`${httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'komando', password }) });
    if (res.status !== 200) throw new Error(`login failed: HTTP ${res.status}`);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    live = await liveCounter(httpUrl, cookie);
    progress(`pipeline up: influxd ${influxd.baseUrl}, broker ${mqttUrl}, server ${httpUrl}, ${devices.length} devices`);

    return {
      mqttUrl, httpUrl, broker, server, influxd, cookie, devices, live,
      async storedScanIds(from, to) {
        const r = await fetch(`${httpUrl}/api/stored-scan-ids?from=${from}&to=${to}`, { headers: { cookie } });
        const body = (await r.json()) as { ok: boolean; data?: { scanIds: string[] }; error?: { message: string } };
        if (!body.ok) throw new Error(`stored-scan-ids: HTTP ${r.status} ${body.error?.message}`);
        return body.data!.scanIds;
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** A signed-in command-centre socket: counts `arrival` events and their publish→socket latency (scannedAt = publish time). */
async function liveCounter(url: string, cookie: string): Promise<LiveCounter> {
  const sock: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, { transports: ['websocket'], extraHeaders: { cookie }, reconnection: false, forceNew: true });
  const c: LiveCounter = { arrivals: 0, unique: new Set(), latenciesMs: [], lastAt: 0, per100k: [], close: () => sock.close() };
  // Reads the two columns it counts, by name, without building the events (a console unpacks them all;
  // in the field it runs on another machine, here it shares the server's two cores).
  sock.on('arrivals', (b) => {
    const t = performance.timeOrigin + performance.now();
    const id = b.c.indexOf('scanId');
    const at = b.c.indexOf('scannedAt');
    for (const row of b.r) {
      c.arrivals++;
      c.unique.add(row[id] as string);
      if (c.unique.size % 100_000 === 0 && c.per100k.length < c.unique.size / 100_000) c.per100k.push(t);
      c.latenciesMs.push(t - Date.parse(row[at] as string));
    }
    c.lastAt = t;
  });
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error('socket.io: no hello within 10 s')), 10_000);
    sock.once('hello', () => { clearTimeout(timer); res(); });
    sock.once('connect_error', (e) => { clearTimeout(timer); rej(e); });
  });
  return c;
}

/** Every 3 s: the server's ingest counters (GET /api/health) and CPU of the parts, on stderr. */
export function monitor(p: Pipeline): () => void {
  let last = { t: performance.now(), cpu: { broker: cpuSeconds(p.broker.pid), server: cpuSeconds(p.server.pid), influxd: cpuSeconds(p.influxd.process.pid) } };
  const timer = setInterval(() => {
    const t = performance.now();
    const cpu = { broker: cpuSeconds(p.broker.pid), server: cpuSeconds(p.server.pid), influxd: cpuSeconds(p.influxd.process.pid) };
    const pct = (k: keyof typeof cpu) => Math.round((100 * (cpu[k] - last.cpu[k])) / ((t - last.t) / 1000));
    const cpuLine = `cpu broker ${pct('broker')}% server ${pct('server')}% influxd ${pct('influxd')}%`;
    last = { t, cpu };
    fetch(`${p.httpUrl}/api/health`, { signal: AbortSignal.timeout(2000) })
      .then((r) => r.json() as Promise<{ data?: { components?: { ingest?: unknown; spool?: unknown } } }>)
      .then((h) => progress(`${cpuLine}; ingest ${JSON.stringify(h.data?.components?.ingest)} spool ${JSON.stringify(h.data?.components?.spool)} socket ${p.live.unique.size}`))
      .catch(() => progress(`${cpuLine}; health did not answer in 2 s`));
  }, 3000);
  return () => clearInterval(timer);
}
