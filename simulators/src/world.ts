/**
 * The simulators' view of Indonesia: where travellers come from (regencies with their real
 * Kemendagri district codes) and where they go (Banyuwangi's villages). Reads idn-area-data once;
 * everything downstream (travellers.ts) is pure and takes a World.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { REGENCY_CODE } from '@sk/protocol';
import { loadRegions, type District, type Village } from '@sk/protocol/regions';
import type { NameGroup } from './names.ts';

export interface OriginRegency {
  code: string;
  name: string;
  provinceName: string;
  /** Relative share among non-resident travellers. */
  weight: number;
  /** Which name traditions its people carry, with weights. */
  groups: readonly (readonly [NameGroup, number])[];
  /** Checkpoints its travellers favour (multiplier on weight there). */
  affinity: Readonly<Record<string, number>>;
  districts: readonly District[];
}

export interface World {
  home: OriginRegency;
  origins: readonly OriginRegency[];
  villages: readonly Village[];
}

type OriginSpec = Omit<OriginRegency, 'name' | 'provinceName' | 'districts'>;

const BALI: OriginSpec['groups'] = [['bali', 85], ['muslim', 10], ['jawa', 5]];
const TAPAL_KUDA: OriginSpec['groups'] = [['madura', 55], ['muslim', 30], ['jawa', 15]];
const ARE_KULON: OriginSpec['groups'] = [['jawa', 45], ['muslim', 30], ['umum', 15], ['madura', 10]];
const JAKARTA: OriginSpec['groups'] = [['umum', 45], ['muslim', 30], ['jawa', 25]];

/** Banyuwangi residents returning home: their own mix of Osing, Javanese and Madurese. */
const HOME: OriginSpec = { code: REGENCY_CODE, weight: 0, groups: [['osing', 40], ['jawa', 30], ['madura', 20], ['muslim', 10]], affinity: {} };

const ORIGINS: readonly OriginSpec[] = [
  { code: '51.01', weight: 6, groups: BALI, affinity: { ketapang: 5, blimbingsari: 0.2 } }, // Jembrana, across the strait
  { code: '51.71', weight: 6, groups: BALI, affinity: { ketapang: 4, blimbingsari: 0.3 } }, // Denpasar
  { code: '51.03', weight: 4, groups: BALI, affinity: { ketapang: 4, blimbingsari: 0.3 } }, // Badung
  { code: '51.08', weight: 3, groups: BALI, affinity: { ketapang: 4, blimbingsari: 0.2 } }, // Buleleng
  { code: '51.02', weight: 2, groups: BALI, affinity: { ketapang: 4, blimbingsari: 0.2 } }, // Tabanan
  { code: '51.04', weight: 2, groups: BALI, affinity: { ketapang: 4, blimbingsari: 0.2 } }, // Gianyar
  { code: '35.09', weight: 8, groups: TAPAL_KUDA, affinity: { kalibaru: 4, ketapang: 0.3 } }, // Jember
  { code: '35.12', weight: 6, groups: TAPAL_KUDA, affinity: { wongsorejo: 5, ketapang: 0.3 } }, // Situbondo
  { code: '35.11', weight: 4, groups: TAPAL_KUDA, affinity: { wongsorejo: 3, kalibaru: 2, ketapang: 0.3 } }, // Bondowoso
  { code: '35.78', weight: 8, groups: ARE_KULON, affinity: { wongsorejo: 3, blimbingsari: 3, ketapang: 0.3 } }, // Surabaya
  { code: '35.07', weight: 3, groups: ARE_KULON, affinity: { kalibaru: 3, ketapang: 0.3 } }, // Kab. Malang
  { code: '35.73', weight: 3, groups: ARE_KULON, affinity: { kalibaru: 3, ketapang: 0.3 } }, // Kota Malang
  { code: '31.71', weight: 2, groups: JAKARTA, affinity: { blimbingsari: 6, ketapang: 0.3 } },
  { code: '31.72', weight: 2, groups: JAKARTA, affinity: { blimbingsari: 6, ketapang: 0.3 } },
  { code: '31.73', weight: 2, groups: JAKARTA, affinity: { blimbingsari: 6, ketapang: 0.3 } },
  { code: '31.74', weight: 2, groups: JAKARTA, affinity: { blimbingsari: 6, ketapang: 0.3 } },
  { code: '31.75', weight: 2, groups: JAKARTA, affinity: { blimbingsari: 6, ketapang: 0.3 } },
];

/** District codes of every regency, from idn-area-data's districts.csv (protocol only lists Banyuwangi's). */
function districtsByRegency(): Map<string, District[]> {
  const require = createRequire(import.meta.url);
  const file = join(dirname(require.resolve('idn-area-data/package.json')), 'data', 'districts.csv');
  const out = new Map<string, District[]>();
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/).slice(1)) {
    const [code, regency, name] = line.split(',').map((f) => f.replace(/^"|"$/g, ''));
    if (!code || !regency || !name) continue;
    const list = out.get(regency) ?? [];
    list.push({ code, name });
    out.set(regency, list);
  }
  return out;
}

let cached: World | undefined;

/** `loadWorld().origins.find(o => o.code === '51.01')?.districts.length` → Jembrana's 5 kecamatan. */
export function loadWorld(): World {
  if (cached) return cached;
  const regions = loadRegions();
  const byRegency = districtsByRegency();
  const build = (spec: OriginSpec): OriginRegency => {
    const name = regions.regency(spec.code);
    const provinceName = regions.province(spec.code.slice(0, 2));
    // Only codes both lists agree on, so every NIK we make decodes back to a named district.
    const districts = (byRegency.get(spec.code) ?? []).filter((d) => regions.district(d.code) !== undefined);
    if (!name || !provinceName || districts.length === 0) throw new Error(`origin regency ${spec.code} missing from idn-area-data`);
    return Object.freeze({ ...spec, name, provinceName, districts: Object.freeze(districts) });
  };
  cached = Object.freeze({ home: build(HOME), origins: Object.freeze(ORIGINS.map(build)), villages: regions.villages });
  return cached;
}
