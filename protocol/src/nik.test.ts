import { describe, expect, it } from 'vitest';
import { maskNik, parseNik, type RegionLookup } from './nik-core.ts';
import { validateKk, validateNik } from './nik.ts';
import { loadRegions } from './regions.ts';

const TODAY = '2026-11-28';

describe('validateNik against the real Kemendagri codes', () => {
  it('decodes a man from Kalipuro, Banyuwangi', () => {
    const r = validateNik('3510211503850002', TODAY);
    expect(r).toMatchObject({ ok: true, sex: 'L', birthDate: '1985-03-15', provinceName: 'Jawa Timur', regencyName: 'Kabupaten Banyuwangi', districtName: 'Kalipuro', serial: '0002', warnings: [] });
  });

  it.each([
    ['3510214107900001', 'P', '1990-07-01'], // day 41 = 1st, a woman
    ['3510217112990001', 'P', '1999-12-31'], // day 71 = 31st
    ['5171015508020003', 'P', '2002-08-15'], // Denpasar Selatan, Bali
    ['3578010101000001', 'L', '2000-01-01'], // Surabaya
    ['3510216902040001', 'P', '2004-02-29'], // leap day, a woman
    ['3510212902960001', 'L', '1996-02-29'], // leap day, a man
  ])('%s is %s born %s', (nik, sex, birthDate) => {
    expect(validateNik(nik, TODAY)).toMatchObject({ ok: true, sex, birthDate });
  });

  it.each([
    ['351021150385000', 'format'], // 15 digits
    ['35102115038500021', 'format'], // 17 digits
    ['35102115038500a2', 'format'],
    [' 3510211503850002', 'format'],
    ['', 'format'],
    ['9910211503850002', 'unknown_province'],
    ['0010211503850002', 'unknown_province'],
    ['3510213202850002', 'invalid_birth_date'], // day 32
    ['3510217202850002', 'invalid_birth_date'], // day 72 (woman 32)
    ['3510214002850002', 'invalid_birth_date'], // day 40 = woman's day 0
    ['3510210002850002', 'invalid_birth_date'], // day 0
    ['3510211513850002', 'invalid_birth_date'], // month 13
    ['3510211500850002', 'invalid_birth_date'], // month 0
    ['3510213102850002', 'invalid_birth_date'], // 31 February
    ['3510212902950002', 'invalid_birth_date'], // 29 Feb 1995, not a leap year
    ['3510213104850002', 'invalid_birth_date'], // 31 April
    ['3510211503850000', 'zero_serial'],
  ])('%s is rejected: %s', (nik, error) => {
    const r = validateNik(nik, TODAY);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toBe(error);
      expect(r.message.length).toBeGreaterThan(10);
    }
  });

  it('rejects non-strings without throwing', () => {
    expect(validateNik(3510211503850002 as unknown as string).ok).toBe(false);
    expect(validateNik(null as unknown as string).ok).toBe(false);
  });

  it('keeps a person whose regency or district code is no longer in the list, with a warning', () => {
    const r = validateNik('3599011503850002', TODAY); // province 35 exists, regency 35.99 does not
    expect(r).toMatchObject({ ok: true, regencyName: null, districtName: null, warnings: ['unknown_regency', 'unknown_district'] });
    const d = validateNik('3510991503850002', TODAY);
    expect(d).toMatchObject({ ok: true, regencyName: 'Kabupaten Banyuwangi', districtName: null, warnings: ['unknown_district'] });
  });
});

describe('century inference: nobody is born in the future', () => {
  const regions: RegionLookup = { province: () => 'P', regency: () => 'R', district: () => 'D' };
  it.each([
    ['2026-11-28', '281126', '2026-11-28'], // born today
    ['2026-11-28', '291126', '1926-11-29'], // tomorrow in 2026 → 1926
    ['2026-11-28', '010100', '2000-01-01'],
    ['2026-11-28', '010199', '1999-01-01'],
    ['2026-11-28', '010127', '1927-01-01'],
    ['2000-01-01', '010100', '2000-01-01'],
    ['2000-01-01', '020100', '1900-01-02'],
  ])('on %s, DDMMYY %s is %s', (today, ddmmyy, birthDate) => {
    expect(parseNik(`351021${ddmmyy}0001`, regions, today)).toMatchObject({ ok: true, birthDate });
  });

  it('29 February of a year whose inferred century is not leap is rejected (1900)', () => {
    // today 2000-01-01: "290200" → 29 Feb 2000 is in the future → 1900, not a leap year
    expect(parseNik('3510212902000001', regions, '2000-01-01')).toMatchObject({ ok: false, error: 'invalid_birth_date' });
  });

  it('birth dates are plain strings, not shifted by a time zone', () => {
    const r = parseNik('3510210101900001', regions, TODAY);
    expect(r).toMatchObject({ birthDate: '1990-01-01' });
  });
});

describe('KK (family card) numbers', () => {
  it('decodes a valid KK', () => {
    expect(validateKk('3510212304150007', TODAY)).toMatchObject({ ok: true, issuedOn: '2015-04-23', districtCode: '35.10.21' });
  });
  it.each([
    ['351021230415000', 'format'],
    ['9910212304150007', 'unknown_province'],
    ['3510216304150007', 'invalid_issue_date'], // KK dates have no +40
    ['3510212304150000', 'zero_serial'],
  ])('%s → %s', (kk, error) => {
    expect(validateKk(kk, TODAY)).toMatchObject({ ok: false, error });
  });
});

describe('masking and regions', () => {
  it('masks the birth date and serial of a NIK', () => {
    expect(maskNik('3510214107900001')).toBe('351021********01');
    expect(maskNik('short')).toBe('****************');
  });

  it('has Banyuwangi: 25 districts and 217 villages (189 desa, 28 kelurahan)', () => {
    const r = loadRegions();
    expect(r.districts).toHaveLength(25);
    expect(r.villages).toHaveLength(217);
    expect(r.villages.filter((v) => v.kind === 'kelurahan')).toHaveLength(28);
    expect(r.villages.filter((v) => v.kind === 'desa')).toHaveLength(189);
    expect(r.villages.every((v) => v.districtName.length > 0)).toBe(true);
  });
});
