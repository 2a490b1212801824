/**
 * The double-aid index (issue 6). Pure: keys arrive already keyed-hashed (see keys.ts), so this file
 * never sees a NIK, KK or name. Check-and-record is one synchronous call: two handouts handled back
 * to back can never both pass as "first" (the race thingsboard#15583 describes cannot happen here).
 *
 * Behind {@link DoubleAidIndex} so a multi-instance deployment can swap in Redis: there each entry is
 * a key `aid:{tag}:{key}` → SET NX (a failed NX is the double), with the same tags and matches.
 *
 * Entries per handout: person (always), household (household programmes), name+birth date.
 * `aux` holds a 32-bit hash of the handout id (person/household entries: a redelivery of the same
 * handout is recognised, not flagged) or the low 32 bits of the person key (name entries: "same name
 * and birth date, different NIK"). A 32-bit collision between two different handouts of the same
 * person, programme and period would hide one double: odds 2^-32 per such pair.
 */
import { AID_PROGRAMMES, conflictsOf, periodOf, type AidMatchKind, type AidProgramme, type AidSeverity } from '@sk/protocol';
import { HashTable } from './hash-table.ts';

export interface Key64 { hi: number; lo: number }

export interface IndexQuery {
  programmeId: string;
  /** Handout day YYYY-MM-DD: selects the period of each programme. */
  date: string;
  person: Key64;
  household?: Key64 | null;
  name?: Key64 | null;
}

export interface IndexedHandout extends IndexQuery {
  /** Index of the village in the regency's village list. */
  village: number;
  /** Unix seconds when recorded. */
  at: number;
  /** 32-bit hash of the handout id. */
  handout: number;
}

export interface IndexMatch {
  kind: AidMatchKind;
  severity: AidSeverity;
  programmeId: string;
  period: string;
  village: number;
  at: number;
  /** The earlier handout's id hash (person/household matches), for de-duplicating matches. */
  handout: number | null;
}

export interface DoubleAidIndex {
  /** The matches; an empty result may be a shared frozen array: callers must not mutate it. */
  check(q: IndexQuery, excludeHandout?: number): IndexMatch[];
  /** Records and returns what it doubles; `redelivered` when this very handout is already in. */
  record(h: IndexedHandout): { redelivered: boolean; matches: IndexMatch[] };
  /** Takes a handout out (cancelled); false when it was not there. */
  cancel(h: IndexedHandout): boolean;
  readonly entries: number;
  readonly bytes: number;
}

const KIND = { person: 1, household: 2, name: 3 } as const;
type PeriodKind = AidProgramme['period'];

/** Per programme, everything a check needs, computed once (a check is on the hot path: ≥ 1 M/s). */
interface Plan { id: string; idx: number; unit: 'person' | 'household'; period: PeriodKind; conflicts: Plan[] }
const PLANS = new Map<string, Plan>(AID_PROGRAMMES.map((p, i) => [p.id, { id: p.id, idx: i + 1, unit: p.unit, period: p.period, conflicts: [] }]));
for (const p of PLANS.values()) p.conflicts = conflictsOf(p.id).map((c) => PLANS.get(c)!);

function plan(programmeId: string): Plan {
  const p = PLANS.get(programmeId);
  if (!p) throw new RangeError(`unknown programme ${programmeId}`);
  return p;
}

/** Months since 2000-01 of a YYYY-MM-DD day, without building strings. */
function monthNo(date: string): number {
  const y = (date.charCodeAt(0) - 48) * 1000 + (date.charCodeAt(1) - 48) * 100 + (date.charCodeAt(2) - 48) * 10 + (date.charCodeAt(3) - 48) - 2000;
  return y * 12 + (date.charCodeAt(5) - 48) * 10 + (date.charCodeAt(6) - 48) - 1;
}
const periodFromMonth = (kind: PeriodKind, m: number) => (kind === 'monthly' ? m : kind === 'quarterly' ? Math.floor(m / 3) : Math.floor(m / 12));

/**
 * The home-slot group of every entry: the period number of the COARSEST period kind any programme
 * uses (periods nest: month ⊂ quarter ⊂ year). Every tag a check looks for — its programme and each
 * conflicting one, in that date's period — then lives in the same group as the entry it would match,
 * so one person's entries of a quarter share one probe run, and runs do not grow with history.
 */
const COARSE: PeriodKind = AID_PROGRAMMES.some((p) => p.period === 'yearly') ? 'yearly' : AID_PROGRAMMES.some((p) => p.period === 'quarterly') ? 'quarterly' : 'monthly';
const groupOf = (m: number) => periodFromMonth(COARSE, m) & 0xffff;

/** Identifies what the tags and groups mean: a snapshot made under another programme list is not reused. */
export const INDEX_LAYOUT = JSON.stringify({ v: 2, coarse: COARSE, programmes: AID_PROGRAMMES.map((p) => [p.id, p.period, p.unit]) });

