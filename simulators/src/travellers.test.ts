import { describe, expect, it } from 'vitest';
import { todayWib } from '@sk/protocol';
import { validateNik } from '@sk/protocol/nik';
import { checkScanInput } from '@sk/protocol/validate';
import { generateTravellers, makeNik } from './travellers.ts';
import { loadWorld } from './world.ts';

const world = loadWorld();
const today = todayWib();

describe('travellers', () => {
  it('same seed gives the same travellers, another seed different ones', () => {
    const a = generateTravellers(world, { seed: 7, today }, 200);
    expect(generateTravellers(world, { seed: 7, today }, 200)).toEqual(a);
    expect(generateTravellers(world, { seed: 8, today }, 200)).not.toEqual(a);
  });

  it('makes the NIK of the KTP layout (women day + 40)', () => {
    expect(makeNik('35.10.21', 'P', '1990-07-01', 1)).toBe('3510214107900001');
    expect(makeNik('51.71.02', 'L', '2003-12-31', 9999)).toBe('5171023112039999');
  });

  it('10k NIKs are valid and decode to the intended sex, birth date and district; every input is accepted', () => {
    const travellers = generateTravellers(world, { seed: 'kampung', today }, 10_000);
    const failures: string[] = [];
    for (const t of travellers) {
      const nik = validateNik(t.input.nik, today);
      if (!nik.ok) failures.push(`invalid: ${nik.error}`);
      else if (nik.sex !== t.input.sex || nik.birthDate !== t.input.birthDate || nik.districtCode !== t.originDistrictCode || nik.warnings.length > 0) {
        failures.push(`mismatch ${nik.sex}/${nik.birthDate}/${nik.districtCode}`);
      }
      const checked = checkScanInput(t.input);
      if (!checked.ok) failures.push(`${checked.reason}: ${checked.message}`);
      const serial = Number(t.input.nik.slice(12));
      if (serial < 1 || serial > 9999) failures.push('serial');
      const age = Number(today.slice(0, 4)) - Number(t.input.birthDate.slice(0, 4));
      if (age < 1 || age > 86) failures.push(`age ${age}`);
    }
    expect(failures.slice(0, 5)).toEqual([]);
    expect(new Set(travellers.map((t) => t.input.nik)).size).toBeGreaterThan(9_900);
  });

  it('about 35 % are Banyuwangi residents, the rest from real origins; Ketapang sees mostly Bali', () => {
    const all = generateTravellers(world, { seed: 1, today }, 4000);
    const residents = all.filter((t) => t.resident && t.originRegencyCode === '35.10').length / all.length;
    expect(residents).toBeGreaterThan(0.31);
    expect(residents).toBeLessThan(0.39);
    const ketapang = generateTravellers(world, { seed: 1, today }, 4000, 'ketapang').filter((t) => !t.resident);
    const bali = ketapang.filter((t) => t.originRegencyCode.startsWith('51.')).length / ketapang.length;
    expect(bali).toBeGreaterThan(0.6);
    expect(ketapang.some((t) => t.input.name.startsWith('I ') || t.input.name.startsWith('Ni '))).toBe(true);
  });

  it('health rates are configurable', () => {
    const sick = generateTravellers(world, { seed: 3, today, health: { fever: 0.5, tested: 1, positive: 0.2 } }, 2000);
    const fever = sick.filter((t) => t.input.health.temperatureC >= 37.5).length / sick.length;
    expect(fever).toBeGreaterThan(0.4);
    expect(fever).toBeLessThan(0.6);
    expect(sick.some((t) => t.input.health.rapidTest === 'positif')).toBe(true);
    const healthy = generateTravellers(world, { seed: 3, today, health: { fever: 0, symptom: 0, positive: 0 } }, 2000);
    expect(healthy.every((t) => t.input.health.temperatureC < 37.5 && t.input.health.symptoms.length === 0 && t.input.health.rapidTest !== 'positif')).toBe(true);
  });
});
