/**
 * Exact arrival counts for the recent window (yesterday and today, WIB), in memory. Pure: no I/O.
 *
 * Why (issue 5, bench aggregate): every raw-data query in InfluxDB 1.x opens one iterator per series
 * of the shard (~4.7k series), so counting the last 5 minutes costs as much as counting the whole week
 * (100–300 ms on this box) — a "raw tail" cannot be made cheap by making it short. The rollups cover
 * closed days; this covers the open ones. It is filled once from the raw points of the window and
 * then by every scan the server stores; entries are keyed by scanId, so a replayed scan (agent resend,
 * spool drain, the rebuild racing a write) is counted once — the same rule as the InfluxDB point identity.
 *
 * The key kept is a 53-bit hash of the scanId, not the string (issue 15, bench e2e 1,000,000 scans):
 * a scanId cut from a device's message by the fast parser is a slice that keeps the whole message
 * alive, so a million kept ids held hundreds of MiB; a number does not. Two ids of one hour colliding
 * in 53 bits (one miscount in a dashboard figure) has odds of about 10⁻⁴ at a million scans an hour.
 */
import type { StatsGroup, StatsInterval } from './rollups.ts';

export const HOUR = 3600_000;
export const DAY = 24 * HOUR;
const WIB_OFFSET = 7 * HOUR; // WIB = UTC+7, no daylight saving

/** Start (UTC ms) of the WIB day holding `t`: `wibDayStart(Date.parse('2026-11-28T18:00Z'))` → 2026-11-28T17:00Z. */
export const wibDayStart = (t: number): number => Math.floor((t + WIB_OFFSET) / DAY) * DAY - WIB_OFFSET;
export const hourStart = (t: number): number => Math.floor(t / HOUR) * HOUR;

/** One stored arrival, reduced to what the counts need (the tag values the rollups group by). */
export interface RecentArrival {
  scanId: string;
  /** ms since the epoch (scannedAt). */
  at: number;
  groups: Record<StatsGroup, string>;
}

export interface Bucket { t: number; n: number }

/**
 * The groups a query can ask for (rollups.ts STATS_GROUPS, repeated here to keep this module free of
 * a runtime import cycle; the check below fails the typecheck if one is missing). Callers hand in the
 * store's whole tag set (device, province too): counting only these halves the per-scan work (issue 5).
 */
const GROUPS = ['checkpoint', 'originRegency', 'destDistrict', 'health'] as const satisfies readonly StatsGroup[];
const allGroupsCounted: [Exclude<StatsGroup, (typeof GROUPS)[number]>] extends [never] ? true : false = true;
void allGroupsCounted;

/** cyrb53 (public domain, bryc): a fast 53-bit string hash, exact as a JS number. */
export function hash53(str: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < str.length; i++) {
    const ch = str.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

function count(totals: Map<StatsGroup, Map<string, number>>, group: StatsGroup, v: string | undefined): void {
  if (v === undefined) return;
  let byValue = totals.get(group);
  if (!byValue) totals.set(group, (byValue = new Map()));
  byValue.set(v, (byValue.get(v) ?? 0) + 1);
}

export class RecentCounts {
  /** hour start → the scanIds (hashed) counted in it (a replayed scan is counted once). */
  readonly #hours = new Map<number, Set<number>>();
  /** hour start → group → value → count, kept up to date by add(): a query reads these, not every id. */
  readonly #totals = new Map<number, Map<StatsGroup, Map<string, number>>>();
  #size = 0;

  /** `windowStart` is a WIB day start; arrivals before it belong to the rollups, not here. */
  constructor(public windowStart: number, readonly maxEntries = 2_000_000) {}

  get size(): number {
    return this.#size;
  }

  get overflowed(): boolean {
    return this.#size > this.maxEntries;
  }

  /** Counts `a` once per scanId. False when it is before the window (the caller leaves it to the rollups). */
  add(a: RecentArrival): boolean {
    const g = a.groups;
    return this.addScan(a.scanId, a.at, g.checkpoint, g.originRegency, g.destDistrict, g.health);
  }

  /**
   * `add` without the objects: the group values in GROUPS order, straight from a stored scan (the hot
   * path counts every scan the server stores; building a tag object per scan for it showed in the
   * e2e profile, issue 5).
   */
  addScan(scanId: string, at: number, checkpoint: string | undefined, originRegency: string | undefined, destDistrict: string | undefined, health: string | undefined): boolean {
    if (at < this.windowStart) return false;
    const h = hourStart(at);
    let ids = this.#hours.get(h);
    if (!ids) this.#hours.set(h, (ids = new Set()));
    const key = hash53(scanId);
    if (ids.has(key)) return true;
    ids.add(key);
    this.#size++;
    let totals = this.#totals.get(h);
    if (!totals) this.#totals.set(h, (totals = new Map()));
    count(totals, 'checkpoint', checkpoint);
    count(totals, 'originRegency', originRegency);
    count(totals, 'destDistrict', destDistrict);
    count(totals, 'health', health);
    return true;
  }

  /** Moves the window start forward to `start` (a WIB day start); returns the hour starts that left it. */
  advance(start: number): number[] {
    if (start <= this.windowStart) return [];
    this.windowStart = start;
    const left: number[] = [];
    for (const [h, ids] of this.#hours) {
      if (h >= start) continue;
      left.push(h);
      this.#size -= ids.size;
      this.#hours.delete(h);
      this.#totals.delete(h);
    }
    return left.sort((a, b) => a - b);
  }

  /** Group value → buckets (start in [from, to), ascending), per hour or per WIB day. */
  counts(groupBy: StatsGroup, interval: StatsInterval, from: number, to: number): Map<string, Bucket[]> {
    const byKey = new Map<string, Map<number, number>>();
    for (const [h, totals] of this.#totals) {
      const t = interval === '1h' ? h : wibDayStart(h);
      if (t < from || t >= to) continue;
      for (const [key, n] of totals.get(groupBy) ?? []) {
        let m = byKey.get(key);
        if (!m) byKey.set(key, (m = new Map()));
        m.set(t, (m.get(t) ?? 0) + n);
      }
    }
    const out = new Map<string, Bucket[]>();
    for (const [key, m] of byKey) out.set(key, [...m].map(([t, n]) => ({ t, n })).sort((a, b) => a.t - b.t));
    return out;
  }
}
