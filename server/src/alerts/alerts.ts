/**
 * The alerts feature: applies the pure rules to accepted scans, device statuses and arrival rates,
 * keeps the book (durable in DATA_DIR/server/alerts.jsonl) and hands every change to `emit` (live).
 * Other features (expected arrivals, quarantine) raise through `raise` / `clearKey`.
 */
import { createHmac } from 'node:crypto';
import type { AlertEvent, DeviceStatus, Scan } from '@sk/protocol';
import type { PublicUser } from '../auth/users.ts';
import { Journal } from '../arrivals/journal.ts';
import { AlertBook, type AlertRecord } from './alert-book.ts';
import { backlogCheck, deviceAlert, deviceOffline, scanAlerts, surgeAlert, surgeCheck, type AlertCandidate, type BacklogOptions, type RuleOptions, type SurgeOptions } from './rules.ts';

export interface AlertsOptions extends RuleOptions {
  offlineAfterMs: number;
  now?: () => Date;
  /** DATA_DIR/server/alerts.jsonl; in memory when absent. */
  journalFile?: string;
  /** Secret for the person key (HMAC of the NIK), so the key cannot be brute-forced back to a NIK. */
  personSecret?: Buffer;
  /** A repeat of an open alert within this window folds into it (default 6 h; ALERT_DEDUP_MIN). */
  dedupWindowMs?: number;
  /** Surge rule windows (defaults below; SURGE_* env vars). */
  surge?: Partial<SurgeOptions>;
  backlog?: Partial<BacklogOptions>;
  emit?: (a: AlertEvent) => void;
  /** Cluster mode: every local change with its key, for the other instances (ServerCluster.shareAlerts). */
  share?: (r: AlertRecord) => void;
}

/** Defaults, mirrored in config.ts (SURGE_WINDOW_MIN, SURGE_BASELINE_MIN, SURGE_FACTOR, SURGE_MIN_COUNT). */
export const SURGE_DEFAULTS: SurgeOptions = { windowMin: 10, baselineMin: 60, factor: 3, minCount: 50 };
/** Default de-duplication window, mirrored in config.ts (ALERT_DEDUP_MIN = 360). */
export const DEDUP_WINDOW_MS = 6 * 3600_000;
const BACKLOG: BacklogOptions = { minDepth: 100, risingReports: 3 };

export class Alerts {
  readonly book: AlertBook;
  readonly #devices = new Map<string, DeviceStatus>();
  readonly #depths = new Map<string, number[]>();
  /** Arrivals per checkpoint per minute (minute index → count), kept for window + baseline. */
  readonly #perMinute = new Map<string, Map<number, number>>();
  /** Per checkpoint: the per-minute series the surge rule reads, as of `minute`. */
  readonly #surgeSeries = new Map<string, { minute: number; series: number[] }>();
  /** The minute this instance started counting: a surge needs a full baseline behind it. */
  readonly #countingSince: number;
  readonly #surge: SurgeOptions;
  readonly #backlog: BacklogOptions;
  readonly #now: () => Date;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: AlertsOptions) {
    this.#now = o.now ?? (() => new Date());
    this.#surge = { ...SURGE_DEFAULTS, ...o.surge };
    this.#backlog = { ...BACKLOG, ...o.backlog };
    this.#countingSince = Math.floor(this.#now().getTime() / 60_000);
    const journal = o.journalFile ? new Journal<AlertRecord>(o.journalFile, (r) => String(r.id)) : undefined;
    this.book = new AlertBook({ now: this.#now, journal, dedupWindowMs: o.dedupWindowMs ?? DEDUP_WINDOW_MS, onChange: (a) => o.emit?.(a), onRecord: o.share });
  }

  /** Checks for devices gone silent without a last will (e.g. a network cut the broker has not noticed). */
  start(checkEveryMs = 5000): void {
    this.#timer = setInterval(() => this.#checkSilent(), checkEveryMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.book.close();
  }

  raise(c: AlertCandidate): AlertEvent {
    return this.book.raise(c).alert;
  }

  clearKey(key: string, by: string): void {
    this.book.clearKey(key, by);
  }

  /** The traveller's alert key: an HMAC of the NIK (never the NIK itself), or the scanId without a secret. */
  readonly #person = (scan: Scan): string => {
    const secret = this.o.personSecret;
    return secret ? createHmac('sha256', secret).update(scan.nik).digest('base64url').slice(0, 22) : scan.scanId;
  };

  onScan(scan: Scan): void {
    for (const c of scanAlerts(scan, this.o, this.#person)) this.book.raise(c);
    this.#countArrival(scan.checkpointId);
  }

  onStatus(s: DeviceStatus): void {
    const id = `${s.checkpointId}/${s.deviceId}`;
    this.#devices.set(id, s);
    this.#apply(s);
    if (s.outbox) {
      const depths = this.#depths.get(id) ?? [];
      depths.push(s.outbox.depth);
      if (depths.length > 10) depths.shift();
      this.#depths.set(id, depths);
      const r = backlogCheck(s, depths, this.#backlog);
      if (r === 'clear') this.book.clearKey(`device_backlog|${id}`, 'system');
      else if (r) this.book.raise(r);
    }
  }

  /** What a user may see: command all; a village officer its village's alerts; a checkpoint officer its checkpoint's. */
  visibleTo(user: PublicUser): (a: AlertEvent) => boolean {
    if (user.role === 'command') return () => true;
    if (user.role === 'village') return (a) => a.villageCode !== undefined && a.villageCode === user.villageCode;
    return (a) => a.checkpointId !== undefined && a.checkpointId === user.checkpointId;
  }

  #countArrival(checkpointId: string): void {
    const minute = Math.floor(this.#now().getTime() / 60_000);
    let buckets = this.#perMinute.get(checkpointId);
    if (!buckets) this.#perMinute.set(checkpointId, (buckets = new Map()));
    buckets.set(minute, (buckets.get(minute) ?? 0) + 1);
    const span = this.#surge.windowMin + this.#surge.baselineMin;
    // Only the current minute changes within a minute: the series is built once per minute and its
    // last value updated per scan (building it per scan cost more than the rule).
    let cached = this.#surgeSeries.get(checkpointId);
    if (cached?.minute !== minute) {
      for (const m of buckets.keys()) if (m <= minute - span) buckets.delete(m);
      cached = { minute, series: Array.from({ length: span }, (_, i) => buckets!.get(minute - span + 1 + i) ?? 0) };
      this.#surgeSeries.set(checkpointId, cached);
    }
    cached.series[span - 1] = buckets.get(minute) ?? 0;
    // Counts live in memory: until a whole window + baseline has been seen since start, the baseline is
    // made of minutes we did not count (zeros), and every checkpoint would "surge" after a start or restart.
    if (minute - this.#countingSince < span) return;
    const key = `arrival_surge|${checkpointId}`;
    if (this.book.isOpen(key)) return; // one surge alert until someone clears it; no storm of updates
    const s = surgeCheck(cached.series, this.#surge);
    if (s) this.book.raise(surgeAlert(checkpointId, s, this.#surge));
  }

  #apply(s: DeviceStatus): void {
    const now = this.#now().getTime();
    const id = `${s.checkpointId}/${s.deviceId}`;
    if (deviceOffline(s, now, this.o.offlineAfterMs)) {
      if (!this.book.isOpen(`device_offline|${id}`)) this.book.raise(deviceAlert(s));
    } else this.book.clearKey(`device_offline|${id}`, 'system');
  }

  #checkSilent(): void {
    for (const s of this.#devices.values()) this.#apply(s);
  }
}
