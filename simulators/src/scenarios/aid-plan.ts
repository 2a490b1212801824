/**
 * The `aid` scenario's plan, pure and seeded: handouts across villages, a share of them doubles of an
 * earlier handout from another village (same NIK and programme; same KK in a household programme;
 * a conflicting programme for the same KK). Every other handout is fresh: its own NIK, KK and
 * name + birth date, so it can match nothing and must raise no alarm.
 */
import { ulid } from 'ulid';
import { conflictsOf, type HandoutInput } from '@sk/protocol';
import { Rng } from '../rng.ts';
import { makeNik } from '../travellers.ts';

export type DoubleKind = 'nik' | 'kk' | 'conflict';
export const DOUBLE_KINDS: readonly DoubleKind[] = ['nik', 'kk', 'conflict'];

export interface PlannedHandout {
  input: HandoutInput;
  /** Which double this is, or null for a fresh handout. */
  double: DoubleKind | null;
}

export interface AidPlanOptions {
  seed: string;
  count: number;
  /** Banyuwangi village codes to spread over (at least 2 for cross-village doubles). */
  villages: readonly string[];
  doubleRate: number;
  kinds: readonly DoubleKind[];
  /** Handout date (WIB): every handout is in the same period. */
  date: string;
}

// Household programmes with a conflict partner, so every kind of double can be built from any base.
const BASE_PROGRAMMES = ['bst', 'bpnt', 'blt-dd'] as const;
const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** A name no other fresh handout shares (a shared name + birth date would be a "possible double"). */
function uniqueName(run: string, i: number): string {
  let code = '';
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) code = LETTERS[(n - 1) % 26] + code;
  return `Warga ${run} ${code}`;
}

export function planAid(o: AidPlanOptions): PlannedHandout[] {
  const rng = new Rng(o.seed);
  // A per-run word in names and a random start for serials: a second run against the same server
  // does not collide with the first (unless it reuses the seed, which then doubles on purpose).
  const run = Array.from({ length: 4 }, () => LETTERS[rng.int(0, 25)]).join('');
  const serialBase = rng.int(1, 5000);
  const out: PlannedHandout[] = [];
  for (let i = 0; i < o.count; i++) {
    const village = o.villages[i % o.villages.length]!;
    const district = village.slice(0, 8);
    const fresh = (): HandoutInput => {
      const birthDate = `${1950 + rng.int(0, 50)}-${pad(rng.int(1, 12))}-${pad(rng.int(1, 28))}`;
      const serial = ((serialBase + i) % 9999) + 1;
      const nik = makeNik(district, rng.chance(0.5) ? 'P' : 'L', birthDate, serial);
      const kk = `${district.replaceAll('.', '')}${pad(rng.int(1, 28))}${pad(rng.int(1, 12))}${pad(rng.int(10, 24))}${pad(serial, 4)}`;
      return { handoutId: ulid(), programmeId: rng.pick(BASE_PROGRAMMES), nik, kk, name: uniqueName(run, i), birthDate, villageCode: village, date: o.date };
    };
    // A base in another village, itself fresh: then the double matches exactly one earlier handout.
    const bases = out.filter((p) => p.double === null && p.input.villageCode !== village);
    if (o.kinds.length && bases.length && rng.chance(o.doubleRate)) {
      const base = rng.pick(bases).input;
      const kind = rng.pick(o.kinds);
      const own = fresh();
      const input: HandoutInput =
        kind === 'nik'
          ? { ...own, programmeId: base.programmeId, nik: base.nik, name: base.name, birthDate: base.birthDate }
          : kind === 'kk'
            ? { ...own, programmeId: base.programmeId, kk: base.kk }
            : { ...own, programmeId: conflictsOf(base.programmeId)[0]!, kk: base.kk };
      out.push({ input, double: kind });
      continue;
    }
    out.push({ input: fresh(), double: null });
  }
  return out;
}
