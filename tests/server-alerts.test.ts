/** Alerts end to end: a fever scan reaches the command centre and its village live (not another village), ack → clear with who/when, one alert under concurrency, follow-ups (issue 17), history across a restart (rebuilt from the database). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import type { AlertEvent, FollowUpEvent } from '@sk/protocol';
import { loadConfig, startServer, type RunningServer } from '@sk/server';
import { api, liveSocket, makeScan, publisher, publishScans, signIn, startBareBroker, startInflux, tempDir, until, type LiveSocket } from './server-fixtures.ts';

const OWN = '35.10.21.2003';
const OTHER = '35.10.21.2004';

describe('server alerts', () => {
  let broker: Awaited<ReturnType<typeof startBareBroker>>;
  let influx: Awaited<ReturnType<typeof startInflux>>;
  let server: RunningServer;
  let dataDir: string;
  let command: string;
  let village: string;
  let otherVillage: string;
  const boot = () => startServer(loadConfig({ HTTP_PORT: '0', LOG_LEVEL: 'warn', BATCH_MAX_MS: '20', CONSOLE_DIR: dataDir, MQTT_URL: broker.url, INFLUX_URL: influx.url, DATA_DIR: dataDir }));
  const post = (path: string, cookie: string) => fetch(`${server.url}${path}`, { method: 'POST', headers: { cookie } });
  const hello = (s: LiveSocket) => new Promise((r) => s.once('hello', r));

  beforeAll(async () => {
    broker = await startBareBroker();
    influx = await startInflux();
    dataDir = tempDir('alerts');
    server = await boot();
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

  it('routes a fever alert to the command centre and that village only; ack then clear record who and when', async () => {
    const socks = { command: liveSocket(server, command), own: liveSocket(server, village), other: liveSocket(server, otherVillage) };
    const got: Record<keyof typeof socks, AlertEvent[]> = { command: [], own: [], other: [] };
    for (const k of Object.keys(socks) as (keyof typeof socks)[]) socks[k].on('alert', (a) => got[k].push(a));
    await Promise.all(Object.values(socks).map(hello));

    const dev = await publisher(broker.url);
    const fever = makeScan(1, { destinationVillageCode: OWN, health: { temperatureC: 38.4, symptoms: [], rapidTest: 'negatif', vaccinationDoses: 2 } });
    await publishScans(dev, [fever]);
    await until('fever alert on both sockets', () => got.command.some((a) => a.scanId === fever.scanId) && got.own.some((a) => a.scanId === fever.scanId));
    const alert = got.own.find((a) => a.rule === 'fever')!;
    expect(alert).toMatchObject({ severity: 'major', state: 'active', villageCode: OWN, checkpointId: 'ketapang', count: 1 });
    expect(JSON.stringify(alert)).not.toContain(fever.nik);
    expect(JSON.stringify(alert)).not.toContain(fever.name);

    expect((await post(`/api/alerts/${alert.id}/ack`, otherVillage)).status).toBe(404);
    expect((await post(`/api/alerts/${alert.id}/ack`, village)).status).toBe(200);
    await until('ack pushed', () => got.command.some((a) => a.id === alert.id && a.state === 'acknowledged'));
    const cleared = (await (await post(`/api/alerts/${alert.id}/clear`, command)).json()).data as AlertEvent;
    expect(cleared).toMatchObject({ state: 'cleared', ackedBy: 'desa-ketapang', clearedBy: 'pusat' });
    expect(Date.parse(cleared.clearedAt!)).toBeGreaterThanOrEqual(Date.parse(cleared.ackedAt!));
    await until('clear pushed to the village', () => got.own.some((a) => a.id === alert.id && a.state === 'cleared'));

    // A marker alert for the other village proves its socket is live and saw nothing of ours.
    const marker = makeScan(2, { destinationVillageCode: OTHER, health: { temperatureC: 36.5, symptoms: [], rapidTest: 'positif', vaccinationDoses: 2 } });
    await publishScans(dev, [marker]);
    await until('marker alert', () => got.other.some((a) => a.scanId === marker.scanId));
    expect(got.other.every((a) => a.villageCode === OTHER)).toBe(true);
    expect(got.own.some((a) => a.scanId === marker.scanId)).toBe(false);

    const history = await api<AlertEvent[]>(server, '/api/alerts?active=false', village);
    expect(history.body.data!.find((a) => a.id === alert.id)?.state).toBe('cleared');
    Object.values(socks).forEach((s) => s.close());
    await dev.endAsync();
  });

  it('two scans of the same person arriving at the same moment make one alert', async () => {
    const [a, b] = await Promise.all([publisher(broker.url), publisher(broker.url)]);
    const health = { temperatureC: 39.1, symptoms: [], rapidTest: 'negatif' as const, vaccinationDoses: 1 };
    const s1 = makeScan(500, { health }, 'ketapang', 'ketapang-01');
    const s2 = { ...makeScan(500, { health }, 'ketapang', 'ketapang-02'), nik: s1.nik };
    await Promise.all([publishScans(a, [s1]), publishScans(b, [s2])]);
    await until('both scans counted', async () => {
      const list = (await api<AlertEvent[]>(server, '/api/alerts', command)).body.data!;
      return list.some((x) => x.rule === 'fever' && x.count === 2);
    });
    const fever = (await api<AlertEvent[]>(server, '/api/alerts', command)).body.data!.filter((x) => x.rule === 'fever' && (x.scanId === s1.scanId || x.scanId === s2.scanId));
    expect(fever).toHaveLength(1);
    await Promise.all([a.endAsync(), b.endAsync()]);
  });

  it('a symptomatic traveller is a follow-up for the village, no alert; fever is both, moved on by the village; the command centre sees counts', async () => {
    const socks = { command: liveSocket(server, command), own: liveSocket(server, village), other: liveSocket(server, otherVillage) };
    const got: Record<keyof typeof socks, FollowUpEvent[]> = { command: [], own: [], other: [] };
    for (const k of Object.keys(socks) as (keyof typeof socks)[]) socks[k].on('follow-up', (f) => got[k].push(f));
    const summaries: { followUps: { open: number } }[] = [];
    socks.command.on('alerts:summary', (x) => summaries.push(x));
    await Promise.all(Object.values(socks).map(hello));
    const dev = await publisher(broker.url);
    const coughing = makeScan(700, { destinationVillageCode: OWN, health: { temperatureC: 36.7, symptoms: ['batuk'], rapidTest: 'negatif', vaccinationDoses: 2 } });
    const hot = makeScan(701, { destinationVillageCode: OWN, health: { temperatureC: 38.9, symptoms: [], rapidTest: 'negatif', vaccinationDoses: 2 } });
    await publishScans(dev, [coughing, hot]);
    await until('both follow-ups pushed to the village', () => [coughing, hot].every((s) => got.own.some((f) => f.scanId === s.scanId)));
    expect(got.command.filter((f) => f.scanId === coughing.scanId || f.scanId === hot.scanId)).toHaveLength(2);
    expect(JSON.stringify(got)).not.toContain(hot.name);
    const list = (await api<FollowUpEvent[]>(server, '/api/follow-ups', village)).body.data!;
    const cough = list.find((f) => f.scanId === coughing.scanId)!;
    const fever = list.find((f) => f.scanId === hot.scanId)!;
    expect(cough).toMatchObject({ reason: 'symptoms', state: 'baru', alertId: null, name: coughing.name });
    expect(fever).toMatchObject({ reason: 'fever', state: 'baru', puskesmasId: expect.any(String) });
    const alerts = (await api<AlertEvent[]>(server, '/api/alerts', command)).body.data!;
    expect(alerts.some((a) => a.scanId === coughing.scanId)).toBe(false); // no alert for a cough
    expect(alerts.find((a) => a.id === fever.alertId)).toMatchObject({ rule: 'fever', answerBy: 'village', followUpId: fever.id });
    expect((await api<FollowUpEvent[]>(server, '/api/follow-ups', otherVillage)).body.data!.some((f) => f.scanId === hot.scanId)).toBe(false);
    const move = (cookie: string, state: string) =>
      fetch(`${server.url}/api/follow-ups/${fever.id}/state`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ state, note: 'ditelepon' }) });
    expect((await move(otherVillage, 'dihubungi')).status).toBe(404);
    expect((await move(village, 'dihubungi')).status).toBe(200);
    expect((await api<AlertEvent[]>(server, '/api/alerts', command)).body.data!.find((a) => a.id === fever.alertId)).toMatchObject({ state: 'acknowledged', ackedBy: 'desa-ketapang' });
    await until('state change pushed', () => got.command.some((f) => f.id === fever.id && f.state === 'dihubungi'));
    const summary = (await api<{ needsCommand: number; openByRule: Record<string, number>; followUps: { open: number } }>(server, '/api/alerts/summary', command)).body.data!;
    expect(summary.followUps.open).toBeGreaterThanOrEqual(2);
    await until('the command centre\'s counts pushed live', () => summaries.some((x) => x.followUps.open >= 2));
    expect(summary.openByRule.fever).toBeGreaterThanOrEqual(1);
    expect((await api<AlertEvent[]>(server, '/api/alerts?answerBy=command', command)).body.data!.every((a) => a.answerBy === 'command')).toBe(true);
    Object.values(socks).forEach((x) => x.close());
    await dev.endAsync();
  });

  it('serves an OpenAPI description that covers every registered route', async () => {
    const res = await fetch(`${server.url}/api/openapi.json`);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown>; 'x-undocumented': string[] };
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.paths['/api/expected-arrivals']).toBeDefined();
    expect(doc['x-undocumented']).toEqual([]);
  });

  it('keeps the alert history across a server restart', async () => {
    const before = (await api<AlertEvent[]>(server, '/api/alerts?active=false', command)).body.data!;
    await server.close();
    server = await boot();
    command = await signIn(server, dataDir, 'pusat', 'command'); // sessions live in memory
    const after = (await api<AlertEvent[]>(server, '/api/alerts?active=false', command)).body.data!;
    expect(after.map((a) => [a.id, a.state, a.count])).toEqual(before.map((a) => [a.id, a.state, a.count]));
  });
});
