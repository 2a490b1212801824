/**
 * Arrivals per hour, today's health mix and top origin regencies, from the server's rollups (GET /api/stats/arrivals),
 * kept live by adding each socket `arrival` to its hour bucket. The server is the truth: after every
 * (re)connect and every few minutes the figures are reloaded, which also repairs the rare double
 * count of an event that arrived while a reload was in flight.
 */
import type { ArrivalEvent, HealthStatus } from '@sk/protocol';
import { api, query } from './api.ts';
import type { MessageKey } from './i18n.svelte.ts';

interface StatsReply { series: { key: string; total: number; points: { t: string; n: number }[] }[] }
export type StatsRange = 'today' | 'week';
export interface OriginRow { code: string; name: string; n: number }

const HOUR = 3_600_000;
const PUBLISH_MS = 1_000;
const WIB = 7 * HOUR;
/** WIB midnight of the day holding `ms`, as epoch ms. */
export const wibMidnight = (ms: number): number => Math.floor((ms + WIB) / 86_400_000) * 86_400_000 - WIB;

export class ArrivalStats {
  range = $state<StatsRange>('today');
  /** [bucket starts in epoch seconds, counts]: the shape uPlot takes. */
  hourly = $state.raw<[number[], number[]]>([[], []]);
  origins = $state.raw<OriginRow[]>([]);
  /** Today's (WIB) arrivals by health status. */
  health = $state.raw<Record<HealthStatus, number>>({ positif: 0, demam: 0, gejala: 0, sehat: 0 });
  error = $state<MessageKey | null>(null);

  #buckets = new Map<number, number>();
  #originCounts = new Map<string, number>();
  #healthCounts = new Map<string, number>();
  /** Regency names seen in arrivals (the rollup keys are codes; names ship with the events). */
  #names = new Map<string, string>();
  #from = 0;
  #dirty = false;
  #lastPublish = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  async load(range: StatsRange = this.range): Promise<void> {
    this.range = range;
    const to = this.now() + HOUR;
    const from = wibMidnight(this.now()) - (range === 'week' ? 6 * 86_400_000 : 0);
    const iso = (ms: number) => new Date(ms).toISOString();
    try {
      const today = (groupBy: string) => api<StatsReply>(`/api/stats/arrivals${query({ from: iso(wibMidnight(this.now())), to: iso(to), interval: '1h', groupBy })}`);
      const [byHour, byOrigin, byHealth] = await Promise.all([
        api<StatsReply>(`/api/stats/arrivals${query({ from: iso(from), to: iso(to), interval: '1h', groupBy: 'checkpoint' })}`),
        today('originRegency'),
        today('health'),
      ]);
      this.#from = from;
      this.#buckets = new Map();
      for (let t = from; t <= Math.floor(this.now() / HOUR) * HOUR; t += HOUR) this.#buckets.set(t, 0);
      for (const s of byHour.series) for (const p of s.points) {
        const t = Date.parse(p.t);
        if (t >= from) this.#buckets.set(t, (this.#buckets.get(t) ?? 0) + p.n);
      }
      this.#originCounts = new Map(byOrigin.series.map((s) => [s.key, s.total]));
      this.#healthCounts = new Map(byHealth.series.map((s) => [s.key, s.total]));
      this.error = null;
      this.#publish();
    } catch (e) {
      this.error = (e as { messageKey?: MessageKey }).messageKey ?? 'loadFailed';
    }
  }

  /** Names for regency codes, from any arrivals (history included); counts are not touched. */
  learnNames(events: readonly ArrivalEvent[]): void {
    for (const e of events) if (e.originRegencyName && !this.#names.has(e.originRegencyCode)) {
      this.#names.set(e.originRegencyCode, e.originRegencyName);
      this.#dirty = true;
    }
  }

  /** One live arrival (socket.io `arrival`); shown by the next flush(). */
  add(e: ArrivalEvent): void {
    const at = Date.parse(e.scannedAt);
    if (!(at >= this.#from)) return;
    const bucket = Math.floor(at / HOUR) * HOUR;
    this.#buckets.set(bucket, (this.#buckets.get(bucket) ?? 0) + 1);
    if (at >= wibMidnight(this.now())) {
      this.#originCounts.set(e.originRegencyCode, (this.#originCounts.get(e.originRegencyCode) ?? 0) + 1);
      this.#healthCounts.set(e.healthStatus, (this.#healthCounts.get(e.healthStatus) ?? 0) + 1);
    }
    this.#dirty = true;
  }

  /**
   * Publishes at most once a second (a trailing timer catches the last changes): the chart is a
   * canvas redraw, and at 1,000 events/s a 60 Hz redraw costs frames for no visible gain.
   */
  flush(): void {
    if (!this.#dirty || this.#timer) return;
    const wait = this.#lastPublish + PUBLISH_MS - this.now();
    if (wait <= 0) this.#publish();
    else this.#timer = setTimeout(() => { this.#timer = undefined; this.#publish(); }, wait);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #publish(): void {
    this.#dirty = false;
    this.#lastPublish = this.now();
    const keys = [...this.#buckets.keys()].sort((a, b) => a - b);
    this.hourly = [keys.map((k) => k / 1000), keys.map((k) => this.#buckets.get(k) ?? 0)];
    this.origins = [...this.#originCounts]
      .map(([code, n]) => ({ code, n, name: this.#names.get(code) ?? code }))
      .sort((a, b) => b.n - a.n || a.code.localeCompare(b.code))
      .slice(0, 8);
    const h = (k: HealthStatus) => this.#healthCounts.get(k) ?? 0;
    this.health = { positif: h('positif'), demam: h('demam'), gejala: h('gejala'), sehat: h('sehat') };
  }
}
