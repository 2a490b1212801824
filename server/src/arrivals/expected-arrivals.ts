/**
 * Expected arrivals ("we know the name before the person arrives"), read from the database of record:
 * every stored scan IS its destination village's expected arrival (scans.eta, arrival_state, arrived_at,
 * arrived_by; the ETA is set at insert by `etaFor`, eta.ts). The village officer marks "Sudah tiba"
 * (one conditional UPDATE, so two officers or two servers marking at once make one mark); the overdue
 * sweep flips `expected` rows past ETA + `overdueAfterMs` to `overdue` in bounded batches and raises an
 * `arrival_overdue` alert for each in the same transaction. Nothing is held in memory per arrival.
 */
import { maskNik, type HealthStatus } from '@sk/protocol';
import type { Regions } from '@sk/protocol/regions';
import type { Selectable } from 'kysely';
import type { PublicUser } from '../auth/users.ts';
import type { Alerts } from '../alerts/alerts.ts';
import type { AlertRowFull } from '../alerts/alert-store.ts';
import type { RecordsDb } from '../db/database.ts';
import type { ScansTable } from '../db/schema.ts';
import type { Logger } from '../log.ts';

export type ExpectedStatus = 'expected' | 'arrived' | 'overdue';

export interface ExpectedArrival {
  scanId: string;
  checkpointId: string;
  scannedAt: string;
  eta: string;
  villageCode: string;
  villageName: string | null;
  districtCode: string;
  districtName: string | null;
  nikMasked: string;
  name: string;
  sex: 'L' | 'P';
  birthDate: string;
  originRegencyName: string | null;
  healthStatus: HealthStatus;
  status: ExpectedStatus;
  arrivedAt?: string;
  arrivedBy?: string;
  /** Set by the village officer: the home is not fit for self-isolation (a quarantine reason). */
  homeUnfit?: boolean;
}

export interface ExpectedArrivalsOptions {
  rdb: RecordsDb;
  alerts: Pick<Alerts, 'raiseIn' | 'clearKey' | 'announce'>;
  overdueAfterMs: number;
  regions?: Regions;
  now?: () => Date;
  log?: Logger;
  /** Rows flipped to overdue per transaction, and transactions per sweep at most (bounded work per tick). */
  sweepBatch?: number;
  sweepBatches?: number;
}

type ScanRow = Selectable<ScansTable>;

const COLUMNS = [
  'scan_id', 'checkpoint_id', 'scanned_at', 'eta', 'dest_village', 'dest_district', 'nik', 'name', 'sex', 'birth_date', 'origin_regency', 'health',
  'arrival_state', 'arrived_at', 'arrived_by', 'home_unfit',
] as const;

export class ExpectedArrivals {
  readonly #now: () => Date;
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<number> | undefined;

  constructor(private readonly o: ExpectedArrivalsOptions) {
    this.#now = o.now ?? (() => new Date());
  }

  start(checkEveryMs = 10_000): void {
    this.#timer = setInterval(() => {
      this.#sweeping ??= this.checkOverdue()
        .catch((e: Error) => (this.o.log?.warn({ err: e.message }, 'overdue sweep failed; tried again next time'), 0))
        .finally(() => (this.#sweeping = undefined));
    }, checkEveryMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#sweeping;
  }

  #toArrival(r: Pick<ScanRow, (typeof COLUMNS)[number]>): ExpectedArrival {
    const regions = this.o.regions;
    const village = regions?.village(r.dest_village);
    const a: ExpectedArrival = {
      scanId: r.scan_id, checkpointId: r.checkpoint_id, scannedAt: r.scanned_at, eta: r.eta, villageCode: r.dest_village,
      villageName: village?.name ?? null, districtCode: r.dest_district, districtName: village?.districtName || (regions?.district(r.dest_district) ?? null),
      nikMasked: r.nik ? maskNik(r.nik) : '', name: r.name ?? '', sex: r.sex === 'P' ? 'P' : 'L', birthDate: r.birth_date ?? '',
      originRegencyName: regions?.regency(r.origin_regency) ?? null, healthStatus: r.health as HealthStatus, status: r.arrival_state as ExpectedStatus,
    };
    if (r.arrived_at) a.arrivedAt = r.arrived_at;
    if (r.arrived_by) a.arrivedBy = r.arrived_by;
    if (r.home_unfit != null) a.homeUnfit = r.home_unfit === 1;
    return a;
  }

