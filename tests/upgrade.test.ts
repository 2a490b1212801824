/**
 * The upgrade keeps a deployment's data (issue 15): this version starts on a copy of a data directory
 * written by the previous version (tests/fixtures/legacy-v0.1: its journals, users, aid journal and
 * snapshot, and its InfluxDB points in layout v2 with the whole scan in `record`), plus a spool segment
 * of that version (whole scans). After the first start every scan is a row of the database of record,
 * InfluxDB holds only v3 points (no personal data) and one per scan, and the other records came along.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '@sk/server';
import { startServer } from '@sk/server';
import { openDatabase, type RecordsDb } from '../server/src/db/database.ts';
import { countScans, storedScanIds } from '../server/src/db/scan-rows.ts';
import { influxFetch } from '../scripts/lib/influxd.ts';
import { makeScan, serverConfig, startBareBroker, startInflux, tempDir } from './server-fixtures.ts';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'legacy-v0.1');
const lines = readFileSync(join(FIXTURE, 'influx-points.lp'), 'utf8').trim().split('\n');
/** The scanIds inside the v2 records (the third value of `record`). */
const legacyIds = lines.map((l) => /record="2\u001f[^\u001f]*\u001f([0-9A-Z]{26})\u001f/.exec(l)![1]!);
const spooled = [makeScan(1, { scannedAt: new Date(Date.now() - 60_000).toISOString() }), makeScan(2, { scannedAt: new Date(Date.now() - 59_000).toISOString() })];

let dir: string;
let influx: Awaited<ReturnType<typeof startInflux>>;
let broker: Awaited<ReturnType<typeof startBareBroker>>;
let server: RunningServer;
let rdb: RecordsDb;

async function influxql(q: string): Promise<{ results: { series?: { columns: string[]; values: unknown[][] }[]; error?: string }[] }> {
  const res = await influxFetch(influx.url, `/query?db=smart_kampung&q=${encodeURIComponent(q)}`, { method: 'POST' });
  return (await res.json()) as never;
}

beforeAll(async () => {
  dir = tempDir('upgrade');
  cpSync(join(FIXTURE, 'server'), join(dir, 'server'), { recursive: true });
  // A spool segment of the old version: whole scans, acked to their devices but not yet in InfluxDB.
  mkdirSync(join(dir, 'server', 'spool'), { recursive: true });
  writeFileSync(join(dir, 'server', 'spool', 'seg-000000000002.jsonl'), spooled.map((s) => JSON.stringify(s)).join('\n') + '\n');
  influx = await startInflux();
  expect((await influxql('CREATE DATABASE smart_kampung WITH DURATION 400d REPLICATION 1 NAME arrivals_rp')).results[0]!.error).toBeUndefined();
  const w = await influxFetch(influx.url, '/write?db=smart_kampung&rp=arrivals_rp&precision=n', { method: 'POST', body: lines.join('\n') });
  expect(w.status).toBe(204);
  broker = await startBareBroker();
  server = await startServer(serverConfig({ MQTT_URL: broker.url, INFLUX_URL: influx.url, DATA_DIR: dir }));
  rdb = await openDatabase({ sqliteFile: join(dir, 'server', 'records.sqlite'), migrate: false });
}, 120_000);

afterAll(async () => {
  await rdb?.close();
  await server?.close();
  await broker?.close();
  await influx?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('upgrade from 0.1.0', () => {
  it('every scan of the old InfluxDB and of the old spool is a row, once', async () => {
    expect(legacyIds.length).toBeGreaterThan(500);
    const ids = await storedScanIds(rdb, '1970-01-01T00:00:00.000Z', '2100-01-01T00:00:00.000Z');
    expect(new Set(ids)).toEqual(new Set([...legacyIds, ...spooled.map((s) => s.scanId)]));
    expect(await countScans(rdb)).toBe(legacyIds.length + spooled.length);
    const one = await rdb.db.selectFrom('scans').selectAll().where('scan_id', '=', legacyIds[0]!).executeTakeFirstOrThrow();
    expect(one.nik).toMatch(/^\d{16}$/);
    expect(one.name).toBeTruthy();
  });

  it('InfluxDB keeps one v3 point per scan and no personal data', async () => {
    const { results } = await influxql('SELECT count(temperatureC) AS n, count(record) AS r FROM "arrivals_rp"."arrivals"');
    const [, n, r] = results[0]!.series![0]!.values[0]!;
    expect(n).toBe(legacyIds.length + spooled.length);
    expect(r ?? 0).toBe(0);
    const all = JSON.stringify((await influxql('SELECT * FROM "arrivals_rp"."arrivals" LIMIT 50')).results);
    expect(all).not.toMatch(/\d{16}/);
  });

  it('the aid journal came along: every handout, keyed by HMAC only', async () => {
    const journalLines = readFileSync(join(FIXTURE, 'server', 'aid', 'journal.jsonl'), 'utf8').trim().split('\n').length;
    const handouts = await rdb.db.selectFrom('aid_handouts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(handouts.n)).toBeGreaterThan(0);
    expect(Number(handouts.n)).toBeLessThanOrEqual(journalLines);
    const sample = await rdb.db.selectFrom('aid_handouts').selectAll().limit(20).execute();
    expect(JSON.stringify(sample)).not.toMatch(/\d{16}/);
  });

  it("the old version's staff accounts still sign in, with their old passwords", async () => {
    const accounts = readFileSync(join(FIXTURE, 'accounts.txt'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
    expect(accounts.length).toBeGreaterThanOrEqual(2);
    for (const [username, password] of accounts) {
      const res = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
      expect(res.status, username).toBe(200);
    }
  });

  it('a second start imports nothing twice', async () => {
    await server.close();
    server = await startServer(serverConfig({ MQTT_URL: broker.url, INFLUX_URL: influx.url, DATA_DIR: dir }));
    expect(await countScans(rdb)).toBe(legacyIds.length + spooled.length);
    const { results } = await influxql('SELECT count(temperatureC) AS n FROM "arrivals_rp"."arrivals"');
    expect(results[0]!.series![0]!.values[0]![1]).toBe(legacyIds.length + spooled.length);
  });
});
