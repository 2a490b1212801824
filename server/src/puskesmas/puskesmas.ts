/**
 * The puskesmas feature: daily reports in (HTTP, MQTT), weekly trends and export out, and a
 * missing-report notice to the command centre once the deadline hour (WIB) has passed.
 */
import { PUSKESMAS, PUSKESMAS_IDS, puskesmasById, todayWib, type DailyReport, type PuskesmasMissing } from '@sk/protocol';
import type { Logger } from '../log.ts';
import type { ReportStore } from './report-store.ts';
import { missingFor } from './trends.ts';

export interface PuskesmasDeps {
  store: ReportStore;
  log: Logger;
  deadlineHour: number;
  emitMissing(m: PuskesmasMissing): void;
  now?: () => Date;
}

export class PuskesmasReports {
  #timer: NodeJS.Timeout | undefined;
  #announced = '';
  lastMissing: PuskesmasMissing | null = null;
  constructor(private readonly d: PuskesmasDeps) {}

  start(checkEveryMs = 60_000): void {
    this.#timer = setInterval(() => void this.checkMissing().catch(() => undefined), checkEveryMs);
  }

  stop(): void {
    clearInterval(this.#timer);
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
