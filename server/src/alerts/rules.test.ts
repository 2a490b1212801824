import { describe, expect, it } from 'vitest';
import type { DeviceStatus, Scan } from '@sk/protocol';
import { AlertBook } from './alert-book.ts';
import { deviceAlert, deviceOffline, scanAlerts } from './rules.ts';

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
    const book = new AlertBook(clock);
    const c = scanAlerts(scan({ temperatureC: 39 }), opts)[0]!;
    const results = [book.raise(c), book.raise(c), book.raise(c)];
    expect(results.map((r) => r.created)).toEqual([true, false, false]);
    expect(book.list({ activeOnly: true })).toHaveLength(1);
    expect(book.list()[0]!.count).toBe(3);
  });

  it('goes active → acknowledged → cleared with who and when; a new one may start after clearing', () => {
    const book = new AlertBook(clock);
    const { alert } = book.raise(deviceAlert({ v: 1, checkpointId: 'kalibaru', deviceId: 'kalibaru-01', state: 'offline', at: clock().toISOString(), version: '1' }));
    book.acknowledge(alert.id, 'pusat');
    expect(book.get(alert.id)).toMatchObject({ state: 'active', acknowledged: true, ackedBy: 'pusat' });
    book.clear(alert.id, 'pusat');
    expect(book.get(alert.id)).toMatchObject({ state: 'cleared', clearedBy: 'pusat', clearedAt: clock().toISOString() });
    expect(book.raise(deviceAlert({ v: 1, checkpointId: 'kalibaru', deviceId: 'kalibaru-01', state: 'offline', at: clock().toISOString(), version: '1' })).created).toBe(true);
  });
});
