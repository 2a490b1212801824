/**
 * Alert lifecycle (ThingsBoard's model): active → acknowledged → cleared, with who and when.
 * One active alert per key: a repeat within the de-duplication window updates it (count, lastSeenAt).
 * `raise` is synchronous — the check and the insert happen in one JS turn, the book is the one writer
 * for every key — so two messages for the same key arriving at the same moment can never create two
 * alerts (thingsboard#15583 is a race we cannot have). Every change goes to the journal (durable,
 * bounded history) and to `onChange` (the live channel).
 */
import type { AlertEvent } from '@sk/protocol';
import type { Journal } from '../arrivals/journal.ts';
import type { AlertCandidate } from './rules.ts';

export type Alert = AlertEvent;
/** What the journal keeps: the alert plus its de-duplication key (never sent to clients). */
export type AlertRecord = AlertEvent & { key: string };

export interface AlertBookOptions {
  now?: () => Date;
  maxKept?: number;
  /** A repeat later than this after the last one starts a new alert. */
  dedupWindowMs?: number;
  journal?: Journal<AlertRecord>;
  onChange?: (a: AlertEvent) => void;
  /** Cluster mode: every local change, with its key, for the other instances' `merge`. */
  onRecord?: (r: AlertRecord) => void;
}

const RANK = { active: 0, acknowledged: 1, cleared: 2 } as const;

/**
 * Two copies of one alert (same id) from two instances joined: the later state wins (states only move
 * forward), the first ack and the first clear are kept, counts and last-seen take the maximum. A join is
 * order-independent, so instances that exchange their changes converge whatever order they arrive in.
 */
export function joinAlert(a: AlertRecord, b: AlertRecord): AlertRecord {
  const newer = Date.parse(b.lastSeenAt) > Date.parse(a.lastSeenAt) ? b : a;
  const firstOf = (x: string | undefined, y: string | undefined) => (x && (!y || x <= y) ? 'a' : y ? 'b' : undefined);
  const ack = firstOf(a.ackedAt, b.ackedAt);
  const clr = firstOf(a.clearedAt, b.clearedAt);
  return {
    ...newer,
    state: RANK[a.state] >= RANK[b.state] ? a.state : b.state,
    count: Math.max(a.count, b.count),
    ackedBy: ack && (ack === 'a' ? a : b).ackedBy,
    ackedAt: ack && (ack === 'a' ? a : b).ackedAt,
    clearedBy: clr && (clr === 'a' ? a : b).clearedBy,
    clearedAt: clr && (clr === 'a' ? a : b).clearedAt,
  };
}

const publicView = ({ key: _key, ...a }: AlertRecord): AlertEvent => a;

export class AlertBook {
  readonly #active = new Map<string, AlertRecord>();
  readonly #all = new Map<number, AlertRecord>();
  /**
   * Ids of cleared alerts still kept, in the order they were cleared: the ones `#trim` may forget.
   * Trimming once walked every kept alert looking for cleared ones — on every raise once more than
   * `maxKept` were open, which is exactly an epidemic's busy day (seen in the e2e profile, issue 5).
   */
  readonly #cleared = new Set<number>();
  #nextId = 1;
  readonly #now: () => Date;

  constructor(private readonly o: AlertBookOptions = {}) {
    this.#now = o.now ?? (() => new Date());
    for (const r of o.journal?.load() ?? []) this.#index(r);
    this.#trim();
  }

