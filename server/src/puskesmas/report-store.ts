/**
 * Puskesmas daily reports in InfluxDB, measurement `puskesmas_daily`: tags puskesmas + district_code,
 * one point per puskesmas per day at 00:00 WIB of that day, so a corrected report for the same day
 * overwrites the first (same series, same time) instead of adding to it.
 */
import Influx from 'influx';
import { puskesmasById, type DailyReport } from '@sk/protocol';

const M = 'puskesmas_daily';
/** Health reports are kept for good (the arrivals' default policy drops data after 400 days; the 2021 wave is older). */
const RP = 'reports_inf';
const q = (s: string) => Influx.escape.stringLit(s);
/** 00:00 WIB (UTC+7, no daylight saving) of a calendar date. */
export const wibMidnight = (date: string) => new Date(`${date}T00:00:00+07:00`);

export class ReportStore {
  readonly #influx: Influx.InfluxDB;
  constructor(url: string, private readonly database: string) {
    const u = new URL(url);
    this.#influx = new Influx.InfluxDB({ host: u.hostname, port: Number(u.port || 8086), protocol: u.protocol === 'https:' ? 'https' : 'http', database, username: u.username ? decodeURIComponent(u.username) : undefined, password: u.password ? decodeURIComponent(u.password) : undefined });
  }

  #ready: Promise<void> | undefined;

  /** Idempotent; retried on the next call after a failure (InfluxDB may start later than us). */
  ensure(): Promise<void> {
    this.#ready ??= (async () => {
      await this.#influx.createDatabase(this.database);
      const rps = await this.#influx.showRetentionPolicies(this.database);
      if (!rps.some((p) => p.name === RP)) await this.#influx.createRetentionPolicy(RP, { database: this.database, duration: 'INF', replication: 1, isDefault: false });
    })().catch((e) => {
      this.#ready = undefined;
      throw e;
    });
    return this.#ready;
  }

  async write(reports: readonly DailyReport[]): Promise<void> {
    await this.ensure();
    await this.#influx.writePoints(
      reports.map((r) => ({
        measurement: M,
        tags: { puskesmas: r.puskesmasId, district_code: puskesmasById(r.puskesmasId)!.districtCode },
        fields: { suspects: r.suspects, new_confirmed: r.newConfirmed, recoveries: r.recoveries, deaths: r.deaths, tests: r.tests },
        timestamp: wibMidnight(r.date),
      })),
      { precision: 's', retentionPolicy: RP },
    );
  }

  /** Reports with from ≤ date ≤ to (WIB dates), optionally one puskesmas, oldest first. */
  async list(from: string, to: string, puskesmasId?: string): Promise<DailyReport[]> {
    await this.ensure();
    const end = new Date(wibMidnight(to).getTime() + 86_400_000);
    const where = [`time >= ${q(wibMidnight(from).toISOString())}`, `time < ${q(end.toISOString())}`];
    if (puskesmasId) where.push(`puskesmas = ${q(puskesmasId)}`);
    const rows = await this.#influx.query<{ time: Date; puskesmas: string; suspects: number; new_confirmed: number; recoveries: number; deaths: number; tests: number }>(
      `SELECT suspects, new_confirmed, recoveries, deaths, tests, puskesmas FROM "${RP}"."${M}" WHERE ${where.join(' AND ')} ORDER BY time ASC`,
    );
    return rows.map((r) => ({
      puskesmasId: r.puskesmas,
      // Back from the instant to the WIB calendar date.
      date: new Date(r.time.getTime() + 7 * 3_600_000).toISOString().slice(0, 10),
      suspects: r.suspects, newConfirmed: r.new_confirmed, recoveries: r.recoveries, deaths: r.deaths, tests: r.tests,
    }));
  }
}
