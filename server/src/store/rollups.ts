/**
 * Downsampled arrival counts in InfluxDB 1.x, so a 30-day dashboard reads a few thousand rollup points
 * instead of millions of raw ones. On start: a retention policy for rollups and continuous queries
 * (per hour; per WIB day = `time(1d, -7h)`) counting arrivals, one rollup measurement per grouping
 * (`arrivals_1d_checkpoint`, `arrivals_1h_originRegency`, …). One per grouping, not one grouped by all
 * four tags at once: the combinations of checkpoint × regency × district × health are nearly as many
 * as the arrivals themselves, so such a rollup saved almost nothing (bench aggregate, issue 5).
 * CQs only look at recent time, so scans stored late (spool drain, a device's backlog) mark their hours
 * dirty and `refresh()` recomputes those buckets with the same SELECT … INTO; a recomputed bucket
 * overwrites itself (same series, same time), so it is idempotent.
 *
 * Yesterday and today (the recent window) are answered from exact in-memory counts (rollups-recent.ts),
 * filled from the raw points on start and then by every stored scan: a CQ lags up to 10 minutes, and
 * any raw read costs ~all series of the shard however short its time range. When a WIB day leaves the
 * window its hours are recomputed into the rollups before a query reads them.
 *
 * Limit: the counts see only the scans THIS server stores. With several server instances writing one
 * database (cluster mode), pass `recent: false`: recent hours then come from raw data as before.
 */
import Influx from 'influx';
import { FEVER_THRESHOLD_C, healthStatus, type Scan } from '@sk/protocol';
import { destDistrictTag, MEASUREMENT, originRegencyTag } from './arrival-point.ts';
import { DAY, HOUR, RecentCounts, wibDayStart, type Bucket, type RecentArrival } from './rollups-recent.ts';

export const ROLLUP_RP = 'rollups_rp';
const RAW_RP = 'arrivals_rp';
export const STATS_GROUPS = ['checkpoint', 'originRegency', 'destDistrict', 'health'] as const;
export type StatsGroup = (typeof STATS_GROUPS)[number];
export type StatsInterval = '1h' | '1d';

export interface StatsQuery { from: string; to: string; groupBy: StatsGroup; interval: StatsInterval }
export interface StatsReply {
  /** raw: counted from raw points; rollup: rollups (and the in-memory counts for the recent window); recent: in-memory counts only. */
  source: 'raw' | 'rollup' | 'recent';
  interval: StatsInterval;
  groupBy: StatsGroup;
  /** Bucket start (ISO) → count, per group value. */
  series: { key: string; total: number; points: { t: string; n: number }[] }[];
}

export interface RollupOptions {
  url: string;
  database: string;
  retention?: string;
  /** Ranges up to this long (ms, default 48 h) that start before the recent window are counted from raw data. */
  rawAbove?: number;
  refreshMs?: number;
  /** Exact in-memory counts for yesterday + today (default true; false when several servers write one database). */
  recent?: boolean;
  /** The fever threshold the store's `health` tag uses (the server's FEVER_THRESHOLD_C setting). */
  feverC?: number;
  now?: () => number;
  /**
   * Where the recent counts are rebuilt from at start: the database of record's scans kept since
   * `sinceMs` (exact, keyed by scanId). Without it, the raw points (v3 points carry no scanId: keyed by
   * device and time, their identity).
   */
  recentRows?: (sinceMs: number) => Promise<RecentArrival[]>;
}

const q = (s: string) => Influx.escape.stringLit(s);

export class ArrivalRollups {
  readonly #influx: Influx.InfluxDB;
  readonly #dirtyHours = new Set<number>();
  readonly #base: string;
  readonly #auth: Record<string, string>;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  #recent: RecentCounts | undefined;
  #recentReady = false;
  #rebuilding: Promise<void> | undefined;
  readonly #cache = new Map<string, Map<string, Point[]>>();
  #generation = 0;

