/** NIK/KK parsing against the real Kemendagri codes (Node). Browser code uses `nik-core.ts` with its own lookup. */
import { parseKk as parseKkWith, parseNik as parseNikWith, todayWib, type NikFailure, type ParsedNik, type KkFailure, type ParsedKk } from './nik-core.ts';
import { loadRegions } from './regions.ts';

export * from './nik-core.ts';

/** `validateNik('3510214107900001').ok` → true */
export function validateNik(nik: string, today: string = todayWib()): ParsedNik | NikFailure {
  return parseNikWith(nik, loadRegions(), today);
}

/** `validateKk('3510212304150007').ok` → true */
export function validateKk(kk: string, today: string = todayWib()): ParsedKk | KkFailure {
  return parseKkWith(kk, loadRegions(), today);
}
