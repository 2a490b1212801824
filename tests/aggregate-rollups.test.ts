/**
 * Arrival stats (issue 5) against a private influxd: every grouping and interval, from the rollups
 * (30 days), the in-memory recent counts (today) and raw data, always equal to a count over the raw points —
 * with replayed scans, a late scan in an old hour, a scan stored after start, a restart and a new WIB day.
 * The clock is injected (fixed instants); nothing waits on time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scan } from '@sk/protocol';
import { InfluxScanStore } from '../server/src/store/influx-store.ts';
import { scanToPointV1 } from '../server/src/store/arrival-point.ts';
import { pointToLine, scanLine } from '../server/src/store/line-protocol.ts';
import { ArrivalRollups, STATS_GROUPS, type StatsInterval, type StatsReply } from '../server/src/store/rollups.ts';
import { influxFetch, startPrivateInfluxd, type PrivateInfluxd } from '../scripts/lib/influxd.ts';
import { makeScan } from './server-fixtures.ts';

const DB = 'agg_test';
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const today = Date.parse('2026-06-14T17:00:00Z'); // WIB midnight of 2026-06-15
const CPS = ['ketapang', 'kalibaru', 'blimbingsari', 'wongsorejo'];
const VILLAGES = ['35.10.21.2003', '35.10.01.2001', '35.10.06.2005'];

let influxd: PrivateInfluxd;
let dir: string;
let store: InfluxScanStore;
let clock = today + 13 * HOUR; // 13:00 WIB
const opened: ArrivalRollups[] = [];

/** `n` scans spread over [from, from + span), varied in every grouped tag. */
function scans(n: number, from: number, span: number, seq0: number): Scan[] {
  return Array.from({ length: n }, (_, i) => {
    const cp = CPS[i % 4]!;
    return makeScan(seq0 + i, {
      scannedAt: new Date(from + Math.floor((span * i) / n)).toISOString(),
      destinationVillageCode: VILLAGES[i % 3]!,
      health: { temperatureC: i % 7 === 0 ? 38.2 : 36.6, symptoms: i % 5 === 0 ? ['batuk'] : [], rapidTest: 'negatif', vaccinationDoses: 2 },
    }, cp, `${cp}-01`);
  });
}

async function rollups(): Promise<ArrivalRollups> {
  const r = new ArrivalRollups({ url: influxd.url, database: DB, refreshMs: 3600_000, now: () => clock });
  opened.push(r);
  await r.start();
  return r;
}

/** The truth: count over the raw points, per bucket start and group value. */
async function rawCounts(groupBy: string, interval: StatsInterval, from: number, to: number): Promise<Map<string, number>> {
  const q = `SELECT count(temperatureC) FROM "${DB}"."arrivals_rp"."arrivals" WHERE time >= ${from}ms AND time < ${to}ms GROUP BY time(${interval === '1h' ? '1h' : '1d, -7h'}), ${groupBy} fill(none)`;
  const body = (await (await influxFetch(influxd.url, `/query?db=${DB}&epoch=ms&q=${encodeURIComponent(q)}`)).json()) as { results: { series?: { tags: Record<string, string>; values: [number, number][] }[] }[] };
  const out = new Map<string, number>();
  for (const s of body.results[0]!.series ?? []) for (const [t, n] of s.values) if (n) out.set(`${s.tags[groupBy]}@${t}`, n);
  return out;
}

const flat = (r: StatsReply) => new Map(r.series.flatMap((s) => s.points.map((p) => [`${s.key}@${Date.parse(p.t)}`, p.n] as const)));

async function expectExact(r: ArrivalRollups, from: number, to: number, source: StatsReply['source']): Promise<void> {
  for (const groupBy of STATS_GROUPS) {
    for (const interval of ['1h', '1d'] as const) {
      const reply = await r.stats({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), groupBy, interval });
      expect(reply.source, `${groupBy} ${interval}`).toBe(source);
      expect(flat(reply), `${groupBy} ${interval}`).toEqual(await rawCounts(groupBy, interval, from, to));
      for (const s of reply.series) expect(s.total).toBe(s.points.reduce((a, p) => a + p.n, 0));
    }
  }
}