  constructor(private readonly o: RollupOptions) {
    const u = new URL(o.url);
    this.#base = `${u.protocol}//${u.host}`;
    this.#auth = u.username ? { authorization: `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}` } : {};
    this.#now = o.now ?? Date.now;
    this.#influx = new Influx.InfluxDB({
      hosts: [{ host: u.hostname, port: Number(u.port || 80), protocol: u.protocol === 'https:' ? 'https' : 'http' }],
      username: u.username ? decodeURIComponent(u.username) : undefined,
      password: u.password ? decodeURIComponent(u.password) : undefined,
      database: o.database,
    });
  }

  #db = () => `"${this.o.database}"`;
  #raw = () => `${this.#db()}."${RAW_RP}"."${MEASUREMENT}"`;
  #rollup = (i: StatsInterval, g: StatsGroup) => `${this.#db()}."${ROLLUP_RP}"."${MEASUREMENT}_${i}_${g}"`;
  #groupTime = (i: StatsInterval) => (i === '1h' ? 'time(1h)' : 'time(1d, -7h)');
  // WIB days are summed from the hourly rollup (WIB is UTC+7, whole hours), not counted from raw
  // arrivals again: a refresh then reads the raw data of its dirty hours once per grouping, not a whole day.
  #select = (i: StatsInterval, g: StatsGroup) =>
    i === '1h' ? `SELECT count(temperatureC) AS n INTO ${this.#rollup(i, g)} FROM ${this.#raw()}` : `SELECT sum(n) AS n INTO ${this.#rollup(i, g)} FROM ${this.#rollup('1h', g)}`;
  #by = (i: StatsInterval, g: StatsGroup) => `GROUP BY ${this.#groupTime(i)}, ${g}`;

  /** Idempotent: creates the rollup RP and the CQs when missing. Needs the database to exist. */
  async start(): Promise<void> {
    const rps = await this.#influx.showRetentionPolicies(this.o.database);
    if (!rps.some((p) => p.name === ROLLUP_RP)) {
      await this.#influx.createRetentionPolicy(ROLLUP_RP, { database: this.o.database, duration: this.o.retention ?? 'INF', replication: 1, isDefault: false });
    }
    const cqs = await this.#influx.query<{ name: string; query?: string }>(`SHOW CONTINUOUS QUERIES`);
    const have = new Set(cqs.map((c) => c.name));
    // Hourly CQs of the v1 point layout counted `seq`, a field v2 points no longer have: replace them.
    for (const c of cqs) {
      // So did those of v2 points (`record`, issue 15: v3 points count temperatureC, as v1 points did).
      if (c.name.startsWith('cq_arrivals_1h_') && (c.query?.includes('count(seq)') || c.query?.includes('count(record)'))) {
        await this.#influx.query(`DROP CONTINUOUS QUERY ${c.name} ON ${this.#db()}`);
        have.delete(c.name);
      }
    }
    for (const i of ['1h', '1d'] as const) {
      // The first layout's CQ grouped by all four tags at once: stop it (its measurement is no longer read).
      if (have.has(`cq_arrivals_${i}`)) await this.#influx.query(`DROP CONTINUOUS QUERY cq_arrivals_${i} ON ${this.#db()}`);
      for (const g of STATS_GROUPS) {
        const name = `cq_arrivals_${i}_${g}`;
        if (have.has(name)) continue;
        const every = i === '1h' ? 'RESAMPLE EVERY 10m FOR 2h' : 'RESAMPLE EVERY 1h FOR 2d';
        await this.#influx.query(`CREATE CONTINUOUS QUERY ${name} ON ${this.#db()} ${every} BEGIN ${this.#select(i, g)} ${this.#by(i, g)} END`);
      }
    }
    if (this.o.recent !== false && !this.#recent) {
      // Count what gets stored from now on before reading what is already there: both go through
      // add(), which keeps one entry per scanId, so a write racing the rebuild is counted once.
      this.#recent = new RecentCounts(wibDayStart(this.#now()) - DAY);
      // In the background: the server starts without waiting; until ready, queries use raw data and rollups.
      this.#rebuilding = this.#rebuildRecent().catch(() => {}); // retried by the refresh timer
    }
    this.#timer = setInterval(() => void this.#tick().catch(() => {}), this.o.refreshMs ?? 30_000);
  }

  async #tick(): Promise<void> {
    if (this.#recent && !this.#recentReady) await this.#rebuildRecent();
    this.#slideWindow();
    await this.refresh();
  }

  async #rebuildRecent(): Promise<void> {
    const recent = this.#recent!;
    if (this.o.recentRows) {
      for (const a of await this.o.recentRows(recent.windowStart)) recent.add(a);
      this.#recentReady = true;
      return;
    }
    for (const s of await this.#query(`SELECT device, temperatureC, ${STATS_GROUPS.join(', ')} FROM ${this.#raw()} WHERE time >= ${recent.windowStart}ms`)) {
      const col = Object.fromEntries(s.columns.map((c, i) => [c, i]));
      for (const v of s.values) {
        const groups = Object.fromEntries(STATS_GROUPS.map((g) => [g, String(v[col[g]!] ?? '')])) as RecentArrival['groups'];
        recent.add({ scanId: `${String(v[col.device!])}|${String(v[0])}`, at: Number(v[0]), groups });
      }
    }
    this.#recentReady = true;
  }

  /**
   * Today's arrivals per checkpoint (WIB) from the in-memory counts, without a query; undefined until
   * they are rebuilt (or in cluster mode): the caller asks the store then.
   */
  todayByCheckpoint(): Map<string, number> | undefined {
    const recent = this.#recentReady ? this.#recent : undefined;
    if (!recent) return undefined;
    const today = wibDayStart(this.#now());
    const out = new Map<string, number>();
    for (const [cp, buckets] of recent.counts('checkpoint', '1d', today, today + DAY)) out.set(cp, buckets.reduce((n, b) => n + b.n, 0));
    return out;
  }

  /** Whether queries now use the in-memory counts (waits for a rebuild in flight; for tests and health). */
  async recentReady(): Promise<boolean> {
    await this.#rebuilding;
    return this.#recentReady;
  }

  /** At a new WIB day the oldest day leaves the window: its hours go to the rollups (recomputed first). */
  #slideWindow(): void {
    const left = this.#recent?.advance(wibDayStart(this.#now()) - DAY) ?? [];
    for (const h of left) this.#dirtyHours.add(h);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Scans just stored (after the write succeeded): counted in the recent window, or their older hours marked for recomputing. */
  touch(scans: readonly Scan[]): void {
    const feverC = this.o.feverC ?? FEVER_THRESHOLD_C;
    for (const s of scans) {
      const at = Date.parse(s.scannedAt);
      // The same values as the store's tags (scanTags), so memory and rollups group alike: tests/aggregate-rollups.test.ts
      // compares the in-memory counts with counts over the raw points.
      const counted = this.#recent?.addScan(s.scanId, at, s.checkpointId, originRegencyTag(s.nik), destDistrictTag(s.destinationVillageCode), healthStatus(s.health, feverC));
      // Until the counts are rebuilt, queries read the rollups for these hours too: keep them fresh.
      if (!counted || !this.#recentReady) this.#dirtyHours.add(Math.floor(at / HOUR) * HOUR);
    }
    if (this.#recent?.overflowed) {
      // More arrivals than the memory bound (far beyond a regency's traffic): back to the rollups for good.
      for (let h = this.#recent.windowStart; h <= this.#now(); h += HOUR) this.#dirtyHours.add(h);
      this.#recent = undefined;
      this.#recentReady = false;
    }
  }

  /** Back-fill: recomputes every hour (and WIB day) of [from, to) from the raw points, e.g. after an import. */
  async recompute(from: number, to: number): Promise<void> {
    for (let h = Math.floor(from / HOUR) * HOUR; h < to; h += HOUR) this.#dirtyHours.add(h);
    await this.refresh();
  }

  /** Recomputes dirty buckets (one query per contiguous run of hours, and per run of WIB days). */
  async refresh(): Promise<void> {
    // One refresh at a time; a caller arriving meanwhile waits for it, then recomputes what got dirty since
    // (otherwise it would find the dirty set already cleared and read buckets not yet rewritten).
    while (this.#refreshing) await this.#refreshing.catch(() => {});
    if (this.#dirtyHours.size === 0) return;
    this.#refreshing = this.#refreshOnce();
    try {
      await this.#refreshing;
    } finally {
      this.#refreshing = undefined;
    }
  }

  async #refreshOnce(): Promise<void> {
    const hours = [...this.#dirtyHours].sort((a, b) => a - b);
    this.#dirtyHours.clear();
    this.#invalidate();
    try {
      for (const [from, to] of runs(hours, HOUR)) await this.#recompute('1h', from, to);
      const days = [...new Set(hours.map((h) => wibDayStart(h)))];
      for (const [from, to] of runs(days, DAY)) await this.#recompute('1d', from, to);
    } catch (e) {
      for (const h of hours) this.#dirtyHours.add(h); // try again next time
      throw e;
    }
  }

  async #recompute(i: StatsInterval, from: number, to: number): Promise<void> {
    const where = `WHERE time >= ${q(new Date(from).toISOString())} AND time < ${q(new Date(to).toISOString())}`;
    for (const g of STATS_GROUPS) await this.#influx.query(`${this.#select(i, g)} ${where} ${this.#by(i, g)}`);
  }

  /**
   * Counts per bucket and group; a bucket counts when its start is in [from, to). Short ranges
   * (≤ `rawAbove`, 48 h) inside the recent window come from the exact in-memory counts, other short
   * ranges from raw data; longer ranges read the rollups before the window and the counts inside it.
   */
  async stats(sq: StatsQuery): Promise<StatsReply> {
    const from = Date.parse(sq.from);
    const to = Date.parse(sq.to);
    this.#slideWindow();
    const recent = this.#recentReady ? this.#recent : undefined;
    const ws = recent?.windowStart ?? Infinity;
    if (to - from <= (this.o.rawAbove ?? 48 * HOUR) && from < ws) return this.#rawStats(sq, from, to);
    const byKey = new Map<string, Point[]>();
    let source: StatsReply['source'] = 'recent';
    if (from < ws) {
      source = 'rollup';
      await this.refresh();
      for (const [key, points] of await this.#rollupPart(sq, from, Math.min(to, ws), recent !== undefined)) byKey.set(key, points);
    }
    if (recent && to > ws) {
      for (const [key, buckets] of recent.counts(sq.groupBy, sq.interval, Math.max(from, ws), to)) byKey.set(key, [...(byKey.get(key) ?? []), ...buckets.map(toPoint)]);
    }
    return reply(sq, source, byKey);
  }

  /**
   * The rollup points in [from, end). They are already one per bucket and group value: a plain SELECT,
   * no GROUP BY time (which made InfluxDB walk 720 buckets × 25 districts: 406 ms p99 per district per hour).
   * With the recent counts on, rollups before the window change only through refresh() here, so the
   * answer is cached until the next recompute or window move (a dashboard polls the same views).
   */
  async #rollupPart(sq: StatsQuery, from: number, end: number, cacheable: boolean): Promise<Map<string, Point[]>> {
    const cacheKey = `${sq.interval}|${sq.groupBy}|${from}|${end}`;
    const hit = cacheable ? this.#cache.get(cacheKey) : undefined;
    if (hit) return hit;
    const generation = this.#generation;
    const sql = `SELECT n FROM ${this.#rollup(sq.interval, sq.groupBy)} WHERE ${timeRange(from, end)} GROUP BY ${sq.groupBy}`;
    const out = new Map<string, Point[]>();
    for (const s of await this.#query(sql)) out.set(s.tags[sq.groupBy] ?? '', s.values.map(([t, n]) => toPoint({ t: Number(t), n: Number(n) })));
    if (cacheable && generation === this.#generation) {
      if (this.#cache.size >= 64) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(cacheKey, out);
    }
    return out;
  }

  /** Rollup buckets are about to change: answers read before now must not be cached. */
  #invalidate(): void {
    this.#generation++;
    this.#cache.clear();
  }

  async #rawStats(sq: StatsQuery, from: number, to: number): Promise<StatsReply> {
    const sql = `SELECT count(temperatureC) AS n FROM ${this.#raw()} WHERE ${timeRange(from, to)} GROUP BY ${this.#groupTime(sq.interval)}, ${sq.groupBy} fill(none)`;
    const byKey = new Map<string, Point[]>();
    for (const s of await this.#query(sql)) byKey.set(s.tags[sq.groupBy] ?? '', s.values.map(([t, n]) => toPoint({ t: Number(t), n: Number(n) })));
    return reply(sq, 'raw', byKey);
  }

  /** InfluxQL over HTTP with epoch=ms: the compact series format, parsed once (node-influx builds a Date per row). */
  async #query(sql: string): Promise<{ tags: Record<string, string>; columns: string[]; values: unknown[][] }[]> {
    const res = await fetch(`${this.#base}/query?db=${encodeURIComponent(this.o.database)}&epoch=ms&q=${encodeURIComponent(sql)}`, { headers: this.#auth });
    const body = (await res.json().catch(() => ({}))) as InfluxReply;
    const r = body.results?.[0];
    const err = body.error ?? r?.error;
    if (!res.ok || err || r?.partial) throw new Error(`influxdb query failed (HTTP ${res.status}${err ? `: ${err.slice(0, 120)}` : r?.partial ? ', partial' : ''})`);
    return (r?.series ?? []).map((s) => ({ tags: s.tags ?? {}, columns: s.columns ?? [], values: s.values }));
  }
}

interface InfluxReply {
  error?: string;
  results?: { error?: string; partial?: boolean; series?: { tags?: Record<string, string>; columns?: string[]; values: unknown[][] }[] }[];
}

const timeRange = (from: number, to: number) => `time >= ${from}ms AND time < ${to}ms`;

type Point = StatsReply['series'][number]['points'][number];
const toPoint = (b: Bucket): Point => ({ t: new Date(b.t).toISOString(), n: b.n });

function reply(sq: StatsQuery, source: StatsReply['source'], byKey: Map<string, Point[]>): StatsReply {
  const series = [...byKey]
    .map(([key, all]) => {
      const points = all.filter((p) => p.n > 0);
      return { key, total: points.reduce((a, p) => a + p.n, 0), points };
    })
    .filter((s) => s.points.length > 0)
    .sort((a, b) => b.total - a.total || (a.key < b.key ? -1 : 1));
  return { source, interval: sq.interval, groupBy: sq.groupBy, series };
}

/** `runs([0, 1, 2, 5], 1)` → `[[0, 3], [5, 6]]` (half-open ranges of consecutive steps). */
export function runs(starts: readonly number[], step: number): [number, number][] {
  const out: [number, number][] = [];
  for (const s of starts) {
    const last = out[out.length - 1];
    if (last && s === last[1]) last[1] = s + step;
    else out.push([s, s + step]);
  }
  return out;
}
