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
  check(q: IndexQuery, excludeHandout?: number): IndexMatch[];
  /** Records and returns what it doubles; `redelivered` when this very handout is already in. */
  record(h: IndexedHandout): { redelivered: boolean; matches: IndexMatch[] };
  /** Takes a handout out (cancelled); false when it was not there. */
  cancel(h: IndexedHandout): boolean;
  readonly entries: number;
  readonly bytes: number;
}

const KIND = { person: 1, household: 2, name: 3 } as const;

/** Per programme, everything a check needs, computed once (a check is on the hot path: ≥ 1 M/s). */
interface Plan { id: string; idx: number; unit: 'person' | 'household'; period: AidProgramme['period']; conflicts: Plan[] }
const PLANS = new Map<string, Plan>(AID_PROGRAMMES.map((p, i) => [p.id, { id: p.id, idx: i + 1, unit: p.unit, period: p.period, conflicts: [] }]));
for (const p of PLANS.values()) p.conflicts = conflictsOf(p.id).map((c) => PLANS.get(c)!);

function plan(programmeId: string): Plan {
  const p = PLANS.get(programmeId);
  if (!p) throw new RangeError(`unknown programme ${programmeId}`);
  return p;
}

/** Period number without building strings: monthly, quarterly or yearly index since 2000. */
function periodNo(kind: AidProgramme['period'], date: string): number {
  const y = (date.charCodeAt(0) - 48) * 1000 + (date.charCodeAt(1) - 48) * 100 + (date.charCodeAt(2) - 48) * 10 + (date.charCodeAt(3) - 48) - 2000;
  const m = (date.charCodeAt(5) - 48) * 10 + (date.charCodeAt(6) - 48) - 1;
  return kind === 'monthly' ? y * 12 + m : kind === 'quarterly' ? y * 4 + ((m / 3) | 0) : y;
}

const tag = (kind: number, p: Plan, date: string) => ((kind << 28) | (p.idx << 16) | (periodNo(p.period, date) & 0xffff)) >>> 0;

/** `tagOf('person', 'bst', '2026-11-28')`: kind(4 bits) | programme(8) | period(16). */
export function tagOf(kind: keyof typeof KIND, programmeId: string, date: string): number {
  return tag(KIND[kind], plan(programmeId), date);
}

/** True when `out` already holds a match for this handout (a plain loop: no closure per entry). */
function seen(out: readonly IndexMatch[], handout: number): boolean {
  for (let i = 0; i < out.length; i++) if (out[i]!.handout === handout) return true;
  return false;
}

export class MemoryDoubleAidIndex implements DoubleAidIndex {
  private readonly _t: HashTable;
  constructor(capacityHint = 1024) {
    this._t = new HashTable(capacityHint);
  }

  get entries(): number {
    return this._t.size;
  }
  get bytes(): number {
    return this._t.bytes;
  }

  check(q: IndexQuery, excludeHandout?: number): IndexMatch[] {
    const out: IndexMatch[] = [];
    const prog = plan(q.programmeId);
    const { hi, lo } = q.person;
    this._collect(out, hi, lo, tag(1, prog, q.date), 'same_nik', 'critical', prog, q.date, excludeHandout, -1);
    const hh = q.household;
    if (prog.unit === 'household' && hh) this._collect(out, hh.hi, hh.lo, tag(2, prog, q.date), 'same_kk', 'critical', prog, q.date, excludeHandout, -1);
    for (const c of prog.conflicts) {
      const k = c.unit === 'household' && hh ? hh : q.person;
      this._collect(out, k.hi, k.lo, tag(k === hh ? 2 : 1, c, q.date), 'conflict', 'major', c, q.date, excludeHandout, -1);
    }
    if (q.name) this._collect(out, q.name.hi, q.name.lo, tag(3, prog, q.date), 'possible_double', 'minor', prog, q.date, undefined, lo >>> 0);
    return out;
  }

  /** Appends the entries under (key, tag). `notAux` ≥ 0: name entries, skip the same person's own. */
  private _collect(out: IndexMatch[], hi: number, lo: number, t: number, kind: AidMatchKind, severity: AidSeverity, p: Plan, date: string, exclude: number | undefined, notAux: number): void {
    const table = this._t;
    let period: string | undefined; // built only when something matched (most checks find nothing)
    for (let s = table.seek(hi, lo, t); s >= 0; s = table.seek(hi, lo, t, s + 1)) {
      const aux = table.aux(s);
      if (notAux >= 0) {
        if (aux === notAux) continue;
      } else if (aux === exclude || seen(out, aux)) continue;
      period ??= periodOf(p.period, date);
      out.push({ kind, severity, programmeId: p.id, period, village: table.village(s), at: table.at(s), handout: notAux >= 0 ? null : aux });
    }
  }

  record(h: IndexedHandout): { redelivered: boolean; matches: IndexMatch[] } {
    const personTag = tagOf('person', h.programmeId, h.date);
    if (this._t.has(h.person.hi, h.person.lo, personTag, h.handout)) return { redelivered: true, matches: [] };
    const matches = this.check(h, h.handout);
    this._t.add(h.person.hi, h.person.lo, personTag, h.village, h.at, h.handout);
    if (plan(h.programmeId).unit === 'household' && h.household) {
      this._t.add(h.household.hi, h.household.lo, tagOf('household', h.programmeId, h.date), h.village, h.at, h.handout);
    }
    if (h.name) this._t.add(h.name.hi, h.name.lo, tagOf('name', h.programmeId, h.date), h.village, h.at, h.person.lo >>> 0);
    return { redelivered: false, matches };
  }

  cancel(h: IndexedHandout): boolean {
    const removed = this._t.remove(h.person.hi, h.person.lo, tagOf('person', h.programmeId, h.date), h.handout);
    if (!removed) return false;
    if (plan(h.programmeId).unit === 'household' && h.household) {
      this._t.remove(h.household.hi, h.household.lo, tagOf('household', h.programmeId, h.date), h.handout);
    }
    if (h.name) this._t.remove(h.name.hi, h.name.lo, tagOf('name', h.programmeId, h.date), h.person.lo);
    return true;
  }
}
