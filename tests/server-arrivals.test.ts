/** Expected arrivals (mark arrived, overdue with an injected clock), quarantine (assignment, full facility), arrival stats over rollups. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import type { AlertEvent } from '@sk/protocol';
import { loadConfig, startServer, type RunningServer } from '@sk/server';
import { api, makeScan, publisher, publishScans, signIn, startBareBroker, startInflux, tempDir, until } from './server-fixtures.ts';

const OWN = '35.10.21.2003'; // Ketapang, Kalipuro
const OTHER = '35.10.21.2004';
type Expected = { scanId: string; status: string; eta: string; name: string; arrivedBy?: string; villageCode: string };
type Occupancy = { id: string; capacity: number; occupied: number; free: number };
type Assignment = { id: string; facilityId: string; releaseOn: string; releasedBy?: string };

describe('expected arrivals, quarantine and stats', () => {
  let broker: Awaited<ReturnType<typeof startBareBroker>>;
  let influx: Awaited<ReturnType<typeof startInflux>>;
  let server: RunningServer;
  let dataDir: string;
  let command: string;
  let village: string;
  let otherVillage: string;
  let clock = new Date('2026-11-28T00:00:00.000Z');
  const send = async (method: string, path: string, cookie: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, { method, headers: { cookie, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { ok: boolean; data: never; error?: { message: string } } };
  };

  beforeAll(async () => {
    broker = await startBareBroker();
    influx = await startInflux();
    dataDir = tempDir('arrivals');
    const cfg = loadConfig({ HTTP_PORT: '0', LOG_LEVEL: 'warn', BATCH_MAX_MS: '20', CONSOLE_DIR: dataDir, MQTT_URL: broker.url, INFLUX_URL: influx.url, DATA_DIR: dataDir });
    server = await startServer(cfg, { now: () => clock, tuning: { overdueAfterMs: 30 * 60_000, overdueCheckMs: 50 } });
    command = await signIn(server, dataDir, 'pusat', 'command');
    village = await signIn(server, dataDir, 'desa-ketapang', 'village', { villageCode: OWN });
    otherVillage = await signIn(server, dataDir, 'desa-pesucen', 'village', { villageCode: OTHER });
  });
  afterAll(async () => {
    await server?.close();
    await broker?.close();
    await influx?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('makes every scan an expected arrival for its village, marked arrived by that village only; overdue raises an alert', async () => {
    const dev = await publisher(broker.url);
    const early = makeScan(10, { destinationVillageCode: OWN });
    const late = makeScan(11, { destinationVillageCode: OWN });
    const foreign = makeScan(12, { destinationVillageCode: OTHER });
    await publishScans(dev, [early, late, foreign]);
    await until('expected', async () => (await api<Expected[]>(server, '/api/expected-arrivals', village)).body.data!.length === 2);
    const mine = (await api<Expected[]>(server, '/api/expected-arrivals?status=expected', village)).body.data!;
    expect(mine.map((e) => e.scanId).sort()).toEqual([early.scanId, late.scanId].sort());
    expect(mine[0]!.name).toBe(early.name); // the officer knows the name before the person arrives
    // Same district as the checkpoint: 20 minutes by the district-centre estimate.
    expect(Date.parse(mine[0]!.eta) - Date.parse(early.scannedAt)).toBe(20 * 60_000);

    expect((await send('POST', `/api/expected-arrivals/${early.scanId}/arrived`, otherVillage)).status).toBe(404);
    const marked = await send('POST', `/api/expected-arrivals/${early.scanId}/arrived`, village);
    expect(marked.body.data).toMatchObject({ status: 'arrived', arrivedBy: 'desa-ketapang' });

    clock = new Date(Date.parse(late.scannedAt) + 2 * 3600_000); // ETA + 30 min has passed
    await until('overdue alert', async () => (await api<AlertEvent[]>(server, '/api/alerts', village)).body.data!.some((a) => a.rule === 'arrival_overdue'));
    const overdue = (await api<AlertEvent[]>(server, '/api/alerts', command)).body.data!.filter((a) => a.rule === 'arrival_overdue');
    expect(overdue.map((a) => a.scanId).sort()).toEqual([late.scanId, foreign.scanId].sort()); // not the one marked arrived
    expect((await api<AlertEvent[]>(server, '/api/alerts', village)).body.data!.filter((a) => a.rule === 'arrival_overdue').map((a) => a.scanId)).toEqual([late.scanId]);
    expect((await api<Expected[]>(server, '/api/expected-arrivals?status=overdue', village)).body.data!.map((e) => e.scanId)).toEqual([late.scanId]);
    // Arriving late clears the overdue alert, by whom it was marked.
    await send('POST', `/api/expected-arrivals/${late.scanId}/arrived`, village);
    const after = (await api<AlertEvent[]>(server, '/api/alerts?active=false', command)).body.data!.find((a) => a.scanId === late.scanId && a.rule === 'arrival_overdue');
    expect(after).toMatchObject({ state: 'cleared', clearedBy: 'desa-ketapang' });
    await dev.endAsync();
  });

  it('assigns quarantine to the nearest facility with room; a full facility raises an alert, cleared on release', async () => {
    const dev = await publisher(broker.url);
    const sick = { temperatureC: 38.6, symptoms: ['batuk' as const], rapidTest: 'negatif' as const, vaccinationDoses: 1 };
    const a = makeScan(20, { destinationVillageCode: OWN, health: sick });
    const b = makeScan(21, { destinationVillageCode: OWN, health: sick });
    const healthy = makeScan(22, { destinationVillageCode: OWN });
    await publishScans(dev, [a, b, healthy]);
    await until('expected', async () => (await api<Expected[]>(server, '/api/expected-arrivals', village)).body.data!.some((e) => e.scanId === healthy.scanId));

    expect((await send('POST', '/api/quarantine/facilities', village, { id: 'hotel-ketapang', name: 'Hotel', districtCode: '35.10.21', capacity: 1 })).status).toBe(403);
    expect((await send('POST', '/api/quarantine/facilities', command, { id: 'hotel-ketapang', name: 'Hotel dekat Pelabuhan Ketapang', districtCode: '35.10.21', capacity: 1 })).status).toBe(201);
    expect((await send('POST', '/api/quarantine/assignments', village, { scanId: healthy.scanId, reason: 'positive' })).status).toBe(400);
    expect((await send('POST', '/api/quarantine/assignments', otherVillage, { scanId: a.scanId, reason: 'symptomatic' })).status).toBe(404);

    const first = await send('POST', '/api/quarantine/assignments', village, { scanId: a.scanId, reason: 'symptomatic' });
    expect(first.status).toBe(201);
    const fa = first.body.data as Assignment;
    expect(fa.facilityId).toBe('hotel-ketapang');
    expect(fa.releaseOn).toBe(new Date(clock.getTime() + 7 * 3600_000 + 14 * 86_400_000).toISOString().slice(0, 10));
    const full = (await api<AlertEvent[]>(server, '/api/alerts', command)).body.data!.find((x) => x.rule === 'quarantine_full' && x.subject === 'hotel-ketapang');
    expect(full).toMatchObject({ state: 'active', severity: 'major' });
    // Same traveller again: the same assignment, not a second place.
    expect((await send('POST', '/api/quarantine/assignments', village, { scanId: a.scanId, reason: 'symptomatic' })).status).toBe(200);

    const second = (await send('POST', '/api/quarantine/assignments', village, { scanId: b.scanId, reason: 'home_unfit' })).body.data as Assignment;
    expect(second.facilityId).not.toBe('hotel-ketapang');
    const occ = (await api<Occupancy[]>(server, '/api/quarantine/facilities', village)).body.data!;
    expect(occ.find((f) => f.id === 'hotel-ketapang')).toMatchObject({ occupied: 1, free: 0 });

    const released = await send('POST', `/api/quarantine/assignments/${fa.id}/release`, village);
    expect(released.body.data).toMatchObject({ releasedBy: 'desa-ketapang' });
    const cleared = (await api<AlertEvent[]>(server, '/api/alerts?active=false', command)).body.data!.find((x) => x.id === full!.id);
    expect(cleared?.state).toBe('cleared');
    expect((await api<Assignment[]>(server, '/api/quarantine/assignments', otherVillage)).body.data).toEqual([]);
    await dev.endAsync();
  });

  it('answers arrival stats from the rollups for a 30-day range, equal to the raw counts', async () => {
    const dev = await publisher(broker.url);
    // Days within the last 30: the server stores a scan older than any outbox could hold at its receive time (#17).
    const day = (back: number) => new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()) - back * 86_400_000).toISOString().slice(0, 10);
    const days = [day(27), day(20), day(20), day(10), day(10), day(10)];
    const scans = days.map((d, i) => makeScan(100 + i, { scannedAt: `${d}T03:00:00.000Z` }, 'kalibaru', 'kalibaru-01'));
    await publishScans(dev, scans);
    type Stats = { source: string; series: { key: string; total: number; points: { t: string; n: number }[] }[] };
    await until('stored', async () => {
      const raw = (await api<Stats>(server, `/api/stats/arrivals?from=${day(10)}T00:00:00Z&to=${day(9)}T00:00:00Z&groupBy=checkpoint&interval=1h`, command)).body.data!;
      return raw.source === 'raw' && raw.series.find((s) => s.key === 'kalibaru')?.total === 3;
    });
    const month = (await api<Stats>(server, `/api/stats/arrivals?from=${day(29)}T00:00:00%2B07:00&to=${day(1)}T00:00:00%2B07:00&groupBy=checkpoint&interval=1d`, command)).body.data!;
    expect(month.source).toBe('rollup');
    const kalibaru = month.series.find((s) => s.key === 'kalibaru')!;
    expect(kalibaru.total).toBe(6);
    // WIB days: 03:00Z is 10:00 WIB, so each bucket starts at 17:00Z the day before.
    expect(kalibaru.points.map((p) => [p.t, p.n])).toEqual([[`${day(28)}T17:00:00.000Z`, 1], [`${day(21)}T17:00:00.000Z`, 2], [`${day(11)}T17:00:00.000Z`, 3]]);
    const byHealth = (await api<Stats>(server, `/api/stats/arrivals?from=${day(29)}T00:00:00Z&to=${day(1)}T00:00:00Z&groupBy=health&interval=1h`, command)).body.data!;
    expect(byHealth.source).toBe('rollup');
    expect((await api(server, '/api/stats/arrivals?from=2026-11-01T00:00:00Z&to=2026-10-01T00:00:00Z', command)).status).toBe(400);
    await dev.endAsync();
  });
});
