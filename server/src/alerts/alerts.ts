/**
 * The alerts feature on the database of record (issues 15, 17). Scans come in per committed batch
 * (`onScans`, the NEW scans only): each traveller is triaged (triage.ts), and the batch's follow-ups
 * and alerts are written in ONE transaction, so a fever or positive traveller's alert and follow-up are
 * in the database together or not at all. A scan is claimed in `follow_up_scans` first: a redelivered
 * batch, or the start-up sweep that covers scans a crash left untriaged, changes nothing twice.
 *
 * Device offline and backlog are one open alert per device, a surge one per checkpoint, overdue
 * follow-ups one per district (puskesmas area): a repeat bumps the count. The command centre answers only the rules in
 * `commandRules`; for the rest it sees counts (`summary`). Every change goes to `emit` after its commit
 * (the live channel's rooms, which the Redis adapter carries to every server in cluster mode).
 *
 * State in memory is only what a restart rebuilds from the database: which device alerts are open, the
 * last minutes' arrivals per checkpoint (for the surge rule), the overdue counts per district.
 */
import { createHmac } from 'node:crypto';
import type { AlertEvent, AlertRule, AlertSummary, DeviceStatus, FollowUpEvent, FollowUpState, Scan } from '@sk/protocol';
import type { Kysely, Transaction } from 'kysely';
import type { Regions } from '@sk/protocol/regions';
import type { PublicUser } from '../auth/users.ts';
import type { RecordsDb } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import { rowToScan } from '../db/scan-rows.ts';
import type { Logger } from '../log.ts';
import {
  acknowledgeAlert, clearAlert, clearAlertKey, getAlert, listAlerts, openAlertCounts, openKeys, raiseAlert, rowToAlert,
  type AlertRowFull, type AlertScope,
} from './alert-store.ts';
import { followUpCounts, getFollowUp, listFollowUps, moveFollowUp, overdueByDistrict, puskesmasOf, rowToFollowUp, uncoveredScans, type FollowUpQuery } from './follow-up-store.ts';
import { backlogCheck, deviceAlert, deviceOffline, surgeAlert, type AlertCandidate, type BacklogOptions, type SurgeOptions } from './rules.ts';
import { DEFAULT_COMMAND_RULES, TRIAGE_DEFAULTS, triage, type TriageOptions } from './triage.ts';
import { writeTriage, type TriageWork } from './triage-write.ts';
import { SurgeCounter } from './surge-counter.ts';

export interface AlertsOptions extends Partial<Pick<TriageOptions, 'symptoms' | 'watchOrigin'>> {
  rdb: RecordsDb;
  feverC: number;
  /** Province (`51`) or regency (`35.09`) codes of the traveller's NIK origin. */
  watchOrigins: readonly string[];
  offlineAfterMs: number;
  now?: () => Date;
  log?: Logger;
  /** District names for the words of the grouped alerts. */
  regions?: Pick<Regions, 'district'>;
  /** Secret for the person key (HMAC of the NIK), so the key cannot be brute-forced back to a NIK. */
  personSecret?: Buffer;
  /** A repeat of an open alert within this window folds into it (default 6 h; ALERT_DEDUP_MIN). */
  dedupWindowMs?: number;
  surge?: Partial<SurgeOptions>;
  backlog?: Partial<BacklogOptions>;
  /** Rules the command centre answers itself (ALERT_COMMAND_RULES). */
  commandRules?: readonly AlertRule[];
  /** Minutes to first contact: fever/positive (FOLLOW_UP_URGENT_MIN, 120) and the rest (FOLLOW_UP_DUE_MIN, 1440). */
  followUpUrgentMin?: number;
  followUpDueMin?: number;
  emit?: (a: AlertEvent) => void;
  emitFollowUp?: (f: FollowUpEvent) => void;
  emitSummary?: (s: AlertSummary) => void;
}

