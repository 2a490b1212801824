import { describe, expect, it } from 'vitest';
import type { DeviceStatus, Scan } from '@sk/protocol';
import { AlertBook } from './alert-book.ts';
import { backlogCheck, deviceAlert, deviceOffline, scanAlerts, surgeCheck } from './rules.ts';

const scan = (over: Partial<Scan['health']> = {}, nik = '3510210107900001'): Scan => ({
  v: 1, scanId: '01JD0000000000000000000000', checkpointId: 'ketapang', deviceId: 'ketapang-01', seq: 1,
  scannedAt: '2026-11-28T01:00:00.000Z', nik, name: 'X', sex: 'L', birthDate: '1990-07-01', originAddress: '',
  destinationVillageCode: '35.10.21.2003', health: { temperatureC: 36.5, symptoms: [], rapidTest: 'negatif', vaccinationDoses: 2, ...over },
});
const opts = { feverC: 37.5, watchOrigins: ['51', '35.09'] };

describe('scan alert rules', () => {
  it.each([
    [{}, '3510210107900001', []],
    [{ temperatureC: 37.5 }, '3510210107900001', ['fever']],
    [{ temperatureC: 37.4 }, '3510210107900001', []],
    [{ symptoms: ['batuk'] as const }, '3510210107900001', ['symptoms']],
    [{ rapidTest: 'positif' as const }, '3510210107900001', ['rapid_positive']],
    [{}, '5103010107900001', ['watch_origin']],
    [{}, '3509010107900001', ['watch_origin']],
    [{ temperatureC: 39, rapidTest: 'positif' as const }, '5103010107900001', ['rapid_positive', 'fever', 'watch_origin']],
  ])('%j from %s → %j', (health, nik, rules) => {
    expect(scanAlerts(scan(health as Partial<Scan['health']>, nik), opts).map((a) => a.rule)).toEqual(rules);
  });

  it('never puts the NIK or name in an alert', () => {
    const text = JSON.stringify(scanAlerts(scan({ temperatureC: 39 }, '5103010107900001'), opts));
    expect(text).not.toContain('5103010107900001');
  });
});

describe('device offline', () => {
  const s = (state: 'online' | 'offline', at: string): DeviceStatus => ({ v: 1, checkpointId: 'kalibaru', deviceId: 'kalibaru-01', state, at, version: '1' });
  it('is offline when it says so or when silent too long', () => {
    const now = Date.parse('2026-11-28T01:10:00.000Z');
    expect(deviceOffline(s('offline', '2026-11-28T01:09:59.000Z'), now, 90_000)).toBe(true);
    expect(deviceOffline(s('online', '2026-11-28T01:09:00.000Z'), now, 90_000)).toBe(false);
    expect(deviceOffline(s('online', '2026-11-28T01:08:00.000Z'), now, 90_000)).toBe(true);
  });
});

describe('alert book', () => {
  const clock = () => new Date('2026-11-28T01:00:00.000Z');
  it('keeps one active alert per (subject, rule) even for back-to-back repeats', () => {
    const book = new AlertBook({ now: clock });
    const c = scanAlerts(scan({ temperatureC: 39 }), opts)[0]!;
    const results = [book.raise(c), book.raise(c), book.raise(c)];
    expect(results.map((r) => r.created)).toEqual([true, false, false]);
    expect(book.list({ openOnly: true })).toHaveLength(1);
    expect(book.list()[0]!.count).toBe(3);
  });

  it('goes active → acknowledged → cleared with who and when; a new one may start after clearing', () => {
    const book = new AlertBook({ now: clock });
    const { alert } = book.raise(deviceAlert({ v: 1, checkpointId: 'kalibaru', deviceId: 'kalibaru-01', state: 'offline', at: clock().toISOString(), version: '1' }));
    book.acknowledge(alert.id, 'pusat');
    expect(book.get(alert.id)).toMatchObject({ state: 'acknowledged', ackedBy: 'pusat' });
    book.clear(alert.id, 'pusat');
    expect(book.get(alert.id)).toMatchObject({ state: 'cleared', clearedBy: 'pusat', clearedAt: clock().toISOString() });
    expect(book.raise(deviceAlert({ v: 1, checkpointId: 'kalibaru', deviceId: 'kalibaru-01', state: 'offline', at: clock().toISOString(), version: '1' })).created).toBe(true);
  });
});

describe('person de-duplication', () => {
  it('folds a re-scan of the same person (same person key) into one alert per rule', () => {
    const book = new AlertBook();
    const a = scanAlerts({ ...scan({ temperatureC: 39 }), scanId: '01JD0000000000000000000001' }, opts, 'P1');
    const b = scanAlerts({ ...scan({ temperatureC: 39 }), scanId: '01JD0000000000000000000002' }, opts, 'P1');
    expect([...a, ...b].map((c) => book.raise(c).created)).toEqual([true, false]);
    expect(book.list()[0]).toMatchObject({ count: 2, subject: '01JD0000000000000000000001' });
  });
});

describe('surge', () => {
  const o = { windowMin: 2, baselineMin: 4, factor: 3, minCount: 5 };
  it.each([
    [[1, 1, 1, 1, 2, 2], null],
    [[1, 1, 1, 1, 3, 4], { count: 7, baseline: 2 }],
    [[0, 0, 0, 0, 2, 2], null],
    [[0, 0, 0, 0, 3, 3], { count: 6, baseline: 0 }],
  ])('%j → %j', (series, expected) => expect(surgeCheck(series, o)).toEqual(expected));
});

describe('device backlog', () => {
  const s = (depth: number, diskBytes = 0): DeviceStatus => ({ v: 1, checkpointId: 'kalibaru', deviceId: 'kalibaru-01', state: 'online', at: '2026-11-28T01:00:00.000Z', version: '1', outbox: { depth, oldestAgeSec: 60, diskBytes, diskLimitBytes: 1000 } });
  const o = { minDepth: 100, risingReports: 3 };
  it('alerts only on a rising backlog past the threshold, critical when the disk is nearly full, clears when drained', () => {
    expect(backlogCheck(s(150), [90, 120, 150], o)).toBeNull();
    expect(backlogCheck(s(150), [60, 90, 120, 150], o)).toMatchObject({ rule: 'device_backlog', severity: 'major' });
    expect(backlogCheck(s(150, 900), [60, 90, 120, 150], o)).toMatchObject({ severity: 'critical' });
    expect(backlogCheck(s(150), [60, 90, 150, 150], o)).toBeNull();
    expect(backlogCheck(s(10), [150, 10], o)).toBe('clear');
  });
});
