/**
 * Fixtures for the server tests: a bare aedes broker on port 0, a private influxd, valid scans,
 * real mqtt.js publishers, signed-in HTTP and socket.io clients. Waits are bounded polls, never
 * timed assertions.
 */
import { afterAll, beforeAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { ulid } from 'ulid';
import { io, type Socket } from 'socket.io-client';
import { deviceTopic, type ClientToServerEvents, type Scan, type ServerToClientEvents } from '@sk/protocol';
import { addUser, loadConfig, startServer, type RecordsLocation, type RunningServer } from '@sk/server';
import { startPrivateInfluxd, type PrivateInfluxd } from '../scripts/lib/influxd.ts';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `sk-${prefix}-`));
}

export async function startBareBroker(): Promise<{ url: string; broker: Aedes; close(): Promise<void> }> {
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    broker,
    close: () =>
      new Promise<void>((r) => {
        server.close();
        broker.close(() => r());
      }),
  };
}

export async function startInflux(): Promise<PrivateInfluxd & { cleanup(): Promise<void> }> {
  const dir = tempDir('influx');
  const influx = await startPrivateInfluxd({ dir });
  return Object.assign(influx, {
    async cleanup() {
      await influx.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

export function serverConfig(env: Record<string, string>) {
  return loadConfig({ HTTP_PORT: '0', LOG_LEVEL: 'warn', BATCH_MAX_MS: '20', CONSOLE_DIR: tempDir('console'), ...env });
}

export async function bootServer(env: { MQTT_URL: string; INFLUX_URL: string; DATA_DIR: string } & Record<string, string>): Promise<RunningServer> {
  return startServer(serverConfig(env));
}

export interface ServerRig {
  broker: Awaited<ReturnType<typeof startBareBroker>>;
  influx: Awaited<ReturnType<typeof startInflux>>;
  server: RunningServer;
  dataDir: string;
}

/**
 * One bare broker, one private influxd and one server for a whole test file: registers the
 * beforeAll/afterAll hooks (call it at describe level, before the file's own beforeAll, which then
 * sees everything started). The returned object is filled in by the hook.
 */
export function serverRig(prefix: string, env: Record<string, string> = {}): ServerRig {
  const rig = {} as ServerRig;
  beforeAll(async () => {
    rig.broker = await startBareBroker();
    rig.influx = await startInflux();
    rig.dataDir = tempDir(prefix);
    rig.server = await bootServer({ MQTT_URL: rig.broker.url, INFLUX_URL: rig.influx.url, DATA_DIR: rig.dataDir, ...env });
  });
  afterAll(async () => {
    await rig.server?.close();
    await rig.broker?.close();
    await rig.influx?.cleanup();
    if (rig.dataDir) rmSync(rig.dataDir, { recursive: true, force: true });
  });
  return rig;
}

/** A valid scan for device `dev` of checkpoint `cp`, seq `seq`; overrides win. NIK decodes to the given sex/birth date. */
export function makeScan(seq: number, over: Partial<Scan> = {}, cp = 'ketapang', dev = 'ketapang-01'): Scan {
  const female = seq % 2 === 0;
  const day = 1 + (seq % 28);
  const nik = `351021${String(female ? day + 40 : day).padStart(2, '0')}0790${String(1 + (seq % 9999)).padStart(4, '0')}`;
  return {
    v: 1,
    scanId: ulid(),
    checkpointId: cp,
    deviceId: dev,
    seq,
    scannedAt: new Date(Date.UTC(2026, 10, 28, 1, 0, 0) + seq * 1000).toISOString(),
    nik,
    name: `Pelancong ${seq}`,
    sex: female ? 'P' : 'L',
    birthDate: `1990-07-${String(day).padStart(2, '0')}`,
    originAddress: 'Jl. Raya Gilimanuk 1, Bali',
    destinationVillageCode: '35.10.21.2003',
    health: { temperatureC: 36.6, symptoms: [], rapidTest: 'negatif', vaccinationDoses: 2 },
    ...over,
  };
}

export async function publisher(url: string, clientId = `pub-${ulid()}`): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, { clientId, reconnectPeriod: 0 });
  return c;
}

export async function publishScans(c: MqttClient, scans: Scan[]): Promise<void> {
  for (const s of scans) await c.publishAsync(deviceTopic(s.checkpointId, s.deviceId, 'scans'), JSON.stringify(s), { qos: 1 });
}

/** Polls `check` until it returns true; throws after `timeoutMs` with `what`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

/** Adds a user (into DATA_DIR's database, or the one given) and signs in; returns the session cookie header. */
export async function signIn(server: RunningServer, dataDir: string | RecordsLocation, username: string, role: 'command' | 'village' | 'checkpoint', extra: { villageCode?: string; checkpointId?: string } = {}): Promise<string> {
  const password = 'rahasia-sekali-123';
  await addUser(typeof dataDir === 'string' ? { dataDir } : dataDir, { username, role, password, ...extra });
  const res = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const cookie = res.headers.get('set-cookie') ?? '';
  return cookie.split(';')[0]!;
}

export async function api<T>(server: RunningServer, path: string, cookie?: string): Promise<{ status: number; body: { ok: boolean; data?: T; error?: { code: string; message: string } } }> {
  const res = await fetch(`${server.url}${path}`, { headers: cookie ? { cookie } : {} });
  return { status: res.status, body: (await res.json()) as never };
}

export type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export function liveSocket(server: RunningServer, cookie?: string): LiveSocket {
  return io(server.url, { transports: ['websocket'], extraHeaders: cookie ? { cookie } : {}, reconnection: false, forceNew: true });
}

/** Every stored scanId in the window, via the HTTP API (command role). */
export async function storedIds(server: RunningServer, cookie: string, from = '2026-01-01T00:00:00.000Z', to = '2027-12-31T00:00:00.000Z'): Promise<string[]> {
  const r = await api<{ scanIds: string[] }>(server, `/api/stored-scan-ids?from=${from}&to=${to}`, cookie);
  if (!r.body.ok) throw new Error(`stored-scan-ids: ${r.status} ${r.body.error?.message}`);
  return r.body.data!.scanIds;
}
