/**
 * Downsampled arrival counts in InfluxDB 1.x, so a 30-day dashboard reads a few thousand rollup points
 * instead of millions of raw ones. On start: a retention policy for rollups and continuous queries
 * (per hour; per WIB day = `time(1d, -7h)`) counting arrivals, one rollup measurement per grouping
 * (`arrivals_1d_checkpoint`, `arrivals_1h_originRegency`, …). One per grouping, not one grouped by all
 * four tags at once: the combinations of checkpoint × regency × district × health are nearly as many
 * as the arrivals themselves, so such a rollup saved almost nothing (bench aggregate, issue 5). CQs only look at recent time, so scans stored late (spool drain,
 * a device's backlog) mark their hours dirty and `refresh()` recomputes those buckets with the same
 * SELECT … INTO; a recomputed bucket overwrites itself (same series, same time), so it is idempotent.
 */
import Influx from 'influx';
import type { Scan } from '@sk/protocol';
import { MEASUREMENT } from './arrival-point.ts';

export const ROLLUP_RP = 'rollups_rp';
const RAW_RP = 'arrivals_rp';
const HOUR = 3600_000;
const DAY_OFFSET_MS = -7 * HOUR; // WIB midnight = 17:00 UTC
export const STATS_GROUPS = ['checkpoint', 'originRegency', 'destDistrict', 'health'] as const;
export type StatsGroup = (typeof STATS_GROUPS)[number];
export type StatsInterval = '1h' | '1d';

export interface StatsQuery { from: string; to: string; groupBy: StatsGroup; interval: StatsInterval }
export interface StatsReply {
  source: 'raw' | 'rollup';
  interval: StatsInterval;
  groupBy: StatsGroup;
  /** Bucket start (ISO) → count, per group value. */
  series: { key: string; total: number; points: { t: string; n: number }[] }[];
}

const q = (s: string) => Influx.escape.stringLit(s);

export class ArrivalRollups {
  readonly #influx: Influx.InfluxDB;
  readonly #dirtyHours = new Set<number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: { url: string; database: string; retention?: string; rawAbove?: number; refreshMs?: number }) {
    const u = new URL(o.url);
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
    i === '1h' ? `SELECT count(scanId) AS n INTO ${this.#rollup(i, g)} FROM ${this.#raw()}` : `SELECT sum(n) AS n INTO ${this.#rollup(i, g)} FROM ${this.#rollup('1h', g)}`;
  #by = (i: StatsInterval, g: StatsGroup) => `GROUP BY ${this.#groupTime(i)}, ${g}`;

  /** Idempotent: creates the rollup RP and the CQs when missing. Needs the database to exist. */
  async start(): Promise<void> {
    const rps = await this.#influx.showRetentionPolicies(this.o.database);
    if (!rps.some((p) => p.name === ROLLUP_RP)) {
      await this.#influx.createRetentionPolicy(ROLLUP_RP, { database: this.o.database, duration: this.o.retention ?? 'INF', replication: 1, isDefault: false });
    }
    const cqs = await this.#influx.query<{ name: string }>(`SHOW CONTINUOUS QUERIES`);
    const have = new Set(cqs.map((c) => c.name));
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
    this.#timer = setInterval(() => void this.refresh().catch(() => {}), this.o.refreshMs ?? 30_000);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Scans just stored: their hours (and days) need recomputing. */
  touch(scans: readonly Scan[]): void {
    for (const s of scans) this.#dirtyHours.add(Math.floor(Date.parse(s.scannedAt) / HOUR) * HOUR);
  }

  /** Recomputes dirty buckets (one query per contiguous run of hours, and per run of WIB days). */
  async refresh(): Promise<void> {
    if (this.#dirtyHours.size === 0) return;
    const hours = [...this.#dirtyHours].sort((a, b) => a - b);
    this.#dirtyHours.clear();
    try {
      for (const [from, to] of runs(hours, HOUR)) await this.#recompute('1h', from, to);
      const days = [...new Set(hours.map((h) => Math.floor((h - DAY_OFFSET_MS) / (24 * HOUR)) * 24 * HOUR + DAY_OFFSET_MS))];
      for (const [from, to] of runs(days, 24 * HOUR)) await this.#recompute('1d', from, to);
    } catch (e) {
      for (const h of hours) this.#dirtyHours.add(h); // try again next time
      throw e;
    }
  }

  async #recompute(i: StatsInterval, from: number, to: number): Promise<void> {
    const where = `WHERE time >= ${q(new Date(from).toISOString())} AND time < ${q(new Date(to).toISOString())}`;
    for (const g of STATS_GROUPS) await this.#influx.query(`${this.#select(i, g)} ${where} ${this.#by(i, g)}`);
  }

  /** Counts per bucket and group; reads the rollups for ranges longer than `rawAbove` (48 h). */
  async stats(sq: StatsQuery): Promise<StatsReply> {
    const from = Date.parse(sq.from);
    const to = Date.parse(sq.to);
    const useRollup = to - from > (this.o.rawAbove ?? 48 * HOUR);
    let sql: string;
    if (useRollup) {
      await this.refresh();
      sql = `SELECT sum(n) AS n FROM ${this.#rollup(sq.interval, sq.groupBy)}`;
    } else {
      sql = `SELECT count(scanId) AS n FROM ${this.#raw()}`;
    }
    sql += ` WHERE time >= ${q(new Date(from).toISOString())} AND time < ${q(new Date(to).toISOString())} GROUP BY ${this.#groupTime(sq.interval)}, ${sq.groupBy} fill(none)`;
    const rows = await this.#influx.query<Record<string, unknown>>(sql);
    const byKey = new Map<string, { t: string; n: number }[]>();
    for (const r of rows) {
      const key = String(r[sq.groupBy] ?? '');
      const n = Number(r.n);
      if (!n) continue;
      const t = (r.time as Date).toISOString();
      (byKey.get(key) ?? byKey.set(key, []).get(key)!).push({ t, n });
    }
    const series = [...byKey].map(([key, points]) => ({ key, total: points.reduce((a, p) => a + p.n, 0), points })).sort((a, b) => b.total - a.total);
    return { source: useRollup ? 'rollup' : 'raw', interval: sq.interval, groupBy: sq.groupBy, series };
  }
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
