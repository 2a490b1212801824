import { describe, expect, it } from 'vitest';
import { HOURLY_RHYTHM, hourOfDayWib, rateMultiplier, schedule } from './traffic.ts';

const DAY = 86_400_000;
// 2026-04-01 00:00 WIB
const start = Date.parse('2026-03-31T17:00:00Z');

describe('traffic', () => {
  it('the daily rhythm averages 1, is quiet at night and busy in the morning and afternoon', () => {
    expect(HOURLY_RHYTHM.reduce((a, b) => a + b, 0) / 24).toBeCloseTo(1, 9);
    expect(hourOfDayWib(start)).toBe(0);
    expect(rateMultiplier(start + 3 * 3_600_000)).toBeLessThan(0.3);
    expect(rateMultiplier(start + 8 * 3_600_000)).toBeGreaterThan(1.5);
    expect(rateMultiplier(start + 8 * 3_600_000, 3)).toBeCloseTo(3 * rateMultiplier(start + 8 * 3_600_000), 9);
  });

  it('a seeded schedule is reproducible, time-ordered and near the base rate over a day', () => {
    const opts = { checkpointId: 'kalibaru', baseRatePerHour: 100, startMs: start, seed: 5, durationMs: DAY };
    const a = schedule(opts);
    expect(schedule(opts)).toEqual(a);
    expect(a.every((x, i) => i === 0 || x.atMs >= a[i - 1]!.atMs)).toBe(true);
    expect(a.every((x) => x.kind === 'walk')).toBe(true);
    expect(a.length).toBeGreaterThan(2400 * 0.9);
    expect(a.length).toBeLessThan(2400 * 1.1);
    const night = a.filter((x) => hourOfDayWib(x.atMs) === 2).length;
    const morning = a.filter((x) => hourOfDayWib(x.atMs) === 8).length;
    expect(morning).toBeGreaterThan(night * 5);
  });

  it('Ketapang gets a ferry burst every 30–60 minutes', () => {
    const a = schedule({ checkpointId: 'ketapang', baseRatePerHour: 20, startMs: start, seed: 9, durationMs: DAY });
    const ferry = a.filter((x) => x.kind === 'ferry');
    expect(ferry.length).toBeGreaterThan(0);
    // A new ferry's first passenger shows as a gap; the count of ferries in a day is 24–48.
    const starts = ferry.filter((x, i) => i === 0 || x.atMs - ferry[i - 1]!.atMs > 15 * 60_000);
    expect(starts.length).toBeGreaterThanOrEqual(15);
    expect(starts.length).toBeLessThanOrEqual(48);
    expect(a.every((x, i) => i === 0 || x.atMs >= a[i - 1]!.atMs)).toBe(true);
  });

  it('Blimbingsari gets flight bursts; mudik surge multiplies traffic', () => {
    const base = { checkpointId: 'blimbingsari', baseRatePerHour: 10, startMs: start, seed: 2, durationMs: DAY };
    const normal = schedule(base);
    expect(normal.some((x) => x.kind === 'flight')).toBe(true);
    const mudik = schedule({ ...base, surge: 4 });
    expect(mudik.length).toBeGreaterThan(normal.length * 3);
    expect(mudik.length).toBeLessThan(normal.length * 5);
  });
});
