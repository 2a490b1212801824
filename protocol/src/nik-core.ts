/**
 * NIK (Nomor Induk Kependudukan) and KK (Kartu Keluarga number) parsing, from the official layout
 * (Permendagri 2019 on the KTP-el): 16 digits `PP RR DD ddmmyy SSSS`.
 *
 *   PP province, RR regency/city, DD district (kecamatan) where the NIK was *first* registered,
 *   ddmmyy birth date — women add 40 to the day (41–71) — and SSSS a serial from 0001.
 *
 * A NIK never changes when its region is reorganised, so a regency or district code that is not in
 * today's Kemendagri list is reported as a warning, not a rejection: the person is not locked out.
 * An unknown *province* code is rejected: province codes are never retired.
 *
 * Pure: no I/O. Region names come from a {@link RegionLookup} (see `regions.ts`, built on idn-area-data).
 */
import { memoPerOwner } from './memo.ts';

export interface RegionLookup {
  province(code: string): string | undefined;
  regency(code: string): string | undefined;
  district(code: string): string | undefined;
}

export type NikError =
  | 'format'          // not exactly 16 digits
  | 'unknown_province'
  | 'invalid_birth_date'
  | 'zero_serial';

export type NikWarning = 'unknown_regency' | 'unknown_district';

export interface ParsedNik {
  ok: true;
  provinceCode: string;
  provinceName: string;
  regencyCode: string;
  regencyName: string | null;
  districtCode: string;
  districtName: string | null;
  /** Plain calendar date `YYYY-MM-DD` (never a JS Date: a local-midnight Date printed in UTC shows the day before). */
  birthDate: string;
  sex: 'L' | 'P';
  serial: string;
  warnings: NikWarning[];
}

export interface NikFailure {
  ok: false;
  error: NikError;
  /** A sentence for the officer, in Bahasa Indonesia. */
  message: string;
}

const MESSAGES: Record<NikError, string> = {
  format: 'NIK harus tepat 16 angka',
  unknown_province: 'Kode provinsi pada NIK tidak dikenal',
  invalid_birth_date: 'Tanggal lahir pada NIK tidak mungkin',
  zero_serial: 'Nomor urut pada NIK tidak boleh 0000',
};

/** English text for each NIK error, for the console's English toggle and CLI output. */
export const NIK_ERROR_EN: Record<NikError, string> = {
  format: 'a NIK is exactly 16 digits',
  unknown_province: 'the province code of the NIK is unknown',
  invalid_birth_date: 'the birth date in the NIK is impossible',
  zero_serial: 'the serial number of the NIK must not be 0000',
};

function fail(error: NikError, detail?: string): NikFailure {
  return { ok: false, error, message: detail ? `${MESSAGES[error]} (${detail})` : MESSAGES[error] };
}

const MONTH_DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Gregorian month length, as `Date.UTC` computes it — without a Date per call on the scan hot path. */
function daysInMonth(year: number, month: number): number {
  if (Number.isInteger(year) && Math.abs(year) < 100_000 && Number.isInteger(month) && month >= 1 && month <= 12) {
    if (month !== 2) return MONTH_DAYS[month]!;
    const y = year >= 0 && year <= 99 ? 1900 + year : year; // Date.UTC reads years 0–99 as 1900–1999
    return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  }
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** `isValidDate(2024, 2, 29)` → true; `isValidDate(2023, 2, 29)` → false */
export function isValidDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `today` (YYYY-MM-DD) as the number yyyymmdd, remembered for the last string seen (it is the same all day). */
let lastToday = '';
let lastTodayNum = 0;
function todayNumber(today: string): number {
  if (today !== lastToday) {
    const [ty, tm, td] = today.split('-').map(Number) as [number, number, number];
    lastTodayNum = ty * 10_000 + tm * 100 + td;
    lastToday = today;
  }
  return lastTodayNum;
}

/**
 * The NIK has a two-digit year: the century is the one that puts the birth date not in the future
 * relative to `today` (a traveller is not born tomorrow).
 */
export function inferBirthYear(yy: number, month: number, day: number, today: string): number {
  const t = todayNumber(today);
  const candidate = Math.floor(t / 1_000_000) * 100 + yy;
  // yyyymmdd numbers order like the ISO dates they stand for (month and day are below 100).
  return candidate * 10_000 + month * 100 + day > t ? candidate - 100 : candidate;
}

const DAY_MS = 86_400_000;
const WIB_OFFSET_MS = 7 * 3600_000;
// The WIB day [start, end) in epoch ms whose date is `cachedDay`: the hot path asks on every scan
// and the answer only changes at midnight WIB, so it is computed once a day (exactly, not approximately).
let cachedDay = '';
let cachedStart = 0;
let cachedEnd = 0;

/** Today's calendar date in Asia/Jakarta (WIB), `YYYY-MM-DD`. `todayWib(new Date('2026-11-28T17:00:00Z'))` → `'2026-11-29'` */
export function todayWib(now?: Date): string {
  const ms = now === undefined ? Date.now() : now.getTime();
  if (ms >= cachedStart && ms < cachedEnd) return cachedDay;
  const day = new Date(ms + WIB_OFFSET_MS).toISOString().slice(0, 10); // throws on an invalid Date, as before
  cachedStart = Math.floor((ms + WIB_OFFSET_MS) / DAY_MS) * DAY_MS - WIB_OFFSET_MS;
  cachedEnd = cachedStart + DAY_MS;
  cachedDay = day;
  return day;
}

/** What the first six digits of a NIK say (province, regency, district), looked up once per prefix. */
interface Origin {
  provinceCode: string;
  provinceName: string | undefined;
  regencyCode: string;
  regencyName: string | null;
  districtCode: string;
  districtName: string | null;
}

// A checkpoint sees the same few hundred origin prefixes all day: remembering the answers saves three
// lookups keyed by freshly built strings per scan (issue 5). Per lookup object, bounded; a lookup's
// answers must not change while it is in use (the Kemendagri codes are static data).
const originMemo = memoPerOwner<RegionLookup, Origin>(20_000);

function originOf(nik: string, regions: RegionLookup): Origin {
  return originMemo(regions, nik.slice(0, 6), () => {
    const pp = nik.slice(0, 2);
    const provinceName = regions.province(pp);
    const regencyCode = `${pp}.${nik.slice(2, 4)}`;
    const districtCode = `${regencyCode}.${nik.slice(4, 6)}`;
    return provinceName === undefined
      ? { provinceCode: pp, provinceName, regencyCode, regencyName: null, districtCode, districtName: null }
      : { provinceCode: pp, provinceName, regencyCode, regencyName: regions.regency(regencyCode) ?? null, districtCode, districtName: regions.district(districtCode) ?? null };
  });
}

/** `'01'`…`'99'`: two-digit texts for months and days without a padStart per call. */
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => pad(i));
/** The number formed by the digits at `i` and `i + 1` (the caller has checked they are digits). */
const twoDigits = (s: string, i: number) => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;

