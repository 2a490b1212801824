/**
 * Quarantine facilities as data (the `quarantine_facilities` table), seeded on first start with places
 * in real Banyuwangi districts; operators add or change them with POST /api/quarantine/facilities.
 */
import { z } from 'zod';

export const FacilitySchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]{2,40}$/, 'id: 2–40 of a-z 0-9 -'),
  name: z.string().trim().min(2).max(100).refine((s) => !/[\u0000-\u001f<>]/.test(s), 'no control characters or < >'),
  districtCode: z.string().regex(/^35\.10\.\d{2}$/, 'a Banyuwangi district code like 35.10.16'),
  capacity: z.number().int().min(1).max(5000),
});
export type Facility = z.infer<typeof FacilitySchema>;
/** DATA_DIR/server/quarantine-facilities.json of the journal-keeping versions (legacy-import.ts). */
export const LegacyFacilityFileSchema = z.strictObject({ facilities: z.array(FacilitySchema) });

export const SEED_FACILITIES: readonly Facility[] = [
  { id: 'rsud-blambangan', name: 'RSUD Blambangan (ruang isolasi)', districtCode: '35.10.16', capacity: 40 },
  { id: 'rsud-genteng', name: 'RSUD Genteng (ruang isolasi)', districtCode: '35.10.09', capacity: 30 },
  { id: 'gor-tawang-alun', name: 'GOR Tawang Alun', districtCode: '35.10.16', capacity: 120 },
  { id: 'hotel-ketapang', name: 'Hotel dekat Pelabuhan Ketapang', districtCode: '35.10.21', capacity: 60 },
  { id: 'gedung-muncar', name: 'Gedung Serbaguna Kecamatan Muncar', districtCode: '35.10.05', capacity: 50 },
  { id: 'gedung-kalibaru', name: 'Gedung Serbaguna Kecamatan Kalibaru', districtCode: '35.10.11', capacity: 25 },
];
