/**
 * Expected arrivals ("we know the name before the person arrives"): every accepted scan becomes an
 * expected arrival for its destination village with an ETA; the village officer marks it arrived; one
 * not arrived `overdueAfterMs` after its ETA raises an `arrival_overdue` alert (village + command).
 * State: in memory, durable in a journal (DATA_DIR/server/expected-arrivals.jsonl), bounded by count
 * and age. Idempotent by scanId (a replayed scan does not reset an arrival already marked).
 */
import type { ArrivalEvent, HealthStatus } from '@sk/protocol';
import type { PublicUser } from '../auth/users.ts';
import type { AlertCandidate } from '../alerts/rules.ts';
import { Journal, type JournalCodec } from './journal.ts';
import { travelMinutes, type TravelTimes } from './eta.ts';

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
  arrivedAt?: string;
  arrivedBy?: string;
  /** When the overdue alert was raised. */
  overdueAt?: string;
  /** Set by the village officer: the home is not fit for self-isolation (a quarantine reason). */
  homeUnfit?: boolean;
}

/**
 * The journal's compact form of an expected arrival (journal.ts `codec`): its values in this order,
 * version first; the optional state last, trailing unset values left out. One is written per accepted
 * scan, so its size is the journal's cost (issue 5): ~40 % fewer bytes than the object.
 */
export const EXPECTED_CODEC: JournalCodec<ExpectedArrival> = {
  encode(r) {
    const v: unknown[] = [1, r.scanId, r.checkpointId, r.scannedAt, r.eta, r.villageCode, r.villageName, r.districtCode, r.districtName,
      r.nikMasked, r.name, r.sex, r.birthDate, r.originRegencyName, r.healthStatus, r.arrivedAt ?? null, r.arrivedBy ?? null, r.overdueAt ?? null, r.homeUnfit ?? null];
    while (v[v.length - 1] === null && v.length > 15) v.pop();
    return v;
  },
  decode(v) {
    if (v[0] !== 1) return undefined; // a later layout: not guessed at
    const r: ExpectedArrival = {
      scanId: v[1] as string, checkpointId: v[2] as string, scannedAt: v[3] as string, eta: v[4] as string,
      villageCode: v[5] as string, villageName: v[6] as string | null, districtCode: v[7] as string, districtName: v[8] as string | null,
      nikMasked: v[9] as string, name: v[10] as string, sex: v[11] as 'L' | 'P', birthDate: v[12] as string,
      originRegencyName: v[13] as string | null, healthStatus: v[14] as HealthStatus,
    };
    if (v[15] != null) r.arrivedAt = v[15] as string;
    if (v[16] != null) r.arrivedBy = v[16] as string;
    if (v[17] != null) r.overdueAt = v[17] as string;
    if (v[18] != null) r.homeUnfit = v[18] as boolean;
    return r;
  },
};

export interface ExpectedArrivalsOptions {
  travelTimes: TravelTimes;
  overdueAfterMs: number;
  now?: () => Date;
  journalFile?: string;
  /** Most arrivals kept (oldest dropped first) and how long after the ETA they are kept. */
  maxKept?: number;
  keepMs?: number;
  raise(c: AlertCandidate): void;
  clearAlert(key: string, by: string): void;
}

export class ExpectedArrivals {
  readonly #byScan = new Map<string, ExpectedArrival>();
  readonly #journal: Journal<ExpectedArrival> | undefined;
  readonly #now: () => Date;
  /**
   * Per `checkpoint>district` route (at most 4 × 25): its travel minutes, computed once, and the last
   * ETA text with the second it was made for. ETAs are whole seconds (a travel estimate in minutes has
   * no milliseconds), so the scans of one route in one second share one text: formatting an ISO time
   * per scan showed in the e2e profile (issue 5).
   */
  readonly #routes = new Map<string, { minutes: number; second: number; eta: string }>();
  #timer: NodeJS.Timeout | undefined;
  /**
   * Open arrivals by the minute their overdue deadline (ETA + overdueAfterMs) falls in: the periodic
   * check looks only at minutes that have come, not at all 200k arrivals (a full walk every 10 s took
   * tens of ms of the event loop at that size, which showed up as live-latency spikes).
   */
  readonly #due = new Map<number, string[]>();

  constructor(private readonly o: ExpectedArrivalsOptions) {
    this.#now = o.now ?? (() => new Date());
    this.#journal = o.journalFile ? new Journal<ExpectedArrival>(o.journalFile, (r) => r.scanId, { codec: EXPECTED_CODEC }) : undefined;
  }

  start(checkEveryMs = 10_000): void {
    const horizon = this.#now().getTime() - (this.o.keepMs ?? 7 * 86_400_000);
    for (const r of this.#journal?.load((r) => Date.parse(r.eta) >= horizon) ?? []) {
      this.#byScan.set(r.scanId, r);
      this.#schedule(r);
    }
    this.#timer = setInterval(() => this.checkOverdue(), checkEveryMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#journal?.close();
  }