  /** Raises or updates; returns the alert and whether it is new. */
  raise(c: AlertCandidate): { alert: AlertEvent; created: boolean } {
    const now = this.#now();
    const at = now.toISOString();
    const existing = this.#active.get(c.key);
    if (existing && now.getTime() - Date.parse(existing.lastSeenAt) <= (this.o.dedupWindowMs ?? 6 * 3600_000)) {
      existing.count++;
      existing.lastSeenAt = at;
      return { alert: this.#changed(existing), created: false };
    }
    const { key, ...rest } = c;
    const alert: AlertRecord = { ...rest, key, id: this.#nextId++, state: 'active', count: 1, startedAt: at, lastSeenAt: at };
    this.#index(alert);
    this.#trim();
    return { alert: this.#changed(alert), created: true };
  }

  acknowledge(id: number, by: string): AlertEvent | undefined {
    const a = this.#all.get(id);
    if (!a || a.state !== 'active') return a && publicView(a);
    a.state = 'acknowledged';
    a.ackedBy = by;
    a.ackedAt = this.#now().toISOString();
    return this.#changed(a);
  }

  clear(id: number, by: string): AlertEvent | undefined {
    const a = this.#all.get(id);
    if (!a || a.state === 'cleared') return a && publicView(a);
    a.state = 'cleared';
    a.clearedBy = by;
    a.clearedAt = this.#now().toISOString();
    if (this.#active.get(a.key) === a) this.#active.delete(a.key);
    this.#cleared.add(a.id);
    const view = this.#changed(a);
    this.#trim();
    return view;
  }

  /** Clears the open alert for this key if any (e.g. a device back online). */
  clearKey(key: string, by: string): AlertEvent | undefined {
    const a = this.#active.get(key);
    return a ? this.clear(a.id, by) : undefined;
  }

  /**
   * Cluster mode: ids from this instance's own block (reserved in Redis), so two instances never hand out
   * the same alert id. Call before the first alert is raised.
   */
  useIds(first: number): void {
    this.#nextId = Math.max(this.#nextId, first);
  }

  /** Cluster mode: applies another instance's change (already pushed to every console by that instance). */
  merge(r: AlertRecord): void {
    const mine = this.#all.get(r.id);
    const joined = mine ? joinAlert(mine, r) : { ...r };
    for (const k of ['ackedBy', 'ackedAt', 'clearedBy', 'clearedAt'] as const) if (joined[k] === undefined) delete joined[k];
    const record = mine ? Object.assign(mine, joined) : joined;
    this.#all.set(record.id, record);
    const current = this.#active.get(record.key);
    if (record.state === 'cleared') {
      this.#cleared.add(record.id);
      if (current === record) this.#active.delete(record.key);
    } else if (!current || current === record || Date.parse(record.startedAt) >= Date.parse(current.startedAt)) {
      this.#active.set(record.key, record);
    }
    this.#trim();
    this.o.journal?.append(record);
  }

  /** Cluster mode: the open alerts with their keys (re-shared when the cluster no longer keeps them). */
  openRecords(): AlertRecord[] {
    return [...this.#active.values()].map((r) => ({ ...r }));
  }

  isOpen(key: string): boolean {
    return this.#active.has(key);
  }

  get(id: number): AlertEvent | undefined {
    const a = this.#all.get(id);
    return a && publicView(a);
  }

  /** Newest first; `openOnly` = active or acknowledged (not cleared); only those `visible` to the caller. */
  list(opts: { openOnly?: boolean; visible?: (a: AlertEvent) => boolean; limit?: number } = {}): AlertEvent[] {
    const out: AlertEvent[] = [];
    const all = [...this.#all.values()];
    for (let i = all.length - 1; i >= 0 && out.length < (opts.limit ?? 200); i--) {
      const a = all[i]!;
      if (opts.openOnly && a.state === 'cleared') continue;
      if (opts.visible && !opts.visible(a)) continue;
      out.push(publicView(a));
    }
    return out;
  }

  close(): void {
    this.o.journal?.close();
  }

  #index(r: AlertRecord): void {
    this.#all.set(r.id, r);
    this.#nextId = Math.max(this.#nextId, r.id + 1);
    if (r.state !== 'cleared') this.#active.set(r.key, r);
    else this.#cleared.add(r.id);
  }

  /** Bounded history: forget the alerts cleared longest ago; open alerts are always kept. */
  #trim(): void {
    const max = this.o.maxKept ?? 10_000;
    for (const id of this.#cleared) {
      if (this.#all.size <= max) break;
      this.#cleared.delete(id);
      if (this.#all.get(id)?.state === 'cleared') this.#all.delete(id);
    }
  }

  /** Journals and announces a change; returns the public view (one copy for the live channel and the caller). */
  #changed(a: AlertRecord): AlertEvent {
    this.o.journal?.append(a);
    this.o.journal?.compactIfLarge(this.#records);
    const view = publicView(a);
    this.o.onChange?.(view);
    this.o.onRecord?.({ ...a });
    return view;
  }

  /** Made once, not per change. */
  readonly #records = (): AlertRecord[] => [...this.#all.values()];
}
