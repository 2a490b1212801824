/**
 * The puskesmas feature: daily reports in (HTTP, MQTT), weekly trends and export out, and a
 * missing-report notice to the command centre once the deadline hour (WIB) has passed.
 */
import { join } from 'node:path';
import { PUSKESMAS, PUSKESMAS_IDS, puskesmasById, todayWib, type DailyReport, type PuskesmasMissing } from '@sk/protocol';
import type { Logger } from '../log.ts';
import { PendingReports } from './pending-reports.ts';
import type { ReportStore } from './report-store.ts';
import { missingFor } from './trends.ts';

export interface PuskesmasDeps {
  store: ReportStore;
  /** DATA_DIR: reports from devices wait in server/puskesmas/pending.jsonl until InfluxDB has them. */
  dataDir: string;
  log: Logger;
  deadlineHour: number;
  emitMissing(m: PuskesmasMissing): void;
  now?: () => Date;
}

export class PuskesmasReports {
  #timer: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #announced = '';
  readonly #pending: PendingReports;
  lastMissing: PuskesmasMissing | null = null;
  constructor(private readonly d: PuskesmasDeps) {
    this.#pending = new PendingReports(join(d.dataDir, 'server', 'puskesmas', 'pending.jsonl'));
  }

  start(checkEveryMs = 60_000, retryEveryMs = 2_000): void {
    this.#pending.open();
    if (this.#pending.size) this.d.log.info({ pending: this.#pending.size }, 'puskesmas reports pending from the last run');
    this.flushPending();
    this.#timer = setInterval(() => void this.checkMissing().catch(() => undefined), checkEveryMs);
    this.#retry = setInterval(() => this.flushPending(), retryEveryMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    clearInterval(this.#retry);
    await this.#flushing;
    this.#pending.close();
  }

  /** Reports received but not yet in InfluxDB. */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * From a device (MQTT): durable on disk when this returns, stored in InfluxDB now or on a later retry.
   * Synchronous on purpose: the caller acknowledges the message only after it returns.
   */
  accept(reports: readonly DailyReport[]): void {
    this.#pending.add(reports);
    this.flushPending();
  }

  /** One write of everything pending at a time; a failure keeps them for the next retry. */
  flushPending(): void {
    if (this.#flushing || !this.#pending.size) return;
    this.#flushing = this.#pending
      .flush((rs) => this.d.store.write(rs))
      .then(
        (n) => n && this.d.log.debug({ stored: n }, 'pending puskesmas reports stored'),
        (e: Error) => this.d.log.warn({ err: e.message, pending: this.#pending.size }, 'puskesmas reports kept pending; InfluxDB unavailable'),
      )
      .finally(() => (this.#flushing = undefined)) as Promise<void>;
  }

  async submit(reports: readonly DailyReport[]): Promise<void> {
    await this.d.store.write(reports);
  }

  /** Once a day after the deadline hour: which puskesmas have not reported today. Returns it (null before the deadline). */
  async checkMissing(force = false): Promise<PuskesmasMissing | null> {
    const now = this.d.now?.() ?? new Date();
    const today = todayWib(now);
    const hourWib = (now.getUTCHours() + 7) % 24;
    if (!force && (hourWib < this.d.deadlineHour || this.#announced === today)) return null;
    const reports = await this.d.store.list(today, today);
    const m: PuskesmasMissing = { date: today, deadlineHour: this.d.deadlineHour, missing: missingFor(today, reports, PUSKESMAS_IDS), at: now.toISOString() };
    this.#announced = today;
    this.lastMissing = m;
    if (m.missing.length) {
      this.d.log.info({ date: today, missing: m.missing.length }, 'puskesmas reports missing');
      this.d.emitMissing(m);
    }
    return m;
  }

  /** Reports in a WIB date range (for trends and export). */
  reports(from: string, to: string, puskesmasId?: string): Promise<DailyReport[]> {
    return this.d.store.list(from, to, puskesmasId);
  }

  exportRows(reports: readonly DailyReport[]) {
    return reports.map((r) => {
      const p = puskesmasById(r.puskesmasId);
      return { ...r, puskesmasName: p?.name ?? r.puskesmasId, districtCode: p?.districtCode ?? '' };
    });
  }

  get list() {
    return PUSKESMAS;
  }
}
