import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAVEL_TIMES, etaFor, makeEtaFor, travelMinutes } from './eta.ts';
import { runs } from '../store/rollups.ts';

describe('travel time', () => {
  it.each([
    ['ketapang', '35.10.21', 20], // same district
    ['ketapang', '35.10.01', 150], // Pesanggaran, ~65 km south
    ['kalibaru', '35.10.11', 20],
    ['ketapang', '35.99.99', 120], // unknown district: the default
  ])('%s → %s ≈ %i min', (cp, d, min) => expect(travelMinutes(cp, d, DEFAULT_TRAVEL_TIMES)).toBe(min));
  it('an operator table wins', () => expect(travelMinutes('ketapang', '35.10.16', { defaultMin: 120, checkpoints: { ketapang: { '35.10.16': 45 } } })).toBe(45));
});

describe('etaFor (the scans row\'s eta at insert)', () => {
  const scan = (destinationVillageCode: string) => ({ checkpointId: 'ketapang', destinationVillageCode });
  it('is the receive time plus the route\'s travel time, in whole seconds, per route', () => {
    const at = Date.parse('2026-11-28T03:00:00.000Z');
    expect(etaFor(scan('35.10.21.2003'), at)).toBe('2026-11-28T03:20:00.000Z');
    expect(etaFor(scan('35.10.21.2003'), at + 999)).toBe('2026-11-28T03:20:00.000Z');
    expect(etaFor(scan('35.10.01.2001'), at + 1000)).toBe('2026-11-28T05:30:01.000Z'); // Pesanggaran: a longer trip
    expect(etaFor(scan('35.10.21.2003'), at + 1000)).toBe('2026-11-28T03:20:01.000Z');
  });
  it('follows the operator\'s table when given one', () => {
    expect(makeEtaFor({ defaultMin: 120, checkpoints: { ketapang: { '35.10.21': 45 } } })(scan('35.10.21.2003'), Date.parse('2026-11-28T03:00:00.000Z'))).toBe('2026-11-28T03:45:00.000Z');
  });
});

describe('rollup ranges', () => {
  it('merges consecutive buckets', () => expect(runs([0, 1, 2, 5], 1)).toEqual([[0, 3], [5, 6]]));
});