  /** From an accepted scan (the live ArrivalEvent carries everything needed, NIK already masked). */
  add(e: ArrivalEvent): void {
    if (this.#byScan.has(e.scanId)) return;
    const key = `${e.checkpointId}>${e.destinationDistrictCode}`;
    let route = this.#routes.get(key);
    if (!route) this.#routes.set(key, (route = { minutes: travelMinutes(e.checkpointId, e.destinationDistrictCode, this.o.travelTimes), second: Number.NaN, eta: '' }));
    // From the later of the device's and the server's clock: a late-delivered scan is not overdue at once.
    const second = Math.floor(Math.max(Date.parse(e.scannedAt), this.#now().getTime()) / 1000);
    const etaMs = second * 1000 + route.minutes * 60_000;
    if (route.second !== second) {
      route.second = second;
      route.eta = new Date(etaMs).toISOString();
    }
    const r: ExpectedArrival = {
      scanId: e.scanId, checkpointId: e.checkpointId, scannedAt: e.scannedAt,
      eta: route.eta,
      villageCode: e.destinationVillageCode, villageName: e.destinationVillageName,
      districtCode: e.destinationDistrictCode, districtName: e.destinationDistrictName,
      nikMasked: e.nikMasked, name: e.name, sex: e.sex, birthDate: e.birthDate,
      originRegencyName: e.originRegencyName, healthStatus: e.healthStatus,
    };
    this.#byScan.set(r.scanId, r);
    this.#schedule(r, etaMs);
    this.#save(r);
    if (this.#byScan.size > (this.o.maxKept ?? 200_000)) this.#bound();
  }

  #schedule(r: ExpectedArrival, etaMs = Date.parse(r.eta)): void {
    if (r.arrivedAt || r.overdueAt) return;
    const minute = Math.floor((etaMs + this.o.overdueAfterMs) / 60_000);
    const list = this.#due.get(minute);
    if (list) list.push(r.scanId);
    else this.#due.set(minute, [r.scanId]);
  }

  get(scanId: string): ExpectedArrival | undefined {
    return this.#byScan.get(scanId);
  }

  statusOf(r: ExpectedArrival): ExpectedStatus {
    if (r.arrivedAt) return 'arrived';
    return r.overdueAt || this.#now().getTime() > Date.parse(r.eta) + this.o.overdueAfterMs ? 'overdue' : 'expected';
  }

  /** May this user see (and act on) this arrival? Command all; village its village; checkpoint its checkpoint (read only). */
  visible(user: PublicUser, r: ExpectedArrival): boolean {
    if (user.role === 'command') return true;
    if (user.role === 'village') return r.villageCode === user.villageCode;
    return r.checkpointId === user.checkpointId;
  }

  list(user: PublicUser, q: { status?: ExpectedStatus; village?: string; district?: string; limit: number }): (ExpectedArrival & { status: ExpectedStatus })[] {
    const out: (ExpectedArrival & { status: ExpectedStatus })[] = [];
    for (const r of this.#byScan.values()) {
      if (!this.visible(user, r)) continue;
      if (q.village && r.villageCode !== q.village) continue;
      if (q.district && r.districtCode !== q.district) continue;
      const status = this.statusOf(r);
      if (q.status && status !== q.status) continue;
      out.push({ ...r, status });
    }
    return out.sort((a, b) => a.eta.localeCompare(b.eta)).slice(0, q.limit);
  }

  /** Marks arrived (idempotent); clears the overdue alert if one was raised. */
  markArrived(scanId: string, by: string): ExpectedArrival | undefined {
    const r = this.#byScan.get(scanId);
    if (!r || r.arrivedAt) return r;
    r.arrivedAt = this.#now().toISOString();
    r.arrivedBy = by;
    this.#save(r);
    if (r.overdueAt) this.o.clearAlert(`arrival_overdue|${scanId}`, by);
    return r;
  }

  setHomeUnfit(scanId: string, unfit: boolean): void {
    const r = this.#byScan.get(scanId);
    if (!r || r.homeUnfit === unfit) return;
    r.homeUnfit = unfit;
    this.#save(r);
  }

  /** Raises one overdue alert per arrival not marked in time (run by the timer; callable in tests). */
  checkOverdue(): number {
    const now = this.#now().getTime();
    const nowMinute = Math.floor(now / 60_000);
    let raised = 0;
    const due: ExpectedArrival[] = [];
    for (const [minute, ids] of this.#due) {
      if (minute > nowMinute) continue;
      this.#due.delete(minute);
      for (const id of ids) {
        const r = this.#byScan.get(id);
        if (r) due.push(r);
      }
    }
    for (const r of due) {
      if (r.arrivedAt || r.overdueAt) continue;
      if (now <= Date.parse(r.eta) + this.o.overdueAfterMs) {
        this.#schedule(r); // its minute has begun, the deadline not yet passed: look again next time
        continue;
      }
      r.overdueAt = new Date(now).toISOString();
      this.#save(r);
      this.o.raise({
        rule: 'arrival_overdue', key: `arrival_overdue|${r.scanId}`, subject: r.scanId, scanId: r.scanId,
        checkpointId: r.checkpointId, villageCode: r.villageCode, severity: 'minor',
        title: 'Belum tiba', text: `belum tiba di ${r.villageName ?? r.villageCode}; perkiraan ${r.eta}`,
      });
      raised++;
    }
    return raised;
  }

  #save(r: ExpectedArrival): void {
    if (!this.#journal) return;
    this.#journal.append(r);
    this.#journal.compactIfLarge(this.#all);
  }

  /** Made once, not per save (a closure per scan was garbage on the hot path). */
  readonly #all = (): ExpectedArrival[] => [...this.#byScan.values()];

  /** Bounded memory: drop the oldest (insertion order) past `maxKept`. */
  #bound(): void {
    const max = this.o.maxKept ?? 200_000;
    for (const k of this.#byScan.keys()) {
      if (this.#byScan.size <= max) break;
      this.#byScan.delete(k);
    }
  }
}
