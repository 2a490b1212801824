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
import { AID_PROGRAMMES, aidProgramme, conflictsOf, periodIndex, periodOf, type AidMatchKind, type AidSeverity } from '@sk/protocol';
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
const PROGRAMME_INDEX = new Map(AID_PROGRAMMES.map((p, i) => [p.id, i + 1]));

/** `tagOf('person', 'bst', '2026-11-28')`: kind(4 bits) | programme(8) | period(16). */
export function tagOf(kind: keyof typeof KIND, programmeId: string, date: string): number {
  const p = aidProgramme(programmeId);
  const idx = PROGRAMME_INDEX.get(programmeId);
  if (!p || !idx) throw new RangeError(`unknown programme ${programmeId}`);
  return ((KIND[kind] << 28) | (idx << 16) | (periodIndex(p.period, date) & 0xffff)) >>> 0;
}

export class MemoryDoubleAidIndex implements DoubleAidIndex {
  readonly #t: HashTable;
  constructor(capacityHint = 1024) {
    this.#t = new HashTable(capacityHint);
  }

  get entries(): number {
    return this.#t.size;
  }
  get bytes(): number {
    return this.#t.bytes;
  }

  check(q: IndexQuery, excludeHandout?: number): IndexMatch[] {
    const out: IndexMatch[] = [];
    const seen = new Set<number>();
    const prog = aidProgramme(q.programmeId);
    if (!prog) throw new RangeError(`unknown programme ${q.programmeId}`);
    const period = periodOf(prog.period, q.date);
    const push = (kind: AidMatchKind, severity: AidSeverity, programmeId: string, per: string, village: number, at: number, handout: number | null) => {
      if (handout !== null) {
        if (handout === excludeHandout || seen.has(handout)) return;
        seen.add(handout);
      }
      out.push({ kind, severity, programmeId, period: per, village, at, handout });
    };
    const { hi, lo } = q.person;
    this.#t.find(hi, lo, tagOf('person', prog.id, q.date), (v, at, aux) => push('same_nik', 'critical', prog.id, period, v, at, aux));
    if (prog.unit === 'household' && q.household) {
      this.#t.find(q.household.hi, q.household.lo, tagOf('household', prog.id, q.date), (v, at, aux) => push('same_kk', 'critical', prog.id, period, v, at, aux));
    }
    for (const cid of conflictsOf(prog.id)) {
      const c = aidProgramme(cid)!;
      const key = c.unit === 'household' && q.household ? q.household : q.person;
      const kind = c.unit === 'household' && q.household ? 'household' : 'person';
      this.#t.find(key.hi, key.lo, tagOf(kind, cid, q.date), (v, at, aux) => push('conflict', 'major', cid, periodOf(c.period, q.date), v, at, aux));
    }
    if (q.name) {
      const mine = lo >>> 0;
      this.#t.find(q.name.hi, q.name.lo, tagOf('name', prog.id, q.date), (v, at, aux) => {
        if (aux !== mine) push('possible_double', 'minor', prog.id, period, v, at, null);
      });
    }
    return out;
  }

  record(h: IndexedHandout): { redelivered: boolean; matches: IndexMatch[] } {
    const personTag = tagOf('person', h.programmeId, h.date);
    if (this.#t.has(h.person.hi, h.person.lo, personTag, h.handout)) return { redelivered: true, matches: [] };
    const matches = this.check(h, h.handout);
    this.#t.add(h.person.hi, h.person.lo, personTag, h.village, h.at, h.handout);
    if (aidProgramme(h.programmeId)!.unit === 'household' && h.household) {
      this.#t.add(h.household.hi, h.household.lo, tagOf('household', h.programmeId, h.date), h.village, h.at, h.handout);
    }
    if (h.name) this.#t.add(h.name.hi, h.name.lo, tagOf('name', h.programmeId, h.date), h.village, h.at, h.person.lo >>> 0);
    return { redelivered: false, matches };
  }

  cancel(h: IndexedHandout): boolean {
    const removed = this.#t.remove(h.person.hi, h.person.lo, tagOf('person', h.programmeId, h.date), h.handout);
    if (!removed) return false;
    if (aidProgramme(h.programmeId)!.unit === 'household' && h.household) {
      this.#t.remove(h.household.hi, h.household.lo, tagOf('household', h.programmeId, h.date), h.handout);
    }
    if (h.name) this.#t.remove(h.name.hi, h.name.lo, tagOf('name', h.programmeId, h.date), h.person.lo);
    return true;
  }
}
