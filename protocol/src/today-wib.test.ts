/**
 * todayWib() and inferBirthYear() are cached for the ingest hot path (issue 5); the caches must never
 * show: the date flips exactly at midnight WIB (17:00 UTC), and the century inference matches the
 * plain string comparison it replaced. The clock is mocked, nothing waits.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { inferBirthYear, isValidDate, todayWib } from './nik-core.ts';

afterEach(() => vi.useRealTimers());

describe('todayWib', () => {
  it('flips to the next day exactly at 17:00:00.000 UTC, and back when the clock is set back', () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-11-28T16:59:59.999Z'));
    expect(todayWib()).toBe('2026-11-28');
    vi.setSystemTime(new Date('2026-11-28T17:00:00.000Z'));
    expect(todayWib()).toBe('2026-11-29');
    vi.setSystemTime(new Date('2026-11-29T16:59:59.999Z'));
    expect(todayWib()).toBe('2026-11-29');
    vi.setSystemTime(new Date('2026-11-28T16:59:59.999Z')); // an NTP step backwards
    expect(todayWib()).toBe('2026-11-28');
  });

  it('agrees with the uncached formula on 10,000 instants, in and out of order', () => {
    const plain = (ms: number) => new Date(ms + 7 * 3600_000).toISOString().slice(0, 10);
    let ms = Date.UTC(1999, 11, 31, 16, 0, 0);
    for (let i = 0; i < 10_000; i++) {
      ms += ((i * 7919) % 13_000) * 60_000 - (i % 5 === 0 ? 3 * 86_400_000 : 0);
      expect(todayWib(new Date(ms))).toBe(plain(ms));
    }
  });

  it('still throws on an invalid Date', () => {
    expect(() => todayWib(new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe('inferBirthYear', () => {
  const pad = (n: number) => String(n).padStart(2, '0');
  // The string comparison it replaced (before issue 5).
  function plain(yy: number, month: number, day: number, today: string): number {
    const [ty, tm, td] = today.split('-').map(Number) as [number, number, number];
    const candidate = Math.floor(ty / 100) * 100 + yy;
    return `${candidate}-${pad(month)}-${pad(day)}` > `${ty}-${pad(tm)}-${pad(td)}` ? candidate - 100 : candidate;
  }

  it('matches the string comparison for every yy, month and day around several todays', () => {
    const differ: string[] = [];
    for (const today of ['2026-11-28', '2000-01-01', '2099-12-31', '2026-02-28', '1999-06-15']) {
      for (let yy = 0; yy < 100; yy++)
        for (let m = 1; m <= 12; m++)
          for (let d = 1; d <= 31; d++) if (inferBirthYear(yy, m, d, today) !== plain(yy, m, d, today)) differ.push(`${yy}/${m}/${d}@${today}`);
    }
    expect(differ).toEqual([]);
  });
});

describe('isValidDate', () => {
  it('agrees with the Date.UTC month length for every year from -500 to 3000 and months 0–13', () => {
    const plain = (y: number, m: number, d: number) => m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
    const differ: string[] = [];
    for (let y = -500; y <= 3000; y++)
      for (let m = 0; m <= 13; m++)
        for (const d of [0, 1, 28, 29, 30, 31, 32]) if (isValidDate(y, m, d) !== plain(y, m, d)) differ.push(`${y}-${m}-${d}`);
    expect(differ).toEqual([]);
  });
});
