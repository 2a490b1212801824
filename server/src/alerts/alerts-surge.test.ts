import { describe, expect, it } from 'vitest';
import type { Scan } from '@sk/protocol';
import { Alerts } from './alerts.ts';

const scan = (seq: number): Scan => ({
  v: 1, scanId: `01JD${String(seq).padStart(22, '0')}`, checkpointId: 'ketapang', deviceId: 'ketapang-01', seq,
  scannedAt: '2026-11-28T01:02:03.456Z', nik: '3510210107900001', name: 'A', sex: 'L', birthDate: '1990-07-01',
  originAddress: '', destinationVillageCode: '35.10.21.2003', health: { temperatureC: 36.5, symptoms: [], rapidTest: 'negatif', vaccinationDoses: 0 },
});

describe('arrival surge (Alerts, mocked clock)', () => {
  const surge = { windowMin: 10, baselineMin: 60, factor: 3, minCount: 50 };
  const surges = (a: Alerts) => a.book.list({ openOnly: true }).filter((x) => x.rule === 'arrival_surge');

  it('says nothing in the first window + baseline after a start: that baseline was never counted', () => {
    let t = Date.parse('2026-11-28T00:00:00Z');
    const a = new Alerts({ feverC: 37.5, watchOrigins: [], offlineAfterMs: 90_000, surge, now: () => new Date(t) });
    for (let i = 0; i < 200; i++) a.onScan(scan(i));
    expect(surges(a)).toEqual([]);
    t += 69 * 60_000;
    for (let i = 0; i < 200; i++) a.onScan(scan(1000 + i));
    expect(surges(a)).toEqual([]);
  });

  it('after a counted hour at 1 a minute, the 50th arrival in the window raises one surge alert, and no more', () => {
    let t = Date.parse('2026-11-28T00:00:00Z');
    const a = new Alerts({ feverC: 37.5, watchOrigins: [], offlineAfterMs: 90_000, surge, now: () => new Date(t) });
    for (let m = 0; m < 70; m++) {
      a.onScan(scan(m)); // one arrival a minute: the baseline
      t += 60_000;
    }
    // Baseline: 1 a minute = 10 per 10-minute window; a surge needs ≥ 50 and ≥ 3 × 10 in the window.
    for (let i = 0; i < 40; i++) a.onScan(scan(100 + i)); // 9 earlier minutes + 40 now = 49
    expect(surges(a)).toEqual([]);
    a.onScan(scan(140)); // 50
    expect(surges(a)).toHaveLength(1);
    for (let i = 0; i < 60; i++) a.onScan(scan(200 + i));
    expect(surges(a)).toHaveLength(1);
  });
});
