/** The bansos programmes as data (issue 6), apart from aid.ts's zod schemas so a browser bundle takes them without zod. */
export type AidPeriodKind = 'monthly' | 'quarterly' | 'yearly';
export type AidUnit = 'person' | 'household';

export interface AidProgramme {
  id: string;
  name: string;
  period: AidPeriodKind;
  unit: AidUnit;
  /** Programmes a recipient (same NIK, or same KK for household units) may not also get in the same period. */
  conflicts: readonly string[];
}

/**
 * The programmes. Conflicts are symmetric (checked both ways). BPNT ⟂ BST follows the Kemensos rule
 * that a BPNT family does not also receive BST; BLT Dana Desa goes to families not covered by
 * PKH/BPNT/BST (Permendes 6/2020).
 */
export const AID_PROGRAMMES: readonly AidProgramme[] = Object.freeze([
  { id: 'blt-dd', name: 'BLT Dana Desa', period: 'monthly', unit: 'household', conflicts: ['pkh', 'bpnt', 'bst'] },
  { id: 'bst', name: 'BST Kemensos', period: 'monthly', unit: 'household', conflicts: ['bpnt', 'blt-dd'] },
  { id: 'pkh', name: 'PKH', period: 'quarterly', unit: 'household', conflicts: ['blt-dd'] },
  { id: 'bpnt', name: 'BPNT / Sembako', period: 'monthly', unit: 'household', conflicts: ['bst', 'blt-dd'] },
  { id: 'bansos-bwi', name: 'Bansos Kabupaten Banyuwangi', period: 'monthly', unit: 'person', conflicts: [] },
]);
