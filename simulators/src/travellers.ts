/**
 * Realistic travellers for the checkpoints. PURE and seeded: the same World, seed and options give
 * the same travellers. NIKs follow the KTP layout `PP RR DD ddmmyy SSSS` (women: day + 40) with the
 * district where the person was registered, so each decodes back to the intended sex, birth date and region.
 */
import type { HealthScreening, ScanInput } from '@sk/protocol';
import { SYMPTOMS } from '@sk/protocol';
import { todayWib } from '@sk/protocol';
import { personName, streetAddress, type NameGroup, type Sex } from './names.ts';
import { Rng } from './rng.ts';
import type { OriginRegency, World } from './world.ts';

export interface HealthRates {
  /** Share with temperature ≥ 37.5 °C. */
  fever: number;
  /** Share (of the rest) with at least one symptom. */
  symptom: number;
  /** Share of rapid tests that come back positive. */
  positive: number;
  /** Share of travellers who get a rapid test at all. */
  tested: number;
}

export const DEFAULT_HEALTH_RATES: Readonly<HealthRates> = Object.freeze({ fever: 0.03, symptom: 0.08, positive: 0.01, tested: 0.6 });

export interface TravellerOptions {
  seed: number | string;
  /** Calendar day (WIB) ages are counted from, `YYYY-MM-DD`; defaults to today. */
  today?: string;
  /** Share of Banyuwangi residents coming home (~35 % in the regency's 2020 checkpoint data). */
  residentShare?: number;
  health?: Partial<HealthRates>;
}

/** A generated traveller: the scan input plus what the generator intended (for tests and reports). */
export interface Traveller {
  input: ScanInput;
  originRegencyCode: string;
  originDistrictCode: string;
  group: NameGroup;
  resident: boolean;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

// Travellers' ages: mostly working-age adults; children and elders travel too.
const AGE_BANDS: readonly (readonly [[number, number], number])[] = [
  [[1, 12], 8], [[13, 17], 6], [[18, 30], 30], [[31, 45], 28], [[46, 60], 19], [[61, 75], 7], [[76, 85], 2],
];

/** A birth date exactly `age` whole years before `today` (plain calendar arithmetic in UTC, no time zone). */
function birthDateFor(rng: Rng, today: string, age: number): string {
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  // The latest birthday that makes them `age` today, minus 0–364 days: still `age` years old.
  const latest = Date.UTC(y - age, m - 1, d);
  const date = new Date(latest - rng.int(0, 364) * 86_400_000);
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
}

/** `makeNik('35.10.21', 'P', '1990-07-01', 1)` → `'3510214107900001'` */
export function makeNik(districtCode: string, sex: Sex, birthDate: string, serial: number): string {
  const [yyyy, mm, dd] = birthDate.split('-') as [string, string, string];
  const day = Number(dd) + (sex === 'P' ? 40 : 0);
  return `${districtCode.replaceAll('.', '')}${pad(day)}${mm}${yyyy.slice(2)}${pad(serial, 4)}`;
}

function healthScreening(rng: Rng, rates: HealthRates): HealthScreening {
  const fever = rng.chance(rates.fever);
  const temperatureC = fever
    ? Math.round(Math.min(40.5, 37.5 + rng.exponential(0.6)) * 10) / 10
    : Math.round(Math.min(37.4, Math.max(35.5, rng.normal(36.6, 0.3))) * 10) / 10;
  const symptoms = new Set<(typeof SYMPTOMS)[number]>();
  if (fever && rng.chance(0.7)) symptoms.add('demam');
  if (fever || rng.chance(rates.symptom)) {
    const n = rng.int(1, 3);
    for (let i = 0; i < n; i++) symptoms.add(rng.pick(SYMPTOMS.filter((s) => s !== 'demam')));
  }
  const tested = rng.chance(rates.tested);
  // Sick travellers are likelier to test positive.
  const positiveP = Math.min(1, rates.positive * (symptoms.size > 0 ? 5 : 1));
  return {
    temperatureC,
    symptoms: [...symptoms],
    rapidTest: !tested ? 'tidak_dites' : rng.chance(positiveP) ? 'positif' : 'negatif',
    vaccinationDoses: rng.weighted([[0, 8], [1, 10], [2, 45], [3, 30], [4, 7]]),
  };
}

export class TravellerGenerator {
  readonly #world: World;
  readonly #rng: Rng;
  readonly #today: string;
  readonly #residentShare: number;
  readonly #rates: HealthRates;

  constructor(world: World, options: TravellerOptions) {
    this.#world = world;
    this.#rng = new Rng(options.seed);
    this.#today = options.today ?? todayWib();
    this.#residentShare = options.residentShare ?? 0.35;
    // Only defined overrides: `{ fever: undefined }` must keep the default, not erase it.
    const overrides = Object.entries(options.health ?? {}).filter(([, v]) => typeof v === 'number');
    this.#rates = { ...DEFAULT_HEALTH_RATES, ...Object.fromEntries(overrides) };
  }

  /** The next traveller; `checkpointId` shifts where they come from (Bali via Ketapang, Jakarta by air…). */
  next(checkpointId?: string): Traveller {
    const rng = this.#rng;
    const resident = rng.chance(this.#residentShare);
    const origin: OriginRegency = resident
      ? this.#world.home
      : rng.weighted(this.#world.origins.map((o) => [o, o.weight * (checkpointId ? (o.affinity[checkpointId] ?? 1) : 1)] as const));
    const district = rng.pick(origin.districts);
    const group = rng.weighted(origin.groups);
    const sex: Sex = rng.chance(0.5) ? 'L' : 'P';
    const [lo, hi] = rng.weighted(AGE_BANDS);
    const birthDate = birthDateFor(rng, this.#today, rng.int(lo, hi));
    const nik = makeNik(district.code, sex, birthDate, rng.int(1, 9999));
    // Residents mostly go home to a village of their own kecamatan.
    const villages = this.#world.villages;
    const own = resident ? villages.filter((v) => v.districtCode === district.code) : [];
    const village = own.length > 0 && rng.chance(0.8) ? rng.pick(own) : rng.pick(villages);
    const originAddress = `${streetAddress(rng)}, Kec. ${district.name}, ${origin.name}, ${origin.provinceName}`;
    return {
      input: {
        nik,
        name: personName(rng, group, sex),
        sex,
        birthDate,
        originAddress,
        destinationVillageCode: village.code,
        health: healthScreening(rng, this.#rates),
      },
      originRegencyCode: origin.code,
      originDistrictCode: district.code,
      group,
      resident,
    };
  }
}

/** `generateTravellers(loadWorld(), { seed: 42 }, 3)` → three travellers, the same three every time. */
export function generateTravellers(world: World, options: TravellerOptions, count: number, checkpointId?: string): Traveller[] {
  const gen = new TravellerGenerator(world, options);
  return Array.from({ length: count }, () => gen.next(checkpointId));
}
