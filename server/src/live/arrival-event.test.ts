import { describe, expect, it } from 'vitest';
import type { Scan } from '@sk/protocol';
import { loadRegions } from '@sk/protocol/regions';
import { toArrivalEvent } from './arrival-event.ts';

const scan: Scan = {
  v: 1, scanId: '01JD0000000000000000000000', checkpointId: 'ketapang', deviceId: 'ketapang-01', seq: 1,
  scannedAt: '2026-11-28T01:02:03.456Z', nik: '3510214107900001', name: 'Siti Aminah', sex: 'P', birthDate: '1990-07-01',
  originAddress: 'Jl. Gajah Mada 12', destinationVillageCode: '35.10.21.1001',
  health: { temperatureC: 36.6, symptoms: [], rapidTest: 'negatif', vaccinationDoses: 2 },
};

describe('toArrivalEvent', () => {
  it('names the origin regency and the destination village and district as the region lists do, for every village', () => {
    const regions = loadRegions();
    for (const [i, v] of regions.villages.entries()) {
      const nik = ['3510214107900001', '5171015508020003', '3578010101000001', '9999010101000001'][i % 4]!;
      const e = toArrivalEvent({ ...scan, nik, destinationVillageCode: v.code }, i, scan.scannedAt, regions, 37.5);
      const regencyCode = `${nik.slice(0, 2)}.${nik.slice(2, 4)}`;
      expect(e).toMatchObject({
        nikMasked: `${nik.slice(0, 6)}********${nik.slice(14)}`,
        originRegencyCode: regencyCode,
        originRegencyName: regions.regency(regencyCode) ?? null,
        destinationVillageName: v.name,
        destinationDistrictCode: v.code.slice(0, 8),
        destinationDistrictName: regions.district(v.code.slice(0, 8)) ?? null,
      });
    }
  });

  it('keeps an unknown destination village as codes with null names', () => {
    const e = toArrivalEvent({ ...scan, destinationVillageCode: '35.10.99.2001' }, 1, scan.scannedAt, loadRegions(), 37.5);
    expect(e).toMatchObject({ destinationVillageName: null, destinationDistrictCode: '35.10.99', destinationDistrictName: null, originRegencyName: 'Kabupaten Banyuwangi' });
  });
});
