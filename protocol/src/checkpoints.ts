/**
 * The regency's four entry checkpoints. District codes are Kemendagri codes (idn-area-data),
 * checked against that list in protocol tests.
 */
export interface Checkpoint {
  id: string;
  name: string;
  kind: 'pelabuhan' | 'jalan' | 'bandara';
  districtCode: string;
  /** What a traveller is coming from, for the console's schematic map. */
  gateway: string;
}

export const CHECKPOINTS: readonly Checkpoint[] = Object.freeze([
  { id: 'ketapang', name: 'Pelabuhan Ketapang', kind: 'pelabuhan', districtCode: '35.10.21', gateway: 'Bali (Gilimanuk)' },
  { id: 'wongsorejo', name: 'Wongsorejo', kind: 'jalan', districtCode: '35.10.18', gateway: 'Situbondo' },
  { id: 'kalibaru', name: 'Kalibaru', kind: 'jalan', districtCode: '35.10.11', gateway: 'Jember' },
  { id: 'blimbingsari', name: 'Bandara Blimbingsari', kind: 'bandara', districtCode: '35.10.25', gateway: 'Jakarta, Surabaya' },
]);

export const CHECKPOINT_IDS = CHECKPOINTS.map((c) => c.id);

/** `checkpointById('kalibaru')?.name` → `'Kalibaru'` */
export function checkpointById(id: string): Checkpoint | undefined {
  return CHECKPOINTS.find((c) => c.id === id);
}

/** Banyuwangi regency's Kemendagri code. */
export const REGENCY_CODE = '35.10';