  async get(scanId: string): Promise<ExpectedArrival | undefined> {
    const r = await this.o.rdb.db.selectFrom('scans').select(COLUMNS).where('scan_id', '=', scanId).executeTakeFirst();
    return r && this.#toArrival(r);
  }

  /** May this user see (and act on) this arrival? Command all; village its village; checkpoint its checkpoint (read only). */
  visible(user: PublicUser, r: ExpectedArrival): boolean {
    if (user.role === 'command') return true;
    if (user.role === 'village') return r.villageCode === user.villageCode;
    return r.checkpointId === user.checkpointId;
  }

  /**
   * In the user's scope: by status soonest ETA first (what to expect next, what is most overdue); without
   * a status, newest ETA first.
   */
  async list(user: PublicUser, q: { status?: ExpectedStatus; village?: string; district?: string; limit: number }): Promise<ExpectedArrival[]> {
    let sel = this.o.rdb.db.selectFrom('scans').select(COLUMNS);
    const village = user.role === 'village' ? (user.villageCode ?? '-') : q.village;
    if (village) sel = sel.where('dest_village', '=', village);
    if (user.role === 'checkpoint') sel = sel.where('checkpoint_id', '=', user.checkpointId ?? '-');
    if (q.district) sel = sel.where('dest_district', '=', q.district);
    if (q.status) sel = sel.where('arrival_state', '=', q.status);
    const dir = q.status ? 'asc' : 'desc';
    const rows = await sel.orderBy('eta', dir).orderBy('scan_id', dir).limit(q.limit).execute();
    return rows.map((r) => this.#toArrival(r));
  }

  /** Marks arrived (idempotent: a second mark keeps the first); clears the overdue alert if one was raised. */
  async markArrived(scanId: string, by: string): Promise<ExpectedArrival | undefined> {
    const at = this.#now().toISOString();
    const cleared = await this.o.rdb.db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('scans')
        .set({ arrival_state: 'arrived', arrived_at: at, arrived_by: by })
        .where('scan_id', '=', scanId)
        .where('arrival_state', 'in', ['expected', 'overdue'])
        .returning('scan_id')
        .executeTakeFirst();
      return r ? await this.o.alerts.clearKey(`arrival_overdue|${scanId}`, by, trx) : undefined;
    });
    if (cleared) this.o.alerts.announce(cleared);
    return this.get(scanId);
  }

  async setHomeUnfit(scanId: string, unfit: boolean): Promise<void> {
    await this.o.rdb.db.updateTable('scans').set({ home_unfit: unfit ? 1 : 0 }).where('scan_id', '=', scanId).execute();
  }

  /**
   * Flips expected arrivals past ETA + overdueAfterMs to `overdue` and raises one alert each, in
   * batches (one transaction per batch), at most `sweepBatches` batches per call. Two servers sweeping
   * at once flip each row once: the UPDATE re-checks `arrival_state` under the row lock.
   */
  async checkOverdue(): Promise<number> {
    const cutoff = new Date(this.#now().getTime() - this.o.overdueAfterMs).toISOString();
    const size = this.o.sweepBatch ?? 500;
    let raised = 0;
    for (let b = 0; b < (this.o.sweepBatches ?? 20); b++) {
      const due = await this.o.rdb.db
        .selectFrom('scans')
        .select('scan_id')
        .where('arrival_state', '=', 'expected')
        .where('eta', '<', cutoff)
        .orderBy('eta')
        .limit(size)
        .execute();
      if (due.length === 0) break;
      const rows = await this.o.rdb.db.transaction().execute(async (trx) => {
        const flipped = await trx
          .updateTable('scans')
          .set({ arrival_state: 'overdue' })
          .where('scan_id', 'in', due.map((d) => d.scan_id))
          .where('arrival_state', '=', 'expected')
          .returning(['scan_id', 'checkpoint_id', 'dest_village', 'eta'])
          .execute();
        const out: AlertRowFull[] = [];
        for (const r of flipped) {
          const name = this.o.regions?.village(r.dest_village)?.name ?? r.dest_village;
          out.push(
            await this.o.alerts.raiseIn(trx, {
              rule: 'arrival_overdue', key: `arrival_overdue|${r.scan_id}`, subject: r.scan_id, scanId: r.scan_id,
              checkpointId: r.checkpoint_id, villageCode: r.dest_village, severity: 'minor',
              title: 'Belum tiba', text: `belum tiba di ${name}; perkiraan ${r.eta}`,
            }),
          );
        }
        return out;
      });
      for (const r of rows) this.o.alerts.announce(r);
      raised += rows.length;
      if (due.length < size) break;
    }
    return raised;
  }
}