/**
 * `parseNik('3510214107900001', regions)` → `{ ok: true, sex: 'P', birthDate: '1990-07-01', districtName: 'Kalipuro', … }`
 *
 * `today` (YYYY-MM-DD) fixes the century inference; it defaults to today in WIB.
 */
export function parseNik(nik: string, regions: RegionLookup, today: string = todayWib()): ParsedNik | NikFailure {
  if (typeof nik !== 'string' || !/^\d{16}$/.test(nik)) return fail('format');
  const origin = originOf(nik, regions);
  const provinceName = origin.provinceName;
  if (!provinceName) return fail('unknown_province', origin.provinceCode);

  let day = twoDigits(nik, 6);
  const month = twoDigits(nik, 8);
  const yy = twoDigits(nik, 10);
  let sex: 'L' | 'P' = 'L';
  if (day > 40) {
    sex = 'P';
    day -= 40;
  }
  // Any year works for the check except Feb 29, which needs a leap year: test against the inferred one.
  const year = isValidDate(2000, month, day) ? inferBirthYear(yy, month, day, today) : 2000 + yy;
  if (!isValidDate(year, month, day)) return fail('invalid_birth_date', `${nik.slice(6, 8)}-${nik.slice(8, 10)}-${nik.slice(10, 12)}`);

  const serial = nik.slice(12);
  if (serial === '0000') return fail('zero_serial');

  const { regencyCode, regencyName, districtCode, districtName } = origin;
  const warnings: NikWarning[] = [];
  if (!regencyName) warnings.push('unknown_regency');
  if (!districtName) warnings.push('unknown_district');
  return {
    ok: true,
    provinceCode: origin.provinceCode,
    provinceName,
    regencyCode,
    regencyName,
    districtCode,
    districtName,
    birthDate: `${year}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}`,
    sex,
    serial,
    warnings,
  };
}

export type KkError = 'format' | 'unknown_province' | 'invalid_issue_date' | 'zero_serial';
export interface ParsedKk { ok: true; provinceCode: string; regencyCode: string; districtCode: string; issuedOn: string; serial: string }
export interface KkFailure { ok: false; error: KkError; message: string }

/**
 * KK (family card) number: 16 digits `PP RR DD ddmmyy SSSS`, region where it was issued, issue date
 * (no +40), serial. `parseKk('3510212304150007', regions)` → `{ ok: true, issuedOn: '2015-04-23', … }`
 */
export function parseKk(kk: string, regions: RegionLookup, today: string = todayWib()): ParsedKk | KkFailure {
  if (typeof kk !== 'string' || !/^\d{16}$/.test(kk)) return { ok: false, error: 'format', message: 'Nomor KK harus tepat 16 angka' };
  const pp = kk.slice(0, 2);
  if (!regions.province(pp)) return { ok: false, error: 'unknown_province', message: `Kode provinsi pada KK tidak dikenal (${pp})` };
  const day = Number(kk.slice(6, 8));
  const month = Number(kk.slice(8, 10));
  const yy = Number(kk.slice(10, 12));
  const year = isValidDate(2000, month, day) ? inferBirthYear(yy, month, day, today) : 2000 + yy;
  if (!isValidDate(year, month, day)) return { ok: false, error: 'invalid_issue_date', message: 'Tanggal terbit pada KK tidak mungkin' };
  const serial = kk.slice(12);
  if (serial === '0000') return { ok: false, error: 'zero_serial', message: 'Nomor urut pada KK tidak boleh 0000' };
  return { ok: true, provinceCode: pp, regencyCode: `${pp}.${kk.slice(2, 4)}`, districtCode: `${pp}.${kk.slice(2, 4)}.${kk.slice(4, 6)}`, issuedOn: `${year}-${pad(month)}-${pad(day)}`, serial };
}

/** `maskNik('3510214107900001')` → `'351021********01'`: region kept, birth date and most of the serial hidden. */
export function maskNik(nik: string): string {
  return nik.length === 16 ? `${nik.slice(0, 6)}********${nik.slice(14)}` : '****************';
}
