import { describe, expect, it } from 'vitest';
import { loadRegions } from '@sk/protocol/regions';
import { validateNik } from '@sk/protocol/nik';
import { cardAddress, CARD_VARIANTS, ktpCardHtml, ktpFields } from './ktp-card.ts';
import { Rng } from './rng.ts';
import { TravellerGenerator } from './travellers.ts';
import { loadWorld } from './world.ts';

const today = '2026-12-06';
const regions = loadRegions();
const names = (d: string) => ({ province: regions.province(d.slice(0, 2))!, regency: regions.regency(d.slice(0, 5))!, district: regions.district(d)! });

describe('KTP-like cards', () => {
  it('print what the NIK says: birth date, sex, the district of registration, in the KTP layout', () => {
    const gen = new TravellerGenerator(loadWorld(), { seed: 'cards', today });
    const rng = new Rng('cards');
    for (let i = 0; i < 200; i++) {
      const t = gen.next();
      const f = ktpFields(t, names(t.originDistrictCode), rng, today);
      const nik = validateNik(f.nik, today);
      expect(nik.ok).toBe(true);
      if (!nik.ok) continue;
      expect(f.tanggalLahir.split('-').reverse().join('-')).toBe(nik.birthDate);
      expect(f.jenisKelamin).toBe(nik.sex === 'L' ? 'LAKI-LAKI' : 'PEREMPUAN');
      expect(f.kecamatan).toBe(nik.districtName!.toUpperCase());
      expect(f.provinsi).toMatch(/^PROVINSI /);
      expect(cardAddress(f)).toContain(`KEC. ${f.kecamatan}`);
    }
  });

  it.each(CARD_VARIANTS)('draws the %s variant with every label of the KTP and a photo box marked SPESIMEN', (variant) => {
    const t = new TravellerGenerator(loadWorld(), { seed: variant, today }).next();
    const html = ktpCardHtml(ktpFields(t, names(t.originDistrictCode), new Rng(1), today), variant, new Rng(2));
    for (const label of ['NIK', 'Nama', 'Tempat/Tgl Lahir', 'Jenis Kelamin', 'Alamat', 'RT/RW', 'Kel/Desa', 'Kecamatan', 'Agama', 'Status Perkawinan', 'Pekerjaan', 'Kewarganegaraan', 'Berlaku Hingga', 'SPESIMEN']) {
      expect(html).toContain(label);
    }
  });

  it('prints a name carrying HTML as text', () => {
    const t = new TravellerGenerator(loadWorld(), { seed: 1, today }).next();
    const html = ktpCardHtml({ ...ktpFields(t, names(t.originDistrictCode), new Rng(1), today), nama: '<img src=x>' }, 'clean', new Rng(1));
    expect(html).not.toContain('<img src=x>');
    expect(html).toContain('&#60;img src=x&#62;');
  });
});