const PLAN_BY_IDX = [...PLANS.values()].sort((a, b) => a.idx - b.idx);
/** The group an entry was added under, from its tag alone (the table needs it only to rehash). */
export function groupOfTag(tag: number): number {
  const p = PLAN_BY_IDX[((tag >>> 16) & 0xff) - 1];
  const period = tag & 0xffff;
  return p ? groupOf(p.period === 'monthly' ? period : p.period === 'quarterly' ? period * 3 : period * 12) : 0;
}

const tagFor = (kind: number, p: Plan, m: number) => ((kind << 28) | (p.idx << 16) | (periodFromMonth(p.period, m) & 0xffff)) >>> 0;

/** `tagOf('person', 'bst', '2026-11-28')`: kind(4 bits) | programme(8) | period(16). */
export function tagOf(kind: keyof typeof KIND, programmeId: string, date: string): number {
  return tagFor(KIND[kind], plan(programmeId), monthNo(date));
}

/** One tag a check looks for. `run`: 0 person key, 1 household key, 2 name key. `rank`: order in the result. */
interface Want { run: 0 | 1 | 2; kind: 1 | 2 | 3; plan: Plan; match: AidMatchKind; severity: AidSeverity; rank: number }
/** Wants sorted by run (each run's tags contiguous), with where each run's tags end. */
interface CheckPlan { wants: Want[]; end: [number, number, number]; byRank: number[]; kinds: Uint8Array; plans: Plan[] }

/** The old per-probe order is kept in `rank`: same_nik, same_kk, conflicts (declared order), possible_double. */
function checkPlan(p: Plan, withHousehold: boolean): CheckPlan {
  const w: Want[] = [{ run: 0, kind: 1, plan: p, match: 'same_nik', severity: 'critical', rank: 0 }];
  if (withHousehold && p.unit === 'household') w.push({ run: 1, kind: 2, plan: p, match: 'same_kk', severity: 'critical', rank: 1 });
  p.conflicts.forEach((c, i) => {
    const hh = withHousehold && c.unit === 'household';
    w.push({ run: hh ? 1 : 0, kind: hh ? 2 : 1, plan: c, match: 'conflict', severity: 'major', rank: 2 + i });
  });
  w.push({ run: 2, kind: 3, plan: p, match: 'possible_double', severity: 'minor', rank: 2 + p.conflicts.length });
  w.sort((a, b) => a.run - b.run || a.rank - b.rank);
  const end = (r: number) => w.filter((x) => x.run <= r).length;
  const byRank = w.map((x, k) => ({ x, k })).sort((a, b) => a.x.rank - b.x.rank).map((e) => e.k);
  return { wants: w, end: [end(0), end(1), end(2)], byRank, kinds: Uint8Array.from(w.map((x) => x.kind)), plans: w.map((x) => x.plan) };
}
const CHECK_PLANS = new Map<string, [CheckPlan, CheckPlan]>([...PLANS.values()].map((p) => [p.id, [checkPlan(p, false), checkPlan(p, true)]]));

function checkPlans(programmeId: string): [CheckPlan, CheckPlan] {
  const c = CHECK_PLANS.get(programmeId);
  if (!c) throw new RangeError(`unknown programme ${programmeId}`);
  return c;
}

/**
 * Period labels ('2026-11', '2026-Q4', '2026') by month number 2000-01…2099-12, made once: a hit
 * returns several matches and each carries its period, so building them per check was measurable.
 */
const PERIOD_LABELS: Record<PeriodKind, string[]> = { monthly: [], quarterly: [], yearly: [] };
for (let m = 0; m < 1200; m++) {
  const date = `${2000 + Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, '0')}-01`;
  for (const k of ['monthly', 'quarterly', 'yearly'] as const) PERIOD_LABELS[k].push(periodOf(k, date));
}

/** The no-match result, shared: most checks find nothing and should not allocate. */
const NONE: IndexMatch[] = Object.freeze([]) as unknown as IndexMatch[];

export class MemoryDoubleAidIndex implements DoubleAidIndex {
  private _t: HashTable;
  /** Scratch reused by every check (synchronous: never shared between two checks). */
  private readonly _want = new Uint32Array(16);
  /** Scratch: handout hashes already matched in the check being built (as int32). */
  private _done = new Int32Array(32);

  constructor(capacityHint = 1024, maxLoad?: number) {
    this._t = new HashTable(capacityHint, groupOfTag, maxLoad);
  }

  get entries(): number {
    return this._t.size;
  }
  get bytes(): number {
    return this._t.bytes;
  }
  /** The table itself, for snapshots and probe statistics. */
  get table(): HashTable {
    return this._t;
  }
  /** Replaces the table with one loaded from a snapshot. */
  adopt(t: HashTable): void {
    this._t = t;
  }

