import { describe, expect, it } from 'vitest';
import type { Scan } from '@sk/protocol';
import { pointTimestampNs, rowScannedAt, rowToScan, scanToPoint } from './arrival-point.ts';

const scan: Scan = {
  v: 1, scanId: '01JD0000000000000000000000', checkpointId: 'ketapang', deviceId: 'ketapang-01', seq: 1_000_007,
  scannedAt: '2026-11-28T01:02:03.456Z', nik: '5103014107900001', name: 'Ni "Luh", =x <b>', sex: 'P', birthDate: '1990-07-01',
  originAddress: 'Jl. A, 1', destinationVillageCode: '35.10.21.2003',
  health: { temperatureC: 37.8, symptoms: ['batuk', 'demam'], rapidTest: 'negatif', vaccinationDoses: 2 },
};

describe('arrival point', () => {
  it('has a deterministic nanosecond identity: scannedAt ms × 1e6 + seq mod 1e6', () => {
    expect(pointTimestampNs(scan.scannedAt, scan.seq)).toBe('1795827723456000007');
    expect(scanToPoint(scan, 37.5).timestamp).toBe(scanToPoint({ ...scan }, 37.5).timestamp);
  });

  it('tags only low-cardinality, non-personal values', () => {
    const p = scanToPoint(scan, 37.5);
    expect(p.tags).toEqual({ checkpoint: 'ketapang', device: 'ketapang-01', originProvince: '51', originRegency: '51.03', destDistrict: '35.10.21', health: 'demam' });
    expect(p.fields.destVillage).toBe('35.10.21.2003');
    expect(Object.values(p.tags).join(' ')).not.toMatch(/5103014107900001|Luh/);
    expect(Object.keys(p.fields).sort()).toEqual(['destVillage', 'record', 'scanId', 'seq', 'temperatureC']);
    expect(String(p.fields.record).split('\u001f')).toEqual(['1', scan.nik, scan.name, 'P', '1990-07-01', 'Jl. A, 1', 'batuk,demam', 'negatif', '2', scan.scannedAt]);
  });

  it('reads rows of both layouts: the record, and the old one-field-per-value points', () => {
    const legacy = { checkpoint: 'ketapang', device: 'ketapang-01', scanId: scan.scanId, seq: scan.seq, destVillage: scan.destinationVillageCode, nik: scan.nik, name: scan.name, sex: 'P', birthDate: '1990-07-01', originAddress: 'Jl. A, 1', temperatureC: 37.8, symptoms: 'batuk,demam', rapidTest: 'negatif', vaccinationDoses: 2, scannedAt: scan.scannedAt };
    expect(rowToScan(legacy)).toEqual(scan);
    expect(rowScannedAt(legacy)).toBe(scan.scannedAt);
    const p = scanToPoint(scan, 37.5);
    expect(rowScannedAt({ ...p.fields })).toBe(scan.scannedAt);
    // An unknown record version is not guessed at.
    expect(rowToScan({ ...p.tags, ...p.fields, record: '9\u001fx' }).nik).toBe('');
  });

  it('round-trips a query row back to the scan', () => {
    const p = scanToPoint(scan, 37.5);
    expect(rowToScan({ ...p.tags, ...p.fields })).toEqual(scan);
  });
});
