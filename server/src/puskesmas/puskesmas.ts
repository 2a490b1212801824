/**
 * The puskesmas feature: daily reports in (HTTP, MQTT), weekly trends and export out, and a
 * missing-report notice to the command centre once the deadline hour (WIB) has passed.
 *
 * Every report is first recorded in the database of record (report-rows.ts), then written to
 * InfluxDB (the numeric series the trends and Grafana read); a write that fails leaves it pending
 * for the retry, so nothing a device or a form was told "received" is lost to an InfluxDB outage or
 * a crash. In cluster mode every instance retries the same pending rows: a report is the same point
 * for the same (puskesmas, date), so two writes of it are one.
 */
import { PUSKESMAS, PUSKESMAS_IDS, puskesmasById, todayWib, type DailyReport, type PuskesmasMissing } from '@sk/protocol';
import type { RecordsDb } from '../db/database.ts';
import type { Logger } from '../log.ts';
import type { ReportStore } from './report-store.ts';
import { countPending, markStored, pendingReports, recordReports, reportedOn } from './report-rows.ts';

export interface PuskesmasDeps {
  store: Pick<ReportStore, 'write' | 'list'>;
  rdb: RecordsDb;
  log: Logger;
  deadlineHour: number;
  emitMissing(m: PuskesmasMissing): void;
  now?: () => Date;
}

export class PuskesmasReports {
  #timer: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;
  /** Writes of pending reports run one at a time, in this chain. */
  #writing: Promise<number> = Promise.resolve(0);
  #queued = false;
  #announced = '';
  lastMissing: PuskesmasMissing | null = null;
  constructor(private readonly d: PuskesmasDeps) {}

  async start(checkEveryMs = 60_000, retryEveryMs = 2_000): Promise<void> {
    const pending = await countPending(this.d.rdb);
    if (pending) this.d.log.info({ pending }, 'puskesmas reports pending from the last run');
    this.flushPending();
    this.#timer = setInterval(() => void this.checkMissing().catch(() => undefined), checkEveryMs);
    this.#retry = setInterval(() => this.flushPending(), retryEveryMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    clearInterval(this.#retry);
    await this.#writing.catch(() => 0);
  }

  /** Reports received but not yet in InfluxDB. */
  pending(): Promise<number> {
    return countPending(this.d.rdb);
  }

  /**
   * From a device (MQTT): in the database when this resolves (the caller acknowledges the message only
   * then), stored in InfluxDB now or on a later retry.
   */
  async accept(reports: readonly DailyReport[]): Promise<void> {
    await recordReports(this.d.rdb, reports, null, (this.d.now?.() ?? new Date()).toISOString());
    this.flushPending();
  }

  /** Starts a write of what is pending unless one is already queued; a failure keeps them for the next retry. */
  flushPending(): void {
    void this.#write().catch(() => 0);
  }

  /** Queues one write of everything pending after the running one; resolves with how many it stored. */
  #write(): Promise<number> {
    if (this.#queued) return this.#writing;
    this.#queued = true;
    this.#writing = this.#writing
      .catch(() => 0)
      .then(async () => {
        this.#queued = false;
        const rows = await pendingReports(this.d.rdb);
        if (rows.length === 0) return 0;
        try {
          await this.d.store.write(rows.map((r) => r.report));
        } catch (e) {
          this.d.log.warn({ err: (e as Error).message, pending: rows.length }, 'puskesmas reports kept pending; InfluxDB unavailable');
          throw e;
        }
        await markStored(this.d.rdb, rows);
        this.d.log.debug({ stored: rows.length }, 'pending puskesmas reports stored');
        return rows.length;
      });
    return this.#writing;
  }

  /**
   * From the command centre's form or upload: recorded when this resolves; `stored` says whether
   * InfluxDB has them already (else the retry writes them).
   */
  async submit(reports: readonly DailyReport[], by?: string): Promise<{ stored: boolean }> {
    await recordReports(this.d.rdb, reports, by ?? null, (this.d.now?.() ?? new Date()).toISOString());
    try {
      await this.#write();
      return { stored: true };
    } catch {
      return { stored: false };
    }
  }

  /** Once a day after the deadline hour: which puskesmas have not reported today. Returns it (null before the deadline). */
  async checkMissing(force = false): Promise<PuskesmasMissing | null> {
    const now = this.d.now?.() ?? new Date();
    const today = todayWib(now);
    const hourWib = (now.getUTCHours() + 7) % 24;
    if (!force && (hourWib < this.d.deadlineHour || this.#announced === today)) return null;
    // From the database: a report received while InfluxDB is down has arrived all the same.
    const have = await reportedOn(this.d.rdb, today);
    const m: PuskesmasMissing = { date: today, deadlineHour: this.d.deadlineHour, missing: PUSKESMAS_IDS.filter((id) => !have.has(id)), at: now.toISOString() };
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
