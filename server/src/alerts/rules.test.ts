import { describe, expect, it } from 'vitest';
import type { DeviceStatus, Scan } from '@sk/protocol';
import { backlogCheck, deviceOffline, scanAlerts, surgeCheck } from './rules.ts';
import { DEFAULT_COMMAND_RULES, triage } from './triage.ts';

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

describe('triage (issue 17)', () => {
  const t = { ...opts, symptoms: 'follow_up' as const, watchOrigin: 'follow_up' as const };
  it.each([
    [{}, '3510210107900001', [], undefined],
    [{ symptoms: ['batuk'] as const }, '3510210107900001', [], 'symptoms'],
    [{}, '5103010107900001', [], 'watch_origin'],
    [{ temperatureC: 38 }, '3510210107900001', ['fever'], 'fever'],
    [{ rapidTest: 'positif' as const, symptoms: ['batuk'] as const }, '3510210107900001', ['rapid_positive'], 'positive'],
    [{ temperatureC: 39, rapidTest: 'positif' as const }, '5103010107900001', ['rapid_positive', 'fever'], 'positive'],
  ])('%j from %s → alerts %j, follow-up %s', (health, nik, rules, followUp) => {
    const r = triage(scan(health as Partial<Scan['health']>, nik), t, 'P1');
    expect(r.alerts.map((a) => a.rule)).toEqual(rules);
    expect(r.followUp).toBe(followUp);
  });

  it('a fever or a positive test always has a follow-up, whatever the other routes say', () => {
    for (const route of ['follow_up', 'alert', 'off'] as const) {
      const o = { ...opts, symptoms: route, watchOrigin: route };
      expect(triage(scan({ temperatureC: 38, symptoms: ['batuk'] }), o, 'P1').followUp).toBe('fever');
      expect(triage(scan({ rapidTest: 'positif' }), o, 'P1').followUp).toBe('positive');
    }
    expect(triage(scan({ symptoms: ['batuk'] }), { ...t, symptoms: 'off' }, 'P1')).toEqual({ alerts: [] });
    expect(triage(scan({ symptoms: ['batuk'] }), { ...t, symptoms: 'alert' }, 'P1').alerts.map((a) => a.rule)).toEqual(['symptoms']);
  });

  it('the command centre answers devices, surges, quarantine and overdue follow-ups by default; travellers are the village\'s', () => {
    expect([...DEFAULT_COMMAND_RULES].sort()).toEqual(['arrival_surge', 'device_backlog', 'device_offline', 'follow_up_overdue', 'quarantine_full']);
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