/** Defaults, mirrored in config.ts (SURGE_WINDOW_MIN, SURGE_BASELINE_MIN, SURGE_FACTOR, SURGE_MIN_COUNT). */
export const SURGE_DEFAULTS: SurgeOptions = { windowMin: 10, baselineMin: 60, factor: 3, minCount: 50 };
/** Default de-duplication window, mirrored in config.ts (ALERT_DEDUP_MIN = 360). */
export const DEDUP_WINDOW_MS = 6 * 3600_000;
const BACKLOG: BacklogOptions = { minDepth: 100, risingReports: 3 };
/** Untriaged scans (a crash between a batch's commit and its triage) are looked for this far back. */
const RECOVER_HORIZON_MS = 3 * 86_400_000;
/** Scans per triage transaction at most (a backlog after a restart is taken in slices). */
const MAX_BATCH = 5000;

type Db = Kysely<Database>;
interface PendingBatch { scans: readonly Scan[]; done: () => void; fail: (e: unknown) => void }

/** PostgreSQL's "try again": deadlock detected, serialization failure. */
const retryable = (e: unknown) => ['40P01', '40001'].includes((e as { code?: string }).code ?? '');

export class Alerts {
  readonly #o: AlertsOptions;
  readonly #db: Db;
  readonly #now: () => Date;
  readonly #triage: TriageOptions;
  readonly #surge: SurgeOptions;
  readonly #backlog: BacklogOptions;
  readonly #command: ReadonlySet<string>;
  readonly #devices = new Map<string, DeviceStatus>();
  readonly #depths = new Map<string, number[]>();
  /** Open device alert keys (`device_offline|cp/dev`), rebuilt from the database at start. */
  #openDeviceKeys = new Set<string>();
  /** Arrivals per checkpoint per minute for the surge rule; rebuilt from scans at start. */
  readonly #surgeCounter: SurgeCounter;
  /** Open follow_up_overdue alerts: district → count shown. */
  #overdueShown = new Map<string, number>();
  #pending: PendingBatch[] = [];
  #draining: Promise<void> | undefined;
  /** Device and sweep work, in order. */
  #chain: Promise<unknown> = Promise.resolve();
  #timers: NodeJS.Timeout[] = [];
  #summaryDirty = true;
  #stopped = false;
  /** A triage transaction failed (database down): the sweep looks for what it left uncovered. */
  #untriaged = false;

  constructor(o: AlertsOptions) {
    this.#o = o;
    this.#db = o.rdb.db;
    this.#now = o.now ?? (() => new Date());
    this.#triage = { feverC: o.feverC, watchOrigins: o.watchOrigins, symptoms: o.symptoms ?? TRIAGE_DEFAULTS.symptoms, watchOrigin: o.watchOrigin ?? TRIAGE_DEFAULTS.watchOrigin };
    this.#surge = { ...SURGE_DEFAULTS, ...o.surge };
    this.#surgeCounter = new SurgeCounter(this.#surge);
    this.#backlog = { ...BACKLOG, ...o.backlog };
    this.#command = new Set(o.commandRules ?? DEFAULT_COMMAND_RULES);
  }

  /** Who answers an alert of this rule. */
  answerBy(rule: AlertRule): 'command' | 'village' {
    return this.#command.has(rule) ? 'command' : 'village';
  }

  /** Rebuilds memory from the database, covers scans a crash left untriaged, then starts the timers. */
  async start(o: { silentCheckMs?: number; sweepMs?: number } = {}): Promise<void> {
    this.#openDeviceKeys = await openKeys(this.#db, ['device_offline', 'device_backlog']);
    const overdue = await this.#db.selectFrom('alerts').select(['subject_key', 'count']).where('rule', '=', 'follow_up_overdue').where('open_key', 'is not', null).execute();
    this.#overdueShown = new Map(overdue.map((r) => [r.subject_key, Number(r.count)]));
    await this.#surgeCounter.rebuild(this.#db, this.#now().getTime());
    await this.recover();
    this.#timers.push(setInterval(() => this.#serial(() => this.#checkSilent()), o.silentCheckMs ?? 5000));
    this.#timers.push(setInterval(() => this.#serial(() => this.sweep()), o.sweepMs ?? 10_000));
    this.#timers.push(setInterval(() => void this.#emitSummary(), 1000));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    await this.flush();
    await this.#chain.catch(() => {});
  }

