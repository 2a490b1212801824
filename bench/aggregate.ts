/**
 * aggregate (issue 5): 30 days of realistic arrivals (default 20k/day, the server's own point schema
 * via scanToPoint, following the simulators' hourly rhythm) written as batched line protocol straight
 * to a private influxd; then the dashboard aggregates timed over repeated runs: counts per checkpoint
 * per WIB day over 30 days, per origin regency over 30 days, per hour today, and the store's own
 * countsToday(). Then the rollups are back-filled once (the same SELECT … INTO the server runs for
 * late scans: ArrivalRollups.touch + refresh) and the server's own `GET /api/stats/arrivals` is timed
 * over HTTP (server CLI, signed-in cookie) for the same 30-day views: the figure the goal is about.
 * The raw-data InfluxQL timings are kept beside it to show what the rollups save.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { monotonicFactory } from 'ulid';
import { CHECKPOINT_IDS, todayWib, type Scan } from '@sk/protocol';
import { HOURLY_RHYTHM, loadWorld, Rng, TravellerGenerator } from '@sk/simulators';
import { scanToPoint } from '../server/src/store/arrival-point.ts';
import { InfluxScanStore } from '../server/src/store/influx-store.ts';
import { ArrivalRollups } from '../server/src/store/rollups.ts';
import { influxFetch, startPrivateInfluxd } from '../scripts/lib/influxd.ts';
import type { BenchResult } from './run.ts';
import { opt, percentile, progress, round } from './stats.ts';
import { pointToLine } from '../server/src/store/line-protocol.ts';
import { tempDir } from './lib/pipeline.ts';
import { startServerChild } from './lib/server-child.ts';
import { cpuSeconds, deadline } from './lib/proc.ts';

export const help = `Usage: npm run bench -- aggregate [options]

Options (defaults):
  --days 30          days of history
  --per-day 20000    arrivals per day (spread over the 4 checkpoints and the hours by the daily rhythm)
  --batch 5000       points per /write request
  --repeat 20        timed runs of each API query (after one warm-up)
  --raw-repeat 3     timed runs of each raw-data InfluxQL query (comparison only; seconds each at 600k points)
  --max-seconds 600  hard deadline for loading the data (and for the rollup back-fill)
Goal: GET /api/stats/arrivals over 30 days p99 < 200 ms (raw-data queries shown for comparison).`;

const DB = 'smart_kampung';
const HOUR = 3600_000;

export async function run(args: string[]): Promise<BenchResult> {
  const days = opt(args, 'days', 30);
  const perDay = opt(args, 'per-day', 20_000);
  const batch = opt(args, 'batch', 5000);
  const repeat = Math.max(1, opt(args, 'repeat', 20));
  const rawRepeat = Math.max(1, opt(args, 'raw-repeat', 3));
  const maxMs = opt(args, 'max-seconds', 600) * 1000;
  if (days * perDay > 5_000_000) throw new Error('--days × --per-day must be <= 5,000,000');
  const dir = tempDir('aggregate');
  const influxd = await startPrivateInfluxd({ dir: join(dir, 'influxdb') });
  try {
    const store = new InfluxScanStore({ url: influxd.url, database: DB, retention: '400d' });
    await store.start();

    // 1. Load: 30 WIB days ending now, hours weighted by the traffic rhythm.
    const gen = new TravellerGenerator(loadWorld(), { seed: 30 });
    const pools = new Map(CHECKPOINT_IDS.map((cp) => [cp, Array.from({ length: 3000 }, () => gen.next(cp).input)]));
    const rng = new Rng(31);
    const nextId = monotonicFactory();
    const rhythmSum = HOURLY_RHYTHM.reduce((a, b) => a + b, 0);
    const todayStart = Date.parse(`${todayWib()}T00:00:00+07:00`);
    const seqs = new Map<string, number>();
    let lines: string[] = [];
    let written = 0;
    let writeRetries = 0;
    const t0 = performance.now();
    const cpu0 = cpuSeconds(influxd.process.pid);
    const flush = async () => {
      if (!lines.length) return;
      // influxd answers 500 "timeout" when series creation falls behind; a retry is safe (same points overwrite themselves).
      for (let attempt = 1; ; attempt++) {
        const res = await influxFetch(influxd.url, `/write?db=${DB}&rp=arrivals_rp&precision=n`, { method: 'POST', body: lines.join('\n') });
        if (res.status === 204) break;
        const text = (await res.text()).slice(0, 200);
        if (res.status < 500 || attempt >= 5) throw new Error(`influx write: HTTP ${res.status} ${text}`);
        writeRetries++;
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
      written += lines.length;
      lines = [];
    };
    await deadline('loading', maxMs, (async () => {
      for (let d = days - 1; d >= 0; d--) {
        const dayStart = todayStart - d * 24 * HOUR;
        for (let h = 0; h < 24; h++) {
          const n = Math.round((perDay * (HOURLY_RHYTHM[h] ?? 1)) / rhythmSum);
          for (let i = 0; i < n; i++) {
            const at = dayStart + h * HOUR + rng.int(0, HOUR - 1);
            if (at > Date.now()) continue; // today: only what has happened so far
            const cp = CHECKPOINT_IDS[rng.int(0, CHECKPOINT_IDS.length - 1)]!;
            const deviceId = `${cp}-0${rng.int(1, 2)}`;
            const seq = (seqs.get(deviceId) ?? 0) + 1;
            seqs.set(deviceId, seq);
            const pool = pools.get(cp)!;
            const scan: Scan = { v: 1, scanId: nextId(), checkpointId: cp, deviceId, seq, scannedAt: new Date(at).toISOString(), ...pool[rng.int(0, pool.length - 1)]! };
            lines.push(pointToLine(scanToPoint(scan, 37.5)));
            if (lines.length >= batch) await flush();
          }
        }
        progress(`day ${days - d}/${days}: ${written} points written`);
      }
      await flush();
    })());
    const loadSec = (performance.now() - t0) / 1000;
    const loadCpu = cpuSeconds(influxd.process.pid) - cpu0;
    progress(`loaded ${written} points in ${round(loadSec, 1)} s`);

    // 2. The dashboard's aggregates, each timed `repeat` times after a warm-up.
    const from = `'${new Date(todayStart - (days - 1) * 24 * HOUR).toISOString()}'`;
    const today = `'${new Date(todayStart).toISOString()}'`;
    const m = `"${DB}"."arrivals_rp"."arrivals"`;
    const queries: Record<string, () => Promise<unknown>> = {
      perCheckpointPerDay30d: () => influxQuery(influxd.url, `SELECT count(temperatureC) FROM ${m} WHERE time >= ${from} GROUP BY time(1d, -7h), checkpoint`),
      perOriginRegency30d: () => influxQuery(influxd.url, `SELECT count(temperatureC) FROM ${m} WHERE time >= ${from} GROUP BY originRegency`),
      perHourToday: () => influxQuery(influxd.url, `SELECT count(temperatureC) FROM ${m} WHERE time >= ${today} GROUP BY time(1h), checkpoint`),
    };
    const metrics: BenchResult['metrics'] = { points: written, days, perDay, loadSeconds: round(loadSec, 1), loadPointsPerSec: Math.round(written / loadSec), loadInfluxdCpuPct: Math.round((100 * loadCpu) / loadSec), writeRetries };
    // 3. Back-fill the rollups once, then time the server's endpoint.
    const rollups = new ArrivalRollups({ url: influxd.url, database: DB });
    await rollups.start();
    const tb = performance.now();
    await deadline('rollup back-fill', maxMs, rollups.recompute(todayStart - (days - 1) * 24 * HOUR, Date.now()));
    rollups.stop();
    metrics.rollupBackfillSeconds = round((performance.now() - tb) / 1000, 1);
    progress(`rollups back-filled in ${metrics.rollupBackfillSeconds} s; starting the server`);
    const srv = await startServerChild({ dir, influxUrl: influxd.url, influxDb: DB });
    const to = new Date().toISOString();
    const from30 = new Date(todayStart - (days - 1) * 24 * HOUR).toISOString();
    const stats = (groupBy: string, interval: string, from: string) => () =>
      srv.get(`/api/stats/arrivals?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&groupBy=${groupBy}&interval=${interval}`);
    await timeAll(queries, rawRepeat, metrics);
    const api: Record<string, () => Promise<unknown>> = {
      apiPerCheckpointPerDay30d: stats('checkpoint', '1d', from30),
      apiPerOriginRegency30d: stats('originRegency', '1d', from30),
      apiPerDistrictPerHour30d: stats('destDistrict', '1h', from30),
      apiPerHourToday: stats('checkpoint', '1h', new Date(todayStart).toISOString()),
    };
    try {
      await timeAll(api, repeat, metrics);
      const check = (await srv.get(`/api/stats/arrivals?from=${encodeURIComponent(from30)}&to=${encodeURIComponent(to)}&groupBy=checkpoint&interval=1d`)) as { source: string; series: { total: number }[] };
      metrics.apiSource30d = check.source;
      metrics.apiTotal30d = check.series.reduce((a, x) => a + x.total, 0);
    } finally {
      await srv.stop();
    }
    const card = (await influxQuery(influxd.url, `SHOW SERIES CARDINALITY ON ${DB}`).catch(() => null)) as { results?: { series?: { values?: number[][] }[] }[] } | null;
    metrics.seriesCardinality = card?.results?.[0]?.series?.[0]?.values?.[0]?.[0] ?? null;
    return {
      bench: 'aggregate',
      metrics,
      goal: { apiP99Ms: '< 200 for GET /api/stats/arrivals over 30 days' },
      notes: ['api* = GET /api/stats/arrivals through the server (30 days: rollups before yesterday + exact in-memory counts for yesterday/today; today: the in-memory counts); the rest: raw-data InfluxQL for comparison', '*FirstMs = the first (cold) call: after the server start, before the rollup-part cache holds the view', `API: repeat ${repeat} after 1 warm-up; raw: ${rawRepeat}`, 'apiTotal30d should equal points'],
    };
  } finally {
    await influxd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Times each query `repeat` times after one warm-up (its time kept as `…FirstMs`: cold, before any cache); p50/p99 into `metrics`. */
