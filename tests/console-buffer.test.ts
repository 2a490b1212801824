/**
 * The console's live-feed buffer (pure): newest first, each scan once, bounded — whatever order
 * live events, catch-up replies and HTTP pages arrive in.
 */
import { describe, expect, it } from 'vitest';
import type { ArrivalEvent } from '@sk/protocol';
import { ArrivalBuffer } from '../console/src/lib/arrival-buffer.ts';

function ev(eventId: number, scanId = `scan-${eventId}`): ArrivalEvent {
  return {
    eventId, scanId, checkpointId: 'ketapang', deviceId: 'ketapang-01', scannedAt: '2026-11-28T01:00:00.000Z', receivedAt: '2026-11-28T01:00:00.100Z',
    nikMasked: '3510••••••••0001', name: 'Siti', sex: 'P', birthDate: '1990-05-17', originAddress: 'Denpasar', originRegencyCode: '51.71',
    originRegencyName: 'Kota Denpasar', destinationVillageCode: '35.10.11.2001', destinationVillageName: 'Kalibarukulon',
    destinationDistrictCode: '35.10.11', destinationDistrictName: 'Kalibaru',
    health: { temperatureC: 36.5, symptoms: [], rapidTest: 'negatif', vaccinationDoses: 2 }, healthStatus: 'sehat',
  };
}
const ids = (b: ArrivalBuffer) => b.items.map((e) => e.eventId);

describe('ArrivalBuffer', () => {
  it('keeps live events newest first and advances the catch-up cursor', () => {
    const b = new ArrivalBuffer(10);
    b.merge([ev(1)]);
    b.merge([ev(2), ev(3)]);
    expect(ids(b)).toEqual([3, 2, 1]);
    expect(b.cursor).toBe(3);
  });

  it('a catch-up reply overlapping live events adds each scan once, in order', () => {
    const b = new ArrivalBuffer(10);
    b.merge([ev(1), ev(5)]);
    const added = b.merge([ev(2), ev(3), ev(4), ev(5)]);
    expect(added.map((e) => e.eventId)).toEqual([2, 3, 4]);
    expect(ids(b)).toEqual([5, 4, 3, 2, 1]);
  });

  it('the same scanId under another eventId is not shown twice', () => {
    const b = new ArrivalBuffer(10);
    b.merge([ev(1, 'A')]);
    expect(b.merge([ev(7, 'A')])).toEqual([]);
    expect(ids(b)).toEqual([1]);
  });

  it('stays bounded: the oldest events fall off', () => {
    const b = new ArrivalBuffer(100);
    for (let i = 1; i <= 1000; i += 10) b.merge(Array.from({ length: 10 }, (_, k) => ev(i + k)));
    expect(b.items.length).toBe(100);
    expect(b.items[0]?.eventId).toBe(1000);
    expect(b.items[99]?.eventId).toBe(901);
  });

  it('hands out a new array on every change (safe for $state.raw) and can be cleared', () => {
    const b = new ArrivalBuffer(5);
    b.merge([ev(1)]);
    const before = b.items;
    b.merge([ev(2)]);
    expect(b.items).not.toBe(before);
    b.clear();
    expect(b.items).toEqual([]);
    expect(b.cursor).toBe(0);
  });

  it('rejects a nonsensical capacity', () => {
    expect(() => new ArrivalBuffer(0)).toThrow(RangeError);
  });
});

describe('ArrivalBuffer with history older than the live ring (eventId 0)', () => {
  it('puts live events first and orders old history by scan time', () => {
    const b = new ArrivalBuffer(10);
    const old = (id: string, at: string) => ({ ...ev(0, id), scannedAt: at });
    b.merge([old('h1', '2026-11-28T01:00:00.000Z'), old('h3', '2026-11-28T03:00:00.000Z')]);
    b.merge([ev(4)]);
    b.merge([old('h2', '2026-11-28T02:00:00.000Z')]);
    expect(b.items.map((e) => e.scanId)).toEqual(['scan-4', 'h3', 'h2', 'h1']);
  });
});
