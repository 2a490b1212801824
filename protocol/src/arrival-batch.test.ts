import { describe, expect, it } from 'vitest';
import { ARRIVAL_COLUMNS, packArrivals, unpackArrivals, type ArrivalBatch } from './arrival-batch.ts';
import type { ArrivalEvent } from './events.ts';

const event = (i: number): ArrivalEvent => ({
  eventId: i, scanId: `01JD00000000000000000000${String(i).padStart(2, '0')}`, checkpointId: 'ketapang', deviceId: 'ketapang-01',
  scannedAt: '2026-11-28T01:02:03.456Z', receivedAt: '2026-11-28T01:02:03.500Z', nikMasked: '351021********01', name: i % 2 ? 'Ni "Luh" <b>' : 'Budi',
  sex: i % 2 ? 'P' : 'L', birthDate: '1990-07-01', originAddress: 'Jl. A, 1', originRegencyCode: '35.10', originRegencyName: i % 3 ? 'KABUPATEN BANYUWANGI' : null,
  destinationVillageCode: '35.10.21.2003', destinationVillageName: null, destinationDistrictCode: '35.10.21', destinationDistrictName: 'Kalipuro',
  health: { temperatureC: 37.8, symptoms: i % 2 ? ['batuk', 'demam'] : [], rapidTest: 'negatif', vaccinationDoses: i % 4 },
  healthStatus: 'demam',
});

describe('arrivals message (rows under column names)', () => {
  it('round-trips events exactly, through JSON as on the wire', () => {
    const events = Array.from({ length: 7 }, (_, i) => event(i));
    const wire = JSON.parse(JSON.stringify(packArrivals(events))) as ArrivalBatch;
    expect(unpackArrivals(wire)).toEqual(events);
    expect(unpackArrivals(packArrivals([]))).toEqual([]);
  });

  it('is much smaller than the same events as objects', () => {
    const events = Array.from({ length: 64 }, (_, i) => event(i));
    expect(JSON.stringify(packArrivals(events)).length).toBeLessThan(0.65 * JSON.stringify(events).length);
  });

  it('reads columns by name: another order, an unknown column, a missing one, health as an object', () => {
    const e = event(1);
    const c: string[] = [...ARRIVAL_COLUMNS].reverse();
    c.push('futureColumn');
    const packed = packArrivals([e]);
    const row = [...packed.r[0]!].reverse().concat('x');
    expect(unpackArrivals({ c, r: [row] })).toEqual([e]);
    const withoutName = unpackArrivals({ c: ['eventId', 'health'], r: [[9, e.health]] });
    expect(withoutName).toEqual([{ eventId: 9, health: e.health }]);
  });
});