async function timeAll(queries: Record<string, () => Promise<unknown>>, repeat: number, metrics: BenchResult['metrics']): Promise<void> {
  for (const [name, fn] of Object.entries(queries)) {
    const t0 = performance.now();
    await deadline(name, 60_000, fn());
    metrics[`${name}FirstMs`] = round(performance.now() - t0);
    const times: number[] = [];
    for (let i = 0; i < repeat; i++) {
      const t = performance.now();
      await deadline(name, 60_000, fn());
      times.push(performance.now() - t);
    }
    metrics[`${name}P50Ms`] = round(percentile(times, 50));
    metrics[`${name}P99Ms`] = round(percentile(times, 99));
    progress(`${name}: p50 ${metrics[`${name}P50Ms`]} ms, p99 ${metrics[`${name}P99Ms`]} ms`);
  }
}

async function influxQuery(url: string, q: string): Promise<unknown> {
  const res = await influxFetch(url, `/query?db=${DB}&q=${encodeURIComponent(q)}`);
  const body = (await res.json()) as { results?: { error?: string }[]; error?: string };
  const err = body.error ?? body.results?.find((r) => r.error)?.error;
  if (!res.ok || err) throw new Error(`influx query: HTTP ${res.status} ${err ?? ''}`);
  return body;
}