  /** Resolves when every scan handed in so far is triaged (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining.catch(() => {});
  }

  // ---------------------------------------------------------------- scans

  /**
   * The NEW scans of one committed batch (never a redelivered one): triaged in one transaction.
   * Resolves when their follow-ups and alerts are committed.
   */
  onScans(scans: readonly Scan[]): Promise<void> {
    // Stopped: the next start's sweep covers them (nothing is lost by not triaging now).
    if (scans.length === 0 || this.#stopped) return Promise.resolve();
    this.#countArrivals(scans);
    const p = new Promise<void>((done, fail) => this.#pending.push({ scans, done, fail }));
    this.#kick();
    return p;
  }

  #kick(): void {
    if (this.#draining) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      // Handed in after the loop's last look (a caller resumed by the last batch's resolution).
      if (this.#pending.length) this.#kick();
    });
  }

  /** One scan (batched with the others of the same turn). Errors are logged; the start-up sweep covers what failed. */
  onScan(scan: Scan): void {
    this.onScans([scan]).catch(() => {});
  }

  async #drain(): Promise<void> {
    // Let the rest of this turn's scans join the batch.
    await new Promise((r) => setImmediate(r));
    while (this.#pending.length) {
      const take: PendingBatch[] = [];
      let n = 0;
      while (this.#pending.length && (n === 0 || n + this.#pending[0]!.scans.length <= MAX_BATCH)) {
        const p = this.#pending.shift()!;
        take.push(p);
        n += p.scans.length;
      }
      const scans = take.length === 1 ? take[0]!.scans : take.flatMap((p) => p.scans);
      try {
        await this.#triageBatch(scans);
        for (const p of take) p.done();
      } catch (e) {
        this.#untriaged = true;
        this.#o.log?.warn({ err: (e as Error).message, scans: scans.length }, 'triage failed; the scans are covered by the next sweep');
        for (const p of take) p.fail(e);
      }
    }
  }

