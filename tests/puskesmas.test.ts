/** Issue 6, puskesmas daily reports against a real server and a private influxd; the 2021 wave replayed. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { PUSKESMAS, puskesmasTopic, type WeeklyTrendRow } from '@sk/protocol';
import type { RunningServer } from '@sk/server';
import { waveReports, WAVE_2021 } from '../simulators/src/scenarios/puskesmas-wave.ts';
import { openDatabase } from '../server/src/db/database.ts';
import { recordsFile } from '../server/src/ops/records-location.ts';
import { bootServer, publisher, signIn, startBareBroker, startInflux, tempDir, until } from './server-fixtures.ts';

describe('puskesmas daily reports', () => {
  let broker: Awaited<ReturnType<typeof startBareBroker>>;
  let influx: Awaited<ReturnType<typeof startInflux>>;
  let server: RunningServer;
  let cmd = '';
  let desa = '';
  const dataDir = tempDir('pkm');
  const req = async (cookie: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, { method: body ? 'POST' : 'GET', headers: { cookie, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, text: await res.text() };
  };

  beforeAll(async () => {
    [broker, influx] = await Promise.all([startBareBroker(), startInflux()]);
    server = await bootServer({ MQTT_URL: broker.url, INFLUX_URL: influx.url, DATA_DIR: dataDir });
    cmd = await signIn(server, dataDir, 'dinkes', 'command');
    desa = await signIn(server, dataDir, 'desa-x', 'village', { villageCode: '35.10.21.2003' });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await Promise.all([broker?.close(), influx?.cleanup()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the replayed 2021 wave gives the seed article’s weekly figures regency-wide', async () => {
    const reports = waveReports();
    for (let i = 0; i < reports.length; i += 1000) expect((await req(cmd, '/api/puskesmas/reports', reports.slice(i, i + 1000))).status).toBe(201);
    const r = JSON.parse((await req(desa, '/api/puskesmas/trends?from=2021-06-07&to=2021-08-29')).text).data as { weeks: WeeklyTrendRow[] };
    expect(r.weeks.map((w) => [w.weekStart, w.newConfirmed, w.deaths, w.recoveries])).toEqual(WAVE_2021.map((w) => [w.weekStart, w.newConfirmed, w.deaths, w.recoveries]));
    expect(Math.max(...r.weeks.map((w) => w.newConfirmed))).toBe(954);
    expect(r.weeks.at(-1)!.newConfirmed).toBe(308);
    expect(r.weeks.filter((w) => w.deaths > 100)).toHaveLength(5);
    expect(r.weeks.every((w) => w.reports === 7 * PUSKESMAS.length)).toBe(true);
  });

  it('a corrected report for the same day replaces the first; per-puskesmas trend; export CSV and JSON', async () => {
    const base = { puskesmasId: 'sobo', date: '2021-09-06', suspects: 3, newConfirmed: 5, recoveries: 1, deaths: 0, tests: 20 };
    await req(cmd, '/api/puskesmas/reports', base);
    await req(cmd, '/api/puskesmas/reports', { ...base, newConfirmed: 7 });
    const t = JSON.parse((await req(cmd, '/api/puskesmas/trends?from=2021-09-06&to=2021-09-12&puskesmas=sobo')).text).data;
    expect(t.weeks).toEqual([{ weekStart: '2021-09-06', newConfirmed: 7, recoveries: 1, deaths: 0, tests: 20, reports: 1 }]);
    const csv = await req(cmd, '/api/puskesmas/export?format=csv&from=2021-09-06&to=2021-09-06');
    expect(csv.text.split('\r\n')).toEqual(['date,puskesmas_id,puskesmas_name,district_code,suspects,new_confirmed,recoveries,deaths,tests', '2021-09-06,sobo,Puskesmas Sobo,35.10.16,3,7,1,0,20', '']);
    const json = JSON.parse((await req(cmd, '/api/puskesmas/export?format=json&from=2021-09-06&to=2021-09-06')).text).data;
    expect(json).toMatchObject({ layout: 'sk-puskesmas-daily/v1', rows: [{ puskesmasId: 'sobo', newConfirmed: 7, districtCode: '35.10.16' }] });
  });

  it('bad reports get a clear error; only the command centre submits', async () => {
    const bad = await req(cmd, '/api/puskesmas/reports', { puskesmasId: 'nowhere', date: '2021-09-06', suspects: -1 });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/puskesmasId/);
    expect((await req(desa, '/api/puskesmas/reports', { puskesmasId: 'sobo', date: '2021-09-06', suspects: 0, newConfirmed: 0, recoveries: 0, deaths: 0, tests: 0 })).status).toBe(403);
  });

  it('a report sent over MQTT or the form while InfluxDB is down is kept in the database, survives a server restart, and is stored once InfluxDB is back', async () => {
    const report = { v: 1, puskesmasId: 'kelir', date: '2021-09-20', suspects: 2, newConfirmed: 4, recoveries: 3, deaths: 1, tests: 30 };
    const state = async (puskesmasId: string, date: string) => {
      const rdb = await openDatabase({ sqliteFile: recordsFile(dataDir) });
      try {
        return (await rdb.db.selectFrom('puskesmas_reports').select('state').where('puskesmas_id', '=', puskesmasId).where('date', '=', date).executeTakeFirst())?.state;
      } finally {
        await rdb.close();
      }
    };
    await influx.kill();
    const dev = await publisher(broker.url);
    await dev.publishAsync(puskesmasTopic('kelir', 'kelir-01'), JSON.stringify(report), { qos: 1 });
    await dev.endAsync();
    // The server acknowledges only after the report is in the database: it is there while InfluxDB is still down.
    expect(await state('kelir', '2021-09-20')).toBe('pending');
    const form = await req(cmd, '/api/puskesmas/reports', { puskesmasId: 'sobo', date: '2021-09-20', suspects: 0, newConfirmed: 2, recoveries: 0, deaths: 0, tests: 9 });
    expect(form.status).toBe(201);
    expect(JSON.parse(form.text).data).toEqual({ stored: 1, pending: 1 });
    // Received is received: neither is missing for its day, though InfluxDB has neither yet.
    expect(await state('sobo', '2021-09-20')).toBe('pending');
    await server.close();
    server = await bootServer({ MQTT_URL: broker.url, INFLUX_URL: influx.url, DATA_DIR: dataDir });
    await influx.start();
    // Sessions are in the database: the same cookie works on the new process.
    const exported = async () => JSON.parse((await req(cmd, '/api/puskesmas/export?format=json&from=2021-09-20&to=2021-09-20')).text).data?.rows ?? [];
    await until('reports stored after the outage', async () => (await exported()).length === 2);
    expect((await exported()).sort((a: { puskesmasId: string }, b: { puskesmasId: string }) => a.puskesmasId.localeCompare(b.puskesmasId))).toMatchObject([
      { puskesmasId: 'kelir', date: '2021-09-20', newConfirmed: 4, deaths: 1 },
      { puskesmasId: 'sobo', date: '2021-09-20', newConfirmed: 2 },
    ]);
    await until('pending emptied', async () => (await state('kelir', '2021-09-20')) === 'stored' && (await state('sobo', '2021-09-20')) === 'stored');
  }, 60_000);

  it('missing reports for today are listed', async () => {
    const m = JSON.parse((await req(cmd, '/api/puskesmas/missing')).text).data;
    expect(m.missing).toHaveLength(PUSKESMAS.length);
  });
});
