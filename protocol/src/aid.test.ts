import { describe, expect, it } from 'vitest';
import { conflictsOf, normaliseName, parseVillageDeviceTopic, periodIndex, periodOf, villageDeviceTopic, HandoutInputSchema } from './aid.ts';

describe('aid contract', () => {
  it.each([
    ['monthly', '2026-11-28', '2026-11'],
    ['quarterly', '2026-11-28', '2026-Q4'],
    ['quarterly', '2026-01-01', '2026-Q1'],
    ['yearly', '2026-11-28', '2026'],
  ] as const)('periodOf(%s, %s) = %s', (k, d, p) => expect(periodOf(k, d)).toBe(p));

  it('period indexes are distinct and fit 16 bits', () => {
    expect(periodIndex('monthly', '2026-11-28')).toBe(26 * 12 + 10);
    expect(periodIndex('monthly', '2099-12-31')).toBeLessThan(65536);
  });

  it('conflicts are symmetric', () => {
    expect(conflictsOf('bst')).toContain('bpnt');
    expect(conflictsOf('bpnt')).toContain('bst');
    expect(conflictsOf('pkh')).toContain('blt-dd');
    expect(conflictsOf('bansos-bwi')).toEqual([]);
  });

  it.each([
    [' h. Siti  Aminah, S.Pd ', 'SITI AMINAH'],
    ['Hj. Siti Aminah', 'SITI AMINAH'],
    ["Ni'mah Éva", 'NI MAH EVA'],
  ])('normaliseName(%j) = %j', (a, b) => expect(normaliseName(a)).toBe(b));

  it('village device topics round-trip and reject junk', () => {
    const t = villageDeviceTopic('35.10.21.2001', 'pos-01', 'aid');
    expect(t).toBe('sk/v1/villages/35.10.21.2001/devices/pos-01/aid');
    expect(parseVillageDeviceTopic(t)).toEqual({ villageCode: '35.10.21.2001', deviceId: 'pos-01', kind: 'aid' });
    expect(parseVillageDeviceTopic('sk/v1/villages/+/devices/pos-01/aid')).toBeNull();
    expect(parseVillageDeviceTopic('sk/v1/villages/35.10.21.2001/devices/POS/aid')).toBeNull();
    expect(() => villageDeviceTopic('35.10', 'pos-01', 'aid')).toThrow();
  });

  it('a handout needs every field, a known programme and 16-digit NIK/KK', () => {
    const h = { handoutId: '01JD0000000000000000000000', programmeId: 'bst', nik: '3510214107900001', kk: '3510212304150007', name: 'Siti', birthDate: '1990-07-01', villageCode: '35.10.21.2001', date: '2026-11-28' };
    expect(HandoutInputSchema.safeParse(h).success).toBe(true);
    expect(HandoutInputSchema.safeParse({ ...h, programmeId: 'xyz' }).success).toBe(false);
    expect(HandoutInputSchema.safeParse({ ...h, kk: '123' }).success).toBe(false);
  });
});