  /** The person key: an HMAC of the NIK (never the NIK itself), or the scanId without a secret. */
  readonly #person = (scan: Scan): string => {
    const secret = this.#o.personSecret;
    return secret ? createHmac('sha256', secret).update(scan.nik).digest('base64url').slice(0, 22) : scan.scanId;
  };

  #memoScan: Scan | undefined;
  #memoKey = '';
  /** `#person`, computed once per scan even when triage and the batch both ask (an HMAC each). */
  readonly #personOnce = (scan: Scan): string => {
    if (scan !== this.#memoScan) (this.#memoScan = scan), (this.#memoKey = this.#person(scan));
    return this.#memoKey;
  };

  /** One transaction per batch (triage-write.ts), then the emits of what it committed. */
  async #triageBatch(scans: readonly Scan[]): Promise<void> {
    const work: TriageWork[] = [];
    for (const scan of scans) {
      const t = triage(scan, this.#triage, this.#personOnce);
      if (t.followUp) work.push({ scan, t, person: this.#personOnce(scan) });
    }
    if (work.length === 0) return;
    const now = this.#now();
    const at = now.toISOString();
    const foldAfter = new Date(now.getTime() - (this.#o.dedupWindowMs ?? DEDUP_WINDOW_MS)).toISOString();
    const urgentDue = new Date(now.getTime() + (this.#o.followUpUrgentMin ?? 120) * 60_000).toISOString();
    const otherDue = new Date(now.getTime() + (this.#o.followUpDueMin ?? 1440) * 60_000).toISOString();
    const { alerts, followUps } = await this.#transaction((trx) => writeTriage(trx, work, { at, foldAfter, urgentDue, otherDue }, (rule) => this.answerBy(rule)));
    const fuOfAlert = new Map(followUps.filter((f) => f.alert_id !== null).map((f) => [Number(f.alert_id), Number(f.id)]));
    for (const r of alerts) this.#o.emit?.(rowToAlert({ ...r, follow_up_id: fuOfAlert.get(Number(r.id)) ?? null }));
    for (const f of followUps) this.#o.emitFollowUp?.(rowToFollowUp(f, at));
    this.#summaryDirty = true;
  }

  /** One transaction, tried again on PostgreSQL's deadlock or serialization failure (two servers on one row). */
  async #transaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#db.transaction().execute(fn);
      } catch (e) {
        if (attempt >= 5 || !retryable(e)) throw e;
      }
    }
  }

  /**
   * Covers fever, positive (and, when they get follow-ups, symptomatic) scans that no follow-up covers:
   * a crash between a batch's commit and its triage (at start), or a failed triage transaction (the
   * sweep after one). Bounded: the last days, in slices.
   */
  async recover(): Promise<number> {
    const healths = ['positif', 'demam', ...(this.#triage.symptoms === 'off' ? [] : ['gejala'])];
    const since = new Date(this.#now().getTime() - RECOVER_HORIZON_MS).toISOString();
    let total = 0;
    for (let round = 0; round < 200; round++) {
      const rows = await uncoveredScans(this.#db, since, healths, 2000);
      if (rows.length === 0) break;
      await this.#triageBatch(rows.map(rowToScan));
      total += rows.length;
      if (rows.length < 2000) break;
    }
    if (total) this.#o.log?.info({ scans: total }, 'untriaged scans covered');
    return total;
  }

  // ---------------------------------------------------------------- surge

  #countArrivals(scans: readonly Scan[]): void {
    for (const [cp, surge] of this.#surgeCounter.count(scans.map((s) => s.checkpointId), this.#now().getTime())) {
      this.#serial(() => this.raise(surgeAlert(cp, surge, this.#surge)));
    }
  }

  // ---------------------------------------------------------------- devices

  onStatus(s: DeviceStatus): void {
    const id = `${s.checkpointId}/${s.deviceId}`;
    this.#devices.set(id, s);
    this.#serial(() => this.#applyOffline(s));
    if (s.outbox) {
      const depths = this.#depths.get(id) ?? [];
      depths.push(s.outbox.depth);
      if (depths.length > 10) depths.shift();
      this.#depths.set(id, depths);
      const r = backlogCheck(s, depths, this.#backlog);
      const key = `device_backlog|${id}`;
      if (r === 'clear') {
        if (this.#openDeviceKeys.has(key)) this.#serial(() => this.clearKey(key, 'system'));
      } else if (r) this.#serial(() => this.raise(r));
    }
  }

  async #applyOffline(s: DeviceStatus): Promise<void> {
    const key = `device_offline|${s.checkpointId}/${s.deviceId}`;
    if (deviceOffline(s, this.#now().getTime(), this.#o.offlineAfterMs)) {
      if (!this.#openDeviceKeys.has(key)) await this.raise(deviceAlert(s));
    } else if (this.#openDeviceKeys.has(key)) await this.clearKey(key, 'system');
  }

  async #checkSilent(): Promise<void> {
    for (const s of this.#devices.values()) await this.#applyOffline(s);
  }

  /** Runs device/sweep work one after another; a failure is logged, never thrown into a timer. */
  #serial(fn: () => Promise<unknown>): void {
    if (this.#stopped) return;
    this.#chain = this.#chain.then(fn).catch((e: Error) => this.#o.log?.warn({ err: e.message }, 'alert work failed'));
  }

  // ---------------------------------------------------------------- raise / clear / ack

  #raiseOptions(rule: AlertRule, extra: { count?: number } = {}) {
    const now = this.#now();
    return { at: now.toISOString(), foldAfter: new Date(now.getTime() - (this.#o.dedupWindowMs ?? DEDUP_WINDOW_MS)).toISOString(), answerBy: this.answerBy(rule), ...extra };
  }

  /** Raises (or folds into the open alert of its key) in its own transaction; emitted after commit. */
  async raise(c: AlertCandidate, extra: { count?: number } = {}): Promise<AlertEvent> {
    const { row } = await raiseAlert(this.#db, c, this.#raiseOptions(c.rule, extra));
    this.#remember(row);
    return this.announce(row);
  }

  /** Raises inside the caller's transaction (an overdue mark, a quarantine placement); `announce` the row after commit. */
  async raiseIn(trx: Db, c: AlertCandidate): Promise<AlertRowFull> {
    return (await raiseAlert(trx, c, this.#raiseOptions(c.rule))).row;
  }

  async clearKey(key: string, by: string, trx: Db = this.#db): Promise<AlertRowFull | undefined> {
    const row = await clearAlertKey(trx, key, by, this.#now().toISOString());
    if (row && trx === this.#db) this.announce(row);
    if (row) this.#remember(row);
    return row;
  }

  /** Emits a committed change. */
  announce(row: AlertRowFull): AlertEvent {
    const a = rowToAlert(row);
    this.#summaryDirty = true;
    this.#o.emit?.(a);
    return a;
  }

  #remember(row: AlertRowFull): void {
    if (row.rule !== 'device_offline' && row.rule !== 'device_backlog') return;
    const key = `${row.rule}|${row.subject_key}`;
    if (row.state === 'cleared') this.#openDeviceKeys.delete(key);
    else this.#openDeviceKeys.add(key);
  }

  async acknowledge(id: number, by: string): Promise<AlertEvent | undefined> {
    const { row, changed } = await acknowledgeAlert(this.#db, id, by, this.#now().toISOString());
    if (!row) return undefined;
    return changed ? this.announce(row) : rowToAlert(row);
  }

  async clear(id: number, by: string): Promise<AlertEvent | undefined> {
    const { row, changed } = await clearAlert(this.#db, id, by, this.#now().toISOString());
    if (!row) return undefined;
    if (changed) this.#remember(row);
    return changed ? this.announce(row) : rowToAlert(row);
  }

  get(id: number): Promise<AlertEvent | undefined> {
    return getAlert(this.#db, id);
  }

  /** What a user may see: command all; a village officer its village's alerts; a checkpoint officer its checkpoint's. */
  visibleTo(user: PublicUser): (a: AlertEvent) => boolean {
    if (user.role === 'command') return () => true;
    if (user.role === 'village') return (a) => a.villageCode !== undefined && a.villageCode === user.villageCode;
    return (a) => a.checkpointId !== undefined && a.checkpointId === user.checkpointId;
  }

  scopeOf(user: PublicUser): AlertScope {
    if (user.role === 'command') return {};
    if (user.role === 'village') return { villageCode: user.villageCode ?? '-' };
    return { checkpointId: user.checkpointId ?? '-' };
  }

  /** Newest first, in the user's scope. */
  list(user: PublicUser, q: { openOnly: boolean; answerBy?: 'command' | 'village'; rule?: AlertRule; limit: number }): Promise<AlertEvent[]> {
    return listAlerts(this.#db, { ...q, ...this.scopeOf(user) });
  }

  /** The command centre's glance: what it must answer, counts of the rest, the follow-ups (overdue ones first of all). */
  async summary(user: PublicUser): Promise<AlertSummary> {
    const scope = this.scopeOf(user);
    const rows = await openAlertCounts(this.#db, scope);
    const openByRule: Record<string, number> = {};
    let needsCommand = 0;
    for (const r of rows) {
      openByRule[r.rule] = (openByRule[r.rule] ?? 0) + r.n;
      if ((r.answerBy ?? this.answerBy(r.rule as AlertRule)) === 'command') needsCommand += r.n;
    }
    const followUps = user.role === 'checkpoint' ? { open: 0, overdue: 0, byState: {} } : await followUpCounts(this.#db, { villageCode: scope.villageCode }, this.#now().toISOString());
    return { needsCommand, openByRule, followUps };
  }

  async #emitSummary(): Promise<void> {
    if (!this.#summaryDirty || !this.#o.emitSummary || this.#stopped) return;
    this.#summaryDirty = false;
    try {
      this.#o.emitSummary(await this.summary({ username: 'system', displayName: 'system', role: 'command' }));
    } catch {
      this.#summaryDirty = true;
    }
  }

  // ---------------------------------------------------------------- follow-ups

  followUpScope(user: PublicUser): Pick<FollowUpQuery, 'villageCode'> | undefined {
    if (user.role === 'command') return {};
    if (user.role === 'village' && user.villageCode) return { villageCode: user.villageCode };
    return undefined; // checkpoint supervisors have no follow-ups
  }

  async followUps(user: PublicUser, q: Omit<FollowUpQuery, 'villageCode'> & { villageCode?: string }): Promise<FollowUpEvent[]> {
    const scope = this.followUpScope(user);
    if (!scope) return [];
    return listFollowUps(this.#db, { ...q, ...scope, villageCode: scope.villageCode ?? q.villageCode }, this.#now().toISOString());
  }

  /**
   * Moves a follow-up on (the village officer of its village, or command). Its alert follows: contacted,
   * tested or self-isolating acknowledges it; done clears it. One transaction.
   */
  async moveFollowUp(user: PublicUser, id: number, state: FollowUpState, note?: string): Promise<FollowUpEvent | undefined> {
    const scope = this.followUpScope(user);
    const cur = await getFollowUp(this.#db, id);
    if (!cur || !scope || (scope.villageCode && cur.village_code !== scope.villageCode)) return undefined;
    const at = this.#now().toISOString();
    const { row, alert } = await this.#transaction(async (trx) => {
      const row = await moveFollowUp(trx, id, state, user.username, at, note);
      let alert: AlertRowFull | undefined;
      if (row && row.alert_id !== null && row.updated_at === at) {
        const r = state === 'selesai' ? await clearAlert(trx, Number(row.alert_id), user.username, at) : await acknowledgeAlert(trx, Number(row.alert_id), user.username, at);
        if (r.changed) alert = r.row;
      }
      return { row, alert };
    });
    if (!row) return undefined;
    if (alert) this.announce(alert);
    const event = rowToFollowUp(row, at);
    if (row.updated_at === at) {
      this.#o.emitFollowUp?.(event);
      this.#summaryDirty = true;
    }
    return event;
  }

  /**
   * The periodic sweep: follow-ups still `baru` past their due time, one command alert per district
   * (the puskesmas area; its count = how many), cleared when none is left there. A village's own overdue
   * follow-ups show in its list (`overdue`). Also covers scans a failed triage left behind.
   */
  async sweep(): Promise<void> {
    const now = this.#now().toISOString();
    const overdue = await overdueByDistrict(this.#db, now);
    for (const [district, n] of overdue) {
      if (this.#overdueShown.get(district) === n) continue;
      const name = this.#o.regions?.district(district) ?? district;
      const pkm = puskesmasOf(district);
      await this.raise(
        {
          rule: 'follow_up_overdue', key: `follow_up_overdue|${district}`, subject: district, severity: 'major',
          title: 'Tindak lanjut terlambat', text: `Kec. ${name}${pkm ? ` (puskesmas ${pkm})` : ''}: ${n} pelaku perjalanan belum dihubungi melewati batas waktu`,
        },
        { count: n },
      );
      this.#overdueShown.set(district, n);
    }
    for (const district of [...this.#overdueShown.keys()]) {
      if (overdue.has(district)) continue;
      await this.clearKey(`follow_up_overdue|${district}`, 'system');
      this.#overdueShown.delete(district);
    }
    if (this.#untriaged && this.#pending.length === 0 && !this.#draining) {
      this.#untriaged = false;
      await this.recover().catch((e) => {
        this.#untriaged = true;
        throw e;
      });
    }
  }
}
