/**
 * Alert lifecycle (ThingsBoard's model): active → acknowledged → cleared, with who and when.
 * One active alert per (subject, rule): a repeat updates it (count, lastSeenAt). `raise` is
 * synchronous, so two messages handled back to back can never create two alerts for one key
 * (the check and the insert happen in one JS turn — thingsboard#15583 is a race we cannot have).
 */
import type { AlertCandidate, AlertRule, Severity } from './rules.ts';

export interface Alert extends AlertCandidate {
  id: number;
  state: 'active' | 'cleared';
  acknowledged: boolean;
  count: number;
  startedAt: string;
  lastSeenAt: string;
  ackedBy?: string;
  ackedAt?: string;
  clearedBy?: string;
  clearedAt?: string;
}

export class AlertBook {
  readonly #active = new Map<string, Alert>();
  readonly #all = new Map<number, Alert>();
  #nextId = 1;
  constructor(private readonly now: () => Date = () => new Date(), private readonly maxKept = 10_000) {}

  /** Raises or updates; returns the alert and whether it is new. */
  raise(c: AlertCandidate): { alert: Alert; created: boolean } {
    const key = `${c.subject}|${c.rule}`;
    const at = this.now().toISOString();
    const existing = this.#active.get(key);
    if (existing) {
      existing.count++;
      existing.lastSeenAt = at;
      return { alert: existing, created: false };
    }
    const alert: Alert = { ...c, id: this.#nextId++, state: 'active', acknowledged: false, count: 1, startedAt: at, lastSeenAt: at };
    this.#active.set(key, alert);
    this.#all.set(alert.id, alert);
    if (this.#all.size > this.maxKept) {
      for (const [id, a] of this.#all) {
        if (a.state === 'cleared') { this.#all.delete(id); break; }
      }
    }
    return { alert, created: true };
  }

  acknowledge(id: number, by: string): Alert | undefined {
    const a = this.#all.get(id);
    if (!a || a.acknowledged) return a;
    a.acknowledged = true;
    a.ackedBy = by;
    a.ackedAt = this.now().toISOString();
    return a;
  }

  clear(id: number, by: string): Alert | undefined {
    const a = this.#all.get(id);
    if (!a || a.state === 'cleared') return a;
    a.state = 'cleared';
    a.clearedBy = by;
    a.clearedAt = this.now().toISOString();
    this.#active.delete(`${a.subject}|${a.rule}`);
    return a;
  }

  /** Clears the active alert for (subject, rule) if any (e.g. a device back online). */
  clearKey(subject: string, rule: AlertRule, by: string): Alert | undefined {
    const a = this.#active.get(`${subject}|${rule}`);
    return a ? this.clear(a.id, by) : undefined;
  }

  get(id: number): Alert | undefined {
    return this.#all.get(id);
  }

  /** Newest first, optionally only active ones, only those `visible` to the caller. */
  list(opts: { activeOnly?: boolean; visible?: (a: Alert) => boolean; limit?: number } = {}): Alert[] {
    const out = [...this.#all.values()].filter((a) => (!opts.activeOnly || a.state === 'active') && (opts.visible?.(a) ?? true));
    return out.reverse().slice(0, opts.limit ?? 200);
  }

  static readonly SEVERITY_ORDER: readonly Severity[] = ['critical', 'major', 'minor', 'warning'];
}