/** Writes scans as the server does: their v3 lines. */
const writeScans = (batch: readonly Scan[]) => store.writeLines(batch.map((s) => scanLine(s, 37.5)));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sk-agg-'));
  influxd = await startPrivateInfluxd({ dir });
  store = new InfluxScanStore({ url: influxd.url, database: DB, retention: '400d' });
  await store.start();
  // 30 WIB days up to 13:00 today, 40 scans a day; the scans of day 10 are written twice (an agent's replay).
  for (let d = 29; d >= 0; d--) {
    const batch = scans(40, today - d * DAY, d === 0 ? 13 * HOUR : DAY, 1000 * (30 - d));
    await writeScans(batch);
    if (d === 10) await writeScans(batch);
  }
}, 60_000);

afterAll(async () => {
  for (const r of opened) r.stop();
  await influxd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('arrival stats', () => {
  it('back-fills the rollups and answers 30 days from them and today from memory, equal to the raw counts', async () => {
    const r = await rollups();
    await r.recompute(today - 29 * DAY, clock); // back-fill: the same SELECT … INTO a server runs for late scans
    expect(await r.recentReady()).toBe(true);
    await expectExact(r, today - 29 * DAY, clock, 'rollup');
    await expectExact(r, today, clock, 'recent');
    await expectExact(r, today - 20 * DAY, today - 19 * DAY, 'raw'); // a short range before the window
  });

  it('counts a scan stored after start at once, a replayed one once, and a late one in an old hour', async () => {
    const r = await rollups();
    expect(await r.recentReady()).toBe(true);
    await expectExact(r, today - 29 * DAY, clock, 'rollup'); // fills the cache of the rollup part
    const fresh = scans(9, today + 12 * HOUR, HOUR, 90_000);
    const late = scans(3, today - 12 * DAY + 5 * HOUR, HOUR, 91_000);
    await writeScans([...fresh, ...late]);
    r.touch([...fresh, ...late]);
    await writeScans(fresh); // replayed after a reconnect
    r.touch(fresh);
    await expectExact(r, today, clock, 'recent');
    await expectExact(r, today - 29 * DAY, clock, 'rollup');
    const todayByCp = await r.stats({ from: new Date(today).toISOString(), to: new Date(clock).toISOString(), groupBy: 'checkpoint', interval: '1d' });
    expect(todayByCp.series.reduce((a, s) => a + s.total, 0)).toBe(40 + 9);
  });

  it('rebuilds the recent counts on start, and hands a day leaving the window to the rollups', async () => {
    const r = await rollups(); // a restarted server: memory rebuilt from the raw points
    expect(await r.recentReady()).toBe(true);
    await expectExact(r, today - DAY, clock, 'recent');
    clock += DAY; // the next WIB day: yesterday leaves the window, its hours are recomputed into the rollups
    const next = scans(5, today + DAY + HOUR, HOUR, 92_000);
    await writeScans(next);
    r.touch(next);
    await expectExact(r, today - 29 * DAY, clock, 'rollup');
    await expectExact(r, today, clock, 'recent');
  });

  it('upgrades from the v1 point layout: replaces its hourly CQs, counts v1 points, and a v1 point replayed as v3 once', async () => {
    const influxql = async (q: string) => {
      const res = await influxFetch(influxd.url, `/query?db=${DB}&q=${encodeURIComponent(q)}`, { method: 'POST' });
      return (await res.json()) as { results: { series?: { values: string[][] }[]; error?: string }[] };
    };
    // A server of the v1 layout left this CQ behind (it counted `seq`, which v2 points lack).
    await influxql(`DROP CONTINUOUS QUERY cq_arrivals_1h_checkpoint ON ${DB}`);
    const old = await influxql(`CREATE CONTINUOUS QUERY cq_arrivals_1h_checkpoint ON ${DB} RESAMPLE EVERY 10m FOR 2h BEGIN SELECT count(seq) AS n INTO "${DB}"."rollups_rp"."arrivals_1h_checkpoint" FROM "${DB}"."arrivals_rp"."arrivals" GROUP BY time(1h), checkpoint END`);
    expect(old.results[0]!.error).toBeUndefined();
    // v1 points (five fields) in an old hour, two of them replayed later as v2 points.
    const v1 = scans(4, today - 15 * DAY + 3 * HOUR, HOUR, 93_000);
    const body = v1.map((s) => pointToLine(scanToPointV1(s, 37.5))).join('\n');
    expect((await influxFetch(influxd.url, `/write?db=${DB}&rp=arrivals_rp&precision=n`, { method: 'POST', body })).status).toBe(204);
    await writeScans(v1.slice(0, 2));
    const r = await rollups();
    const cqs = (await influxql('SHOW CONTINUOUS QUERIES')).results[0]!.series!.flatMap((s) => s.values);
    const cq = cqs.find(([name]) => name === 'cq_arrivals_1h_checkpoint');
    expect(cq?.[1]).toContain('count(temperatureC)');
    expect(cqs.filter(([, q]) => q?.includes('count(seq)') || q?.includes('count(record)'))).toEqual([]);
    r.touch(v1);
    await r.recompute(today - 15 * DAY, today - 14 * DAY);
    // That WIB day had 40 scans: now 44, from the rollups (a 30-day range) and from raw points (one day).
    const dayTotal = async (from: number) => {
      const reply = await r.stats({ from: new Date(from).toISOString(), to: new Date(today - 14 * DAY).toISOString(), groupBy: 'checkpoint', interval: '1d' });
      return { source: reply.source, n: reply.series.reduce((a, s) => a + (s.points.find((p) => Date.parse(p.t) === today - 15 * DAY)?.n ?? 0), 0) };
    };
    expect(await dayTotal(today - 29 * DAY)).toEqual({ source: 'rollup', n: 44 });
    expect(await dayTotal(today - 15 * DAY)).toEqual({ source: 'raw', n: 44 });
    await expectExact(r, today - 29 * DAY, clock, 'rollup');
  });

  it('charts the screening with plain InfluxQL: mean temperature per hour and checkpoint, and no personal data in any point', async () => {
    const at = today - 3 * DAY + 2 * HOUR;
    const hot = [37.0, 38.0, 39.0].map((t, i) => makeScan(95_000 + i, { checkpointId: 'kalibaru', deviceId: 'kalibaru-01', scannedAt: new Date(at + i * 60_000).toISOString(), health: { temperatureC: t, symptoms: ['batuk'], rapidTest: 'negatif', vaccinationDoses: 2 } }));
    await writeScans(hot);
    const q = `SELECT mean("temperatureC") AS t, sum("symptoms") AS s FROM "${DB}"."arrivals_rp"."arrivals" WHERE checkpoint = 'kalibaru' AND time >= ${at}ms AND time < ${at + HOUR}ms GROUP BY time(1h), "checkpoint"`;
    const res = (await (await influxFetch(influxd.url, `/query?db=${DB}&q=${encodeURIComponent(q)}`, { method: 'POST' })).json()) as { results: { series?: { tags: Record<string, string>; values: [string, number, number][] }[] }[] };
    const series = res.results[0]!.series!;
    expect(series[0]!.tags).toEqual({ checkpoint: 'kalibaru' });
    const rows = series[0]!.values.filter((v) => v[1] !== null);
    expect(rows).toHaveLength(1);
    expect(rows[0]![1]).toBeCloseTo(38.0, 5);
    expect(rows[0]![2]).toBe(3);
    // Every field and tag key of the measurement: nothing that could hold a NIK, a name or an address.
    const keys = async (what: string) => {
      const r = (await (await influxFetch(influxd.url, `/query?db=${DB}&q=${encodeURIComponent(`SHOW ${what} KEYS FROM "arrivals_rp"."arrivals"`)}`, { method: 'POST' })).json()) as { results: { series?: { values: string[][] }[] }[] };
      return r.results[0]!.series![0]!.values.map((v) => v[0]);
    };
    expect(new Set(await keys('TAG'))).toEqual(new Set(['checkpoint', 'destDistrict', 'device', 'health', 'originProvince', 'originRegency']));
    // (v1 points written above by the upgrade test still carry their old fields; fresh v3 points add only these three)
    expect(await keys('FIELD')).toEqual(expect.arrayContaining(['symptoms', 'temperatureC', 'vaccinationDoses']));
    const sample = (await (await influxFetch(influxd.url, `/query?db=${DB}&q=${encodeURIComponent(`SELECT * FROM "arrivals_rp"."arrivals" WHERE checkpoint = 'kalibaru' AND time >= ${at}ms AND time < ${at + HOUR}ms`)}`, { method: 'POST' })).json()) as object;
    for (const s of hot) expect(JSON.stringify(sample)).not.toContain(s.nik);
    expect(JSON.stringify(sample)).not.toContain(hot[0]!.name);
  });
});
