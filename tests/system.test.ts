/**
 * The walking skeleton, whole: edge agents → our authenticated broker → server → private influxd,
 * and a signed-in socket.io client. Real parts only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDevice, addServer, revoke, startBroker, type RunningBroker } from '@sk/broker';
import { EdgeAgent } from '@sk/edge-agent';
import { validScanInput } from '../edge-agent/src/testing.ts';
import { unpackArrivals, type ArrivalBatch } from '@sk/protocol';
import { startServer, type RunningServer } from '@sk/server';
import { startPrivateInfluxd, type PrivateInfluxd } from '../scripts/lib/influxd.ts';
import { api, liveSocket, serverConfig, signIn, until } from './server-fixtures.ts';

let dir: string;
let influx: PrivateInfluxd;
let broker: RunningBroker;
let server: RunningServer;
let credFile: string;
const agents: EdgeAgent[] = [];

async function device(checkpointId: string, deviceId: string): Promise<EdgeAgent> {
  const { secret } = await addDevice(credFile, { checkpointId, deviceId });
  await broker.reloadCredentials();
  const agent = new EdgeAgent({ brokerUrls: [`mqtt://127.0.0.1:${broker.mqttPort}`], checkpointId, deviceId, password: secret, dataDir: join(dir, 'agents', deviceId), retransmitAfterMs: 2000 });
  await agent.start();
  agents.push(agent);
  return agent;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sk-system-'));
  influx = await startPrivateInfluxd({ dir: join(dir, 'influx') });
  credFile = join(dir, 'broker', 'credentials.json');
  const srv = await addServer(credFile, 'sk-server');
  broker = await startBroker({ mqttPort: 0, credentialsFile: credFile, persistenceDir: join(dir, 'broker', 'db') });
  server = await startServer(
    serverConfig({ MQTT_URL: `mqtt://127.0.0.1:${broker.mqttPort}`, MQTT_USERNAME: srv.id, MQTT_PASSWORD: srv.secret, INFLUX_URL: influx.url, DATA_DIR: join(dir, 'server') }),
  );
});

afterAll(async () => {
  for (const a of agents) await a.stop().catch(() => {});
  await server?.close();
  await broker?.close();
  await influx?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a scan travels device → broker → server → InfluxDB → browser', () => {
  it('200 scans from two checkpoints: each stored once, each shown live once, every outbox empties', async () => {
    const cookie = await signIn(server, join(dir, 'server'), 'pusat', 'command');
    const socket = liveSocket(server, cookie);
    const seen = new Map<string, number>();
    socket.on('arrivals', (b: ArrivalBatch) => { for (const e of unpackArrivals(b)) seen.set(e.scanId, (seen.get(e.scanId) ?? 0) + 1); });
    await until('socket connected', () => socket.connected);

    const a = await device('ketapang', 'ketapang-01');
    const b = await device('kalibaru', 'kalibaru-01');
    const accepted: string[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await (i % 2 ? a : b).submit(validScanInput(i));
      expect(r.ok).toBe(true);
      if (r.ok) accepted.push(r.scanId);
    }
    await until('both outboxes drained', () => a.stats().outbox.depth === 0 && b.stats().outbox.depth === 0, 60_000);
    await until('200 live events', () => seen.size === 200, 30_000);

    const from = new Date(Date.now() - 3600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const stored = await api<{ scanIds: string[] }>(server, `/api/stored-scan-ids?from=${from}&to=${to}`, cookie);
    expect(stored.status).toBe(200);
    const ids = stored.body.data!.scanIds;
    expect(ids.length).toBe(200);
    expect(new Set(ids)).toEqual(new Set(accepted));
    expect([...seen.values()].every((n) => n === 1)).toBe(true);

    const counts = await api<{ checkpointId: string; today: number }[]>(server, '/api/counts/today', cookie);
    const today = Object.fromEntries(counts.body.data!.map((c) => [c.checkpointId, c.today]));
    // validScanInput's scannedAt is now, so all 200 fall on today (WIB) unless the test straddles midnight.
    expect((today.ketapang ?? 0) + (today.kalibaru ?? 0)).toBeGreaterThanOrEqual(1);
    socket.close();

    const health = await (await fetch(`${server.url}/api/health`)).json();
    expect(health.data.components.mqtt.state).toBe('up');
    expect(health.data.components.influx.state).toBe('up');
  });

  it('a revoked device is cut off, cannot reconnect, and its new scans wait durably in its outbox', async () => {
    const agent = await device('wongsorejo', 'wongsorejo-01');
    await until('connected', () => agent.stats().connected);
    await revoke(credFile, 'wongsorejo-01');
    await broker.reloadCredentials();
    await until('revoked device disconnected', () => !agent.stats().connected, 10_000);
    // Scans are still accepted into the outbox (durable) but go nowhere: the device stays locked out.
    const r = await agent.submit(validScanInput(9999));
    expect(r.ok).toBe(true);
    await new Promise((res) => setTimeout(res, 1500));
    expect(agent.stats().connected).toBe(false);
    expect(agent.stats().outbox.depth).toBe(1);
    // its reconnects are refused as revoked, and counted
    await until('reconnect refused as revoked', () => (broker.metrics().refusals.revoked ?? 0) + (broker.metrics().refusals.bad_credentials ?? 0) > 0, 10_000);
  });
});