  check(q: IndexQuery, excludeHandout?: number): IndexMatch[] {
    const hh = q.household;
    const cp = checkPlans(q.programmeId)[hh ? 1 : 0];
    const m = monthNo(q.date);
    const g = groupOf(m);
    const t = this._t;
    const nm = q.name;
    const p = q.person;
    const ph = p.hi >>> 0, pl = p.lo >>> 0;
    // All three homes first, then one call that reads them together (their cache misses overlap) and
    // says which keys may have entries at all: a key nobody holds costs one bit, not a probe.
    const useHh = hh != null && cp.end[1] > cp.end[0];
    const a = t.home(ph, pl, g);
    const b = useHh ? t.home(hh.hi >>> 0, hh.lo >>> 0, g) : -1;
    const c = nm ? t.home(nm.hi >>> 0, nm.lo >>> 0, g) : -1;
    const may = t.maybe3(a, b, c);
    if (may === 0) return NONE;
    // The wanted tags only now: most checks (first handouts) never get here.
    const want = this._want;
    const last = nm ? cp.end[2] : cp.end[1];
    for (let k = 0; k < last; k++) want[k] = tagFor(cp.kinds[k]!, cp.plans[k]!, m);
    let n = 0;
    // One pass per key: person (own programme + person conflicts), household, name.
    if (may & 1) n = t.scanAt(ph, pl, a, want, 0, cp.end[0], n);
    if (may & 2) n = t.scanAt(hh!.hi >>> 0, hh!.lo >>> 0, b, want, cp.end[0], cp.end[1], n);
    if (may & 4) n = t.scanAt(nm!.hi >>> 0, nm!.lo >>> 0, c, want, cp.end[1], cp.end[2], n);
    if (n === 0) return NONE;
    return this._matches(cp, t.hits, n, m, q.date, pl, excludeHandout);
  }

  /**
   * Turns scan hits into matches in the result order (a hit check builds ~10 of them). Handouts
   * already matched are kept in a scratch int array, not searched for in the result objects.
   */
  private _matches(cp: CheckPlan, hits: Int32Array, n: number, month: number, date: string, personLo: number, exclude: number | undefined): IndexMatch[] {
    const t = this._t;
    const out: IndexMatch[] = [];
    let done = this._done;
    if (done.length < n) done = this._done = new Int32Array(n * 2);
    let nd = 0;
    // As int32 like the stored aux; a value no uint32 handout hash can be never matches (NaN).
    const ex = exclude !== undefined && exclude === exclude >>> 0 ? exclude | 0 : Number.NaN;
    const self = personLo | 0;
    const byRank = cp.byRank;
    const inRange = month >= 0 && month < 1200;
    for (let r = 0; r < byRank.length; r++) {
      const k = byRank[r]!;
      const w = cp.wants[k]!;
      const isName = w.kind === 3;
      let period: string | null = null;
      for (let h = 0; h < n; h += 2) {
        if (hits[h + 1] !== k) continue;
        const s = hits[h]!;
        const aux = t.auxInt(s);
        // Name entries hold the person's key: skip the same person's own; others skip a handout already matched.
        if (isName) {
          if (aux === self) continue;
        } else {
          if (aux === ex) continue;
          let d = 0;
          while (d < nd && done[d] !== aux) d++;
          if (d < nd) continue;
          done[nd++] = aux;
        }
        period ??= inRange ? PERIOD_LABELS[w.plan.period][month]! : periodOf(w.plan.period, date);
        out.push({ kind: w.match, severity: w.severity, programmeId: w.plan.id, period, village: t.village(s), at: t.at(s), handout: isName ? null : aux >>> 0 });
      }
    }
    return out.length ? out : NONE;
  }

  record(h: IndexedHandout): { redelivered: boolean; matches: IndexMatch[] } {
    const p = plan(h.programmeId);
    const m = monthNo(h.date);
    const g = groupOf(m);
    const personTag = tagFor(1, p, m);
    if (this._t.has(h.person.hi, h.person.lo, g, personTag, h.handout)) return { redelivered: true, matches: NONE };
    const matches = this.check(h, h.handout);
    this._t.add(h.person.hi, h.person.lo, g, personTag, h.village, h.at, h.handout);
    if (p.unit === 'household' && h.household) this._t.add(h.household.hi, h.household.lo, g, tagFor(2, p, m), h.village, h.at, h.handout);
    if (h.name) this._t.add(h.name.hi, h.name.lo, g, tagFor(3, p, m), h.village, h.at, h.person.lo >>> 0);
    return { redelivered: false, matches };
  }

  cancel(h: IndexedHandout): boolean {
    const p = plan(h.programmeId);
    const m = monthNo(h.date);
    const g = groupOf(m);
    if (!this._t.remove(h.person.hi, h.person.lo, g, tagFor(1, p, m), h.handout)) return false;
    if (p.unit === 'household' && h.household) this._t.remove(h.household.hi, h.household.lo, g, tagFor(2, p, m), h.handout);
    if (h.name) this._t.remove(h.name.hi, h.name.lo, g, tagFor(3, p, m), h.person.lo);
    return true;
  }
}
