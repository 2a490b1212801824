/**
 * parseNik was made cheaper for the ingest hot path (issue 5: origin answers remembered per 6-digit
 * prefix, digits read without slicing, no Date per month length). This keeps the straightforward
 * version it replaced as the reference and compares both on many generated NIKs, valid and not.
 */
import { describe, expect, it } from 'vitest';
import { inferBirthYear, isValidDate, parseNik, type RegionLookup } from './nik-core.ts';
import { loadRegions } from './regions.ts';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function reference(nik: string, regions: RegionLookup, today: string) {
  if (typeof nik !== 'string' || !/^\d{16}$/.test(nik)) return { ok: false, error: 'format' };
  const pp = nik.slice(0, 2);
  const provinceName = regions.province(pp);
  if (!provinceName) return { ok: false, error: 'unknown_province' };
  let day = Number(nik.slice(6, 8));
  const month = Number(nik.slice(8, 10));
  const yy = Number(nik.slice(10, 12));
  let sex = 'L';
  if (day > 40) {
    sex = 'P';
    day -= 40;
  }
  const year = isValidDate(2000, month, day) ? inferBirthYear(yy, month, day, today) : 2000 + yy;
  if (!isValidDate(year, month, day)) return { ok: false, error: 'invalid_birth_date' };
  const serial = nik.slice(12);
  if (serial === '0000') return { ok: false, error: 'zero_serial' };
  const regencyCode = `${pp}.${nik.slice(2, 4)}`;
  const districtCode = `${regencyCode}.${nik.slice(4, 6)}`;
  const regencyName = regions.regency(regencyCode) ?? null;
  const districtName = regions.district(districtCode) ?? null;
  const warnings: string[] = [];
  if (!regencyName) warnings.push('unknown_regency');
  if (!districtName) warnings.push('unknown_district');
  return { ok: true, provinceCode: pp, provinceName, regencyCode, regencyName, districtCode, districtName, birthDate: `${year}-${pad(month)}-${pad(day)}`, sex, serial, warnings };
}

describe('parseNik agrees with the reference', () => {
  it('on 30,000 NIKs: real and unknown origins, every day/month edge, women, zero serials, junk', () => {
    const regions = loadRegions();
    const districts = [...regions.districts.map((d) => d.code.replaceAll('.', '')), '351099', '359901', '990101', '510101', '317101', '000000'];
    let seed = 5;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const todays = ['2026-11-28', '2000-02-29', '2099-12-31'];
    const differ: string[] = [];
    for (let i = 0; i < 30_000; i++) {
      const day = rnd(5) === 0 ? rnd(100) : 1 + rnd(31) + (rnd(2) ? 40 : 0);
      const month = rnd(6) === 0 ? rnd(100) : 1 + rnd(12);
      const serial = rnd(10) === 0 ? 0 : rnd(10_000);
      let nik = `${districts[rnd(districts.length)]}${pad(day)}${pad(month)}${pad(rnd(100))}${pad(serial, 4)}`;
      if (rnd(50) === 0) nik = nik.slice(1) + 'x';
      const today = todays[rnd(todays.length)]!;
      const got = parseNik(nik, regions, today);
      const want = reference(nik, regions, today);
      const g = got.ok ? got : { ok: false, error: got.error };
      if (JSON.stringify(g) !== JSON.stringify(want)) differ.push(`${nik}@${today}`);
    }
    expect(differ).toEqual([]);
  });

  it('uses a new lookup object afresh (answers are remembered per lookup)', () => {
    const a: RegionLookup = { province: () => 'A', regency: () => 'RA', district: () => undefined };
    const b: RegionLookup = { province: () => 'B', regency: () => undefined, district: () => 'DB' };
    expect(parseNik('3510211503850002', a, '2026-11-28')).toMatchObject({ provinceName: 'A', regencyName: 'RA', districtName: null });
    expect(parseNik('3510211503850002', b, '2026-11-28')).toMatchObject({ provinceName: 'B', regencyName: null, districtName: 'DB' });
  });
});
