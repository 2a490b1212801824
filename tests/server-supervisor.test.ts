/**
 * A checkpoint supervisor (issue 5: "checkpoint supervisor (their checkpoint)") gets their checkpoint's
 * arrivals, alerts and device status, live and over HTTP, and nothing of another checkpoint's; a
 * village officer gets no device status at all. Negative checks ride on per-publisher order: once the
 * message published after the foreign one has arrived, the foreign one would have arrived before it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { unpackArrivals, type AlertEvent, type ArrivalEvent, type DeviceStatus } from '@sk/protocol';
import type { RunningServer } from '@sk/server';
import { api, liveSocket, makeScan, publisher, publishScans, serverRig, signIn, until, type LiveSocket, type ServerRig } from './server-fixtures.ts';

const OWN = 'ketapang';
const OTHER = 'kalibaru';
const VILLAGE = '35.10.21.2003';
const fever = { temperatureC: 38.7, symptoms: [], rapidTest: 'negatif' as const, vaccinationDoses: 1 };

function status(cp: string, dev: string): DeviceStatus {
  return {
    v: 1, checkpointId: cp, deviceId: dev, state: 'online', at: new Date().toISOString(), version: '1.0.0',
    outbox: { depth: 3, oldestAgeSec: 4, diskBytes: 4096, diskLimitBytes: 1 << 20 }, clockSkewMs: 120,
  };
}

/** A signed-in socket that records everything it is sent, resolved once `hello` came. */
async function recorder(server: RunningServer, cookie: string) {
  const sock: LiveSocket = liveSocket(server, cookie);
  const got = { arrivals: [] as ArrivalEvent[], alerts: [] as AlertEvent[], statuses: [] as DeviceStatus[] };
  sock.on('arrivals', (b) => got.arrivals.push(...unpackArrivals(b)));
  sock.on('alert', (a) => got.alerts.push(a));
  sock.on('device:status', (s) => got.statuses.push(s));
  const hello = await new Promise<{ scope: unknown }>((r) => sock.once('hello', r));
  return { sock, got, hello };
}

describe('checkpoint supervisor', () => {
  const rig = serverRig('supervisor');
  let broker: ServerRig['broker'];
  let server: RunningServer;
  let dataDir: string;
  let command: string;
  let supervisor: string;
  let village: string;

  beforeAll(async () => {
    ({ broker, server, dataDir } = rig);
    command = await signIn(server, dataDir, 'pusat', 'command');
    supervisor = await signIn(server, dataDir, 'pos-ketapang', 'checkpoint', { checkpointId: OWN });
    village = await signIn(server, dataDir, 'desa-ketapang', 'village', { villageCode: VILLAGE });
  });

  it("gets its checkpoint's arrivals and alerts live, another checkpoint's not, also on catch-up", async () => {
    const sup = await recorder(server, supervisor);
    const cmd = await recorder(server, command);
    expect(sup.hello.scope).toEqual({ role: 'checkpoint', checkpointId: OWN });
    const dev = await publisher(broker.url);
    // Same destination village for both: only the checkpoint tells them apart.
    const foreign = makeScan(1, { health: fever }, OTHER, `${OTHER}-01`);
    const own = makeScan(2, { health: fever }, OWN, `${OWN}-01`);
    await publishScans(dev, [foreign, own]);
    await until('own arrival', () => sup.got.arrivals.some((e) => e.scanId === own.scanId));
    await until('own alert', () => sup.got.alerts.some((a) => a.scanId === own.scanId));
    await until('command saw both', () => cmd.got.arrivals.length === 2 && cmd.got.alerts.some((a) => a.scanId === foreign.scanId));
    expect(sup.got.arrivals.map((e) => e.scanId)).toEqual([own.scanId]);
    expect(sup.got.alerts.every((a) => a.checkpointId === OWN)).toBe(true);
    // The NIK leaves the server masked for supervisors too.
    expect(sup.got.arrivals[0]!.nikMasked).not.toBe(own.nik);
    expect(JSON.stringify(sup.got.arrivals)).not.toContain(own.nik);

    const caught = await new Promise<{ events: ArrivalEvent[] }>((r) => sup.sock.emit('catchup', 0, r));
    expect(caught.events.map((e) => e.checkpointId)).toEqual([OWN]);

    // HTTP: scoped whatever the query asks for.
    await until('stored', async () => (await api<ArrivalEvent[]>(server, '/api/arrivals', command)).body.data!.length === 2);
    const asked = await api<ArrivalEvent[]>(server, `/api/arrivals?checkpoint=${OTHER}`, supervisor);
    expect(asked.status).toBe(200);
    expect(asked.body.data!.map((e) => e.scanId)).toEqual([own.scanId]);
    const alerts = await api<AlertEvent[]>(server, '/api/alerts', supervisor);
    expect(alerts.body.data!.length).toBeGreaterThan(0);
    expect(alerts.body.data!.every((a) => a.checkpointId === OWN)).toBe(true);
    const foreignAlert = (await api<AlertEvent[]>(server, '/api/alerts', command)).body.data!.find((a) => a.checkpointId === OTHER)!;
    const post = (path: string) => fetch(`${server.url}${path}`, { method: 'POST', headers: { cookie: supervisor } });
    expect((await post(`/api/alerts/${foreignAlert.id}/ack`)).status).toBe(404);
    expect((await post(`/api/alerts/${alerts.body.data![0]!.id}/ack`)).status).toBe(200);
    expect((await api(server, '/api/counts/today', supervisor)).status).toBe(200);
    expect((await api(server, '/api/dead-letters', supervisor)).status).toBe(403);
    sup.sock.close();
    cmd.sock.close();
    await dev.endAsync();
  });

  it("gets its checkpoint's device status only; a village officer gets none", async () => {
    const sup = await recorder(server, supervisor);
    const vil = await recorder(server, village);
    const cmd = await recorder(server, command);
    const dev = await publisher(broker.url);
    const statusTopic = (s: DeviceStatus) => `sk/v1/checkpoints/${s.checkpointId}/devices/${s.deviceId}/status`;
    const foreign = status(OTHER, `${OTHER}-09`);
    const own = status(OWN, `${OWN}-09`);
    for (const s of [foreign, own]) await dev.publishAsync(statusTopic(s), JSON.stringify(s), { qos: 1, retain: true });
    // Then a scan for the officer's village: its arrival is sent after both statuses.
    const marker = makeScan(50, { destinationVillageCode: VILLAGE }, OWN, `${OWN}-01`);
    await publishScans(dev, [marker]);
    await until('own status', () => sup.got.statuses.some((s) => s.deviceId === own.deviceId));
    await until('command saw both', () => cmd.got.statuses.length >= 2);
    await until('village marker', () => vil.got.arrivals.some((e) => e.scanId === marker.scanId));
    expect(sup.got.statuses.map((s) => s.deviceId)).toEqual([own.deviceId]);
    expect(vil.got.statuses).toEqual([]);

    const list = await api<DeviceStatus[]>(server, '/api/devices', supervisor);
    expect(list.body.data!.map((s) => s.checkpointId)).toEqual([OWN]);
    expect(list.body.data!.find((s) => s.deviceId === own.deviceId)).toMatchObject({ outbox: { depth: 3 }, clockSkewMs: 120 });
    expect((await api(server, '/api/devices', village)).status).toBe(403);
    expect((await api<DeviceStatus[]>(server, '/api/devices', command)).body.data!.map((s) => s.checkpointId).sort()).toEqual([OTHER, OWN]);
    for (const s of [sup, vil, cmd]) s.sock.close();
    await dev.endAsync();
  });
});
