import { describe, expect, it } from 'vitest';
import type { Scan } from '@sk/protocol';
import { pointTimestampNs, rowScanId, rowScannedAt, rowToScan, scanToPoint, scanToPointV1, scanToPointV2, villageRecordRegex } from './arrival-point.ts';

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

  it('computes the same nanosecond string as the BigInt sum, for any instant and seq', () => {
    const big = (at: string, seq: number) => (BigInt(Date.parse(at)) * 1_000_000n + BigInt(seq % 1_000_000)).toString();
    let x = 12345;
    const rnd = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
    const cases: [string, number][] = [['1970-01-01T00:00:00.000Z', 7], ['1970-01-01T00:00:00.001Z', 0], ['1969-12-31T23:59:59.999Z', 5], ['1900-01-01T00:00:00.000Z', 999_999]];
    for (let i = 0; i < 2000; i++) cases.push([new Date(Math.floor(rnd() * 4e12)).toISOString(), Math.floor(rnd() * 1e9) + 1]);
    for (const [at, seq] of cases) expect(pointTimestampNs(at, seq), `${at} ${seq}`).toBe(big(at, seq));
  });

  it('v3 (issue 15): non-personal tags and the screening as numbers, nothing personal anywhere in the point', () => {
    const p = scanToPoint(scan, 37.5);
    expect(p.tags).toEqual({ checkpoint: 'ketapang', device: 'ketapang-01', originProvince: '51', originRegency: '51.03', destDistrict: '35.10.21', health: 'demam' });
    expect(p.fields).toEqual({ temperatureC: 37.8, vaccinationDoses: 2, symptoms: 2 });
    expect(JSON.stringify(p)).not.toMatch(/5103014107900001|Luh|1990-07-01|Jl\. A/);
  });

  it('tags only low-cardinality, non-personal values (v2 and v1, the legacy layouts)', () => {
    const p = scanToPointV2(scan, 37.5);
    expect(p.tags).toEqual({ checkpoint: 'ketapang', device: 'ketapang-01', originProvince: '51', originRegency: '51.03', destDistrict: '35.10.21', health: 'demam' });
    expect(Object.values(p.tags).join(' ')).not.toMatch(/5103014107900001|Luh/);
    // v2 was one field: the record, village first.
    expect(Object.keys(p.fields)).toEqual(['record']);
    expect(String(p.fields.record).split('\u001f')).toEqual(['2', '35.10.21.2003', scan.scanId, '1000007', '37.8', scan.nik, scan.name, 'P', '1990-07-01', 'Jl. A, 1', 'batuk,demam', 'negatif', '2', scan.scannedAt]);
    const v1 = scanToPointV1(scan, 37.5);
    expect(v1.tags).toEqual(p.tags);
    expect(v1.timestamp).toBe(p.timestamp);
    expect(Object.keys(v1.fields).sort()).toEqual(['destVillage', 'record', 'scanId', 'seq', 'temperatureC']);
    expect(String(v1.fields.record).split('\u001f')).toEqual(['1', scan.nik, scan.name, 'P', '1990-07-01', 'Jl. A, 1', 'batuk,demam', 'negatif', '2', scan.scannedAt]);
  });

  it("matches a village's v2 records exactly with an anchored regex", () => {
    const re = villageRecordRegex('35.10.21.2003');
    expect(re).toBe('/^2\\x1f35\\.10\\.21\\.2003\\x1f/');
    const js = new RegExp(re.slice(1, -1).replaceAll('\\x1f', '\u001f'));
    const rec = (code: string) => String(scanToPointV2({ ...scan, destinationVillageCode: code }, 37.5).fields.record);
    expect(js.test(rec('35.10.21.2003'))).toBe(true);
    for (const other of ['35.10.21.2004', '35.10.21.20031', '35.10.21.200', '35x10.21.2003']) expect(js.test(rec(other))).toBe(false);
    // A name that looks like a record never matches: the regex is anchored at the start.
    expect(js.test(rec('35.10.21.2004').replace('Ni', '2\u001f35.10.21.2003\u001f'))).toBe(false);
  });

  it('reads rows of both layouts: the record, and the old one-field-per-value points', () => {
    const legacy = { checkpoint: 'ketapang', device: 'ketapang-01', scanId: scan.scanId, seq: scan.seq, destVillage: scan.destinationVillageCode, nik: scan.nik, name: scan.name, sex: 'P', birthDate: '1990-07-01', originAddress: 'Jl. A, 1', temperatureC: 37.8, symptoms: 'batuk,demam', rapidTest: 'negatif', vaccinationDoses: 2, scannedAt: scan.scannedAt };
    expect(rowToScan(legacy)).toEqual(scan);
    expect(rowScannedAt(legacy)).toBe(scan.scannedAt);
    expect(rowScanId(legacy)).toBe(scan.scanId);
    const p1 = scanToPointV1(scan, 37.5);
    expect(rowToScan({ ...p1.tags, ...p1.fields })).toEqual(scan);
    expect(rowScannedAt({ ...p1.fields })).toBe(scan.scannedAt);
    expect(rowScanId({ ...p1.fields })).toBe(scan.scanId);
    const p = scanToPointV2(scan, 37.5);
    expect(rowScannedAt({ ...p.fields })).toBe(scan.scannedAt);
    expect(rowScanId({ ...p.fields })).toBe(scan.scanId);
    // A v1 point overwritten by its v2 replay (InfluxDB merges the fields): the v2 record wins.
    expect(rowToScan({ ...p1.tags, ...p1.fields, ...p.fields })).toEqual(scan);
    // An unknown record version is not guessed at.
    expect(rowToScan({ ...p.tags, ...p.fields, record: '9\u001fx' }).nik).toBe('');
  });

  it('round-trips a legacy v2 query row back to the scan', () => {
    const p = scanToPointV2(scan, 37.5);
    expect(rowToScan({ ...p.tags, ...p.fields })).toEqual(scan);
  });
});
