/**
 * What makes a handout a (possible) double (issue 6), as a pure function over the earlier handouts
 * that share one of its keys: the database finds those (indexed on each key), this decides. Keys are
 * HMACs (keys.ts), so this file never sees a NIK, KK or name.
 *
 * - same_nik (critical): the same person key, programme and period;
 * - same_kk (critical): household programmes, the same household key, programme and period;
 * - conflict (major): a forbidden combination in the same period (by household key when the other
 *   programme is per household and a KK was given, else by person key);
 * - possible_double (minor): the same name + birth date key, programme and period, another person key.
 * A cancelled handout never matches; an earlier handout is reported once (its strongest reason).
 */
import type { AidHandoutsTable } from '../db/schema.ts';
import { AID_PROGRAMMES, aidProgramme, conflictsOf, periodOf, type AidMatchKind, type AidSeverity } from '@sk/protocol';

/** An earlier handout as the database returns it (not cancelled): the aid_handouts row without its status and details. */
export type EarlierHandout = Omit<AidHandoutsTable, 'status' | 'recorded_by' | 'body'>;

export interface DoubleQuery {
  programmeId: string;
  /** Handout day YYYY-MM-DD: selects each programme's period. */
  date: string;
  personKey: string;
  householdKey: string | null;
  nameKey: string | null;
  /** This handout itself (a check has none). */
  handoutId?: string;
}

export interface RawMatch {
  kind: AidMatchKind;
  severity: AidSeverity;
  programmeId: string;
  period: string;
  villageCode: string;
  at: string;
  handoutId: string | null;
}

interface Want { kind: AidMatchKind; severity: AidSeverity; programmeId: string; period: string; key: 'person_key' | 'household_key' | 'name_dob_key' }

/** What to look for, in the order matches are reported. */
function wants(q: DoubleQuery): Want[] {
  const p = aidProgramme(q.programmeId);
  if (!p) throw new RangeError(`unknown programme ${q.programmeId}`);
  const period = periodOf(p.period, q.date);
  const out: Want[] = [{ kind: 'same_nik', severity: 'critical', programmeId: p.id, period, key: 'person_key' }];
  if (p.unit === 'household' && q.householdKey) out.push({ kind: 'same_kk', severity: 'critical', programmeId: p.id, period, key: 'household_key' });
  for (const cid of conflictsOf(p.id)) {
    const c = aidProgramme(cid)!;
    out.push({ kind: 'conflict', severity: 'major', programmeId: c.id, period: periodOf(c.period, q.date), key: c.unit === 'household' && q.householdKey ? 'household_key' : 'person_key' });
  }
  if (q.nameKey) out.push({ kind: 'possible_double', severity: 'minor', programmeId: p.id, period, key: 'name_dob_key' });
  return out;
}

/** The periods a query can match in (for the database's `period in (…)`): at most one per period kind. */
export function periodsOf(programmeId: string, date: string): string[] {
  const ids = [programmeId, ...conflictsOf(programmeId)];
  return [...new Set(ids.map((id) => periodOf(aidProgramme(id)!.period, date)))];
}

export function doubleMatches(q: DoubleQuery, earlier: readonly EarlierHandout[]): RawMatch[] {
  const out: RawMatch[] = [];
  const seen = new Set<string>();
  const keyOf = { person_key: q.personKey, household_key: q.householdKey, name_dob_key: q.nameKey };
  for (const w of wants(q)) {
    const key = keyOf[w.key];
    for (const e of earlier) {
      if (e.handout_id === q.handoutId || e[w.key] !== key || e.programme_id !== w.programmeId || e.period !== w.period) continue;
      if (w.kind === 'possible_double') {
        if (e.person_key === q.personKey) continue; // the same person is no "other NIK"
      } else {
        if (seen.has(e.handout_id)) continue;
        seen.add(e.handout_id);
      }
      out.push({ kind: w.kind, severity: w.severity, programmeId: w.programmeId, period: w.period, villageCode: e.village_code, at: e.handed_at, handoutId: e.handout_id });
    }
  }
  return out;
}

const RANK: Record<AidSeverity, number> = { critical: 3, major: 2, minor: 1 };

/** The strongest severity among the matches. */
export function severityOf(matches: readonly { severity: AidSeverity }[]): AidSeverity {
  return matches.reduce<AidSeverity>((s, m) => (RANK[m.severity] > RANK[s] ? m.severity : s), 'minor');
}

/** Programme ids, for validation at the edges. */
export const PROGRAMME_IDS = new Set(AID_PROGRAMMES.map((p) => p.id));
