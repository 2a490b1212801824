/**
 * Kemendagri region codes from the `idn-area-data` package (never a hand-typed list).
 * Node only: reads the package's CSV files once, synchronously, on first use (~40 ms).
 * All provinces, regencies and districts of Indonesia; villages of Banyuwangi only (35.10),
 * the destinations a checkpoint scan can name.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { RegionLookup } from './nik-core.ts';
import { REGENCY_CODE } from './checkpoints.ts';

export interface Village { code: string; name: string; districtCode: string; districtName: string; kind: 'desa' | 'kelurahan' }
export interface District { code: string; name: string }

export interface Regions extends RegionLookup {
  /** Banyuwangi's districts (kecamatan), by code. */
  readonly districts: readonly District[];
  /** Banyuwangi's villages (desa and kelurahan). */
  readonly villages: readonly Village[];
  village(code: string): Village | undefined;
  /** All regencies of Indonesia: code → name (for origin statistics and the simulators). */
  readonly regencies: ReadonlyMap<string, string>;
  readonly provinces: ReadonlyMap<string, string>;
}

function dataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('idn-area-data/package.json')), 'data');
}

/** Parses the package's simple CSV (quoted fields only in islands.csv, which we do not read). */
function rows(file: string): string[][] {
  const text = readFileSync(join(dataDir(), file), 'utf8');
  const lines = text.split(/\r?\n/);
  const out: string[][] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (!line) continue;
    out.push(line.split(',').map((f) => f.replace(/^"|"$/g, '')));
  }
  return out;
}

let cached: Regions | undefined;

/** `loadRegions().district('35.10.21')` → `'Kalipuro'` */
export function loadRegions(): Regions {
  if (cached) return cached;
  const provinces = new Map<string, string>();
  for (const [code, name] of rows('provinces.csv')) if (code && name) provinces.set(code, name);
  const regencies = new Map<string, string>();
  for (const [code, , name] of rows('regencies.csv')) if (code && name) regencies.set(code, name);
  const districtNames = new Map<string, string>();
  for (const [code, , name] of rows('districts.csv')) if (code && name) districtNames.set(code, name);

  const prefix = `${REGENCY_CODE}.`;
  const districts: District[] = [...districtNames]
    .filter(([code]) => code.startsWith(prefix))
    .map(([code, name]) => ({ code, name }));
  const villages: Village[] = [];
  for (const [code, districtCode, name] of rows('villages.csv')) {
    if (!code || !districtCode || !name || !code.startsWith(prefix)) continue;
    // Kemendagri village codes: the 4-digit serial starts with 1 for a kelurahan, 2 for a desa.
    const kind = code.slice(-4).startsWith('1') ? 'kelurahan' : 'desa';
    villages.push({ code, name, districtCode, districtName: districtNames.get(districtCode) ?? '', kind });
  }
  const villageByCode = new Map(villages.map((v) => [v.code, v]));
  cached = Object.freeze({
    province: (c: string) => provinces.get(c),
    regency: (c: string) => regencies.get(c),
    district: (c: string) => districtNames.get(c),
    village: (c: string) => villageByCode.get(c),
    districts: Object.freeze(districts),
    villages: Object.freeze(villages),
    regencies,
    provinces,
  });
  return cached;
}
