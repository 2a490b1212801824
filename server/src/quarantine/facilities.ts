/**
 * Quarantine facilities as data: DATA_DIR/server/quarantine-facilities.json, seeded on first start with
 * places in real Banyuwangi districts (operators edit it or POST /api/quarantine/facilities).
 * Written atomically (temp file + rename).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

export const FacilitySchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]{2,40}$/, 'id: 2–40 of a-z 0-9 -'),
  name: z.string().trim().min(2).max(100).refine((s) => !/[\u0000-\u001f<>]/.test(s), 'no control characters or < >'),
  districtCode: z.string().regex(/^35\.10\.\d{2}$/, 'a Banyuwangi district code like 35.10.16'),
  capacity: z.number().int().min(1).max(5000),
});
export type Facility = z.infer<typeof FacilitySchema>;
const FileSchema = z.strictObject({ facilities: z.array(FacilitySchema) });

export const SEED_FACILITIES: readonly Facility[] = [
  { id: 'rsud-blambangan', name: 'RSUD Blambangan (ruang isolasi)', districtCode: '35.10.16', capacity: 40 },
  { id: 'rsud-genteng', name: 'RSUD Genteng (ruang isolasi)', districtCode: '35.10.09', capacity: 30 },
  { id: 'gor-tawang-alun', name: 'GOR Tawang Alun', districtCode: '35.10.16', capacity: 120 },
  { id: 'hotel-ketapang', name: 'Hotel dekat Pelabuhan Ketapang', districtCode: '35.10.21', capacity: 60 },
  { id: 'gedung-muncar', name: 'Gedung Serbaguna Kecamatan Muncar', districtCode: '35.10.05', capacity: 50 },
  { id: 'gedung-kalibaru', name: 'Gedung Serbaguna Kecamatan Kalibaru', districtCode: '35.10.11', capacity: 25 },
];

export class FacilityFile {
  constructor(readonly file: string) {}

  load(): Facility[] {
    if (!existsSync(this.file)) {
      this.save([...SEED_FACILITIES]);
      return [...SEED_FACILITIES];
    }
    const r = FileSchema.safeParse(JSON.parse(readFileSync(this.file, 'utf8')));
    if (!r.success) throw new Error(`${this.file}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return r.data.facilities;
  }

  save(facilities: Facility[]): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ facilities }, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
