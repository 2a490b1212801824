import { describe, expect, it } from 'vitest';
import { DAY, HOUR, RecentCounts, wibDayStart } from './rollups-recent.ts';

const day = Date.parse('2026-11-27T17:00:00Z'); // WIB midnight of 2026-11-28
const arrival = (scanId: string, at: number, checkpoint = 'ketapang', destDistrict = '35.10.21') =>
  ({ scanId, at, groups: { checkpoint, originRegency: '35.78', destDistrict, health: 'sehat' } });

describe('RecentCounts', () => {
  it('finds the WIB day start (UTC+7) of any instant', () => {
    expect(wibDayStart(Date.parse('2026-11-28T16:59:59Z'))).toBe(day);
    expect(wibDayStart(Date.parse('2026-11-27T17:00:00Z'))).toBe(day);
    expect(wibDayStart(Date.parse('2026-11-27T16:59:59Z'))).toBe(day - DAY);
  });

  it('counts a scanId once, however often it is stored', () => {
    const c = new RecentCounts(day);
    expect(c.add(arrival('a', day + 10))).toBe(true);
    expect(c.add(arrival('a', day + 10))).toBe(true);
    c.add(arrival('b', day + HOUR + 5, 'kalibaru'));
    expect(c.size).toBe(2);
    expect([...c.counts('checkpoint', '1h', day, day + DAY)]).toEqual([
      ['ketapang', [{ t: day, n: 1 }]],
      ['kalibaru', [{ t: day + HOUR, n: 1 }]],
    ]);
  });

  it('leaves arrivals before the window to the rollups', () => {
    const c = new RecentCounts(day);
    expect(c.add(arrival('old', day - 1))).toBe(false);
    expect(c.size).toBe(0);
  });

  it('sums hours into WIB days and keeps only buckets starting in [from, to)', () => {
    const c = new RecentCounts(day - DAY);
    c.add(arrival('y', day - 2 * HOUR));
    c.add(arrival('t1', day + 2 * HOUR));
    c.add(arrival('t2', day + 20 * HOUR, 'ketapang', '35.10.01'));
    expect(c.counts('checkpoint', '1d', day - DAY, day + DAY).get('ketapang')).toEqual([{ t: day - DAY, n: 1 }, { t: day, n: 2 }]);
    expect(c.counts('destDistrict', '1d', day, day + DAY).get('35.10.21')).toEqual([{ t: day, n: 1 }]);
    expect(c.counts('checkpoint', '1h', day + 3 * HOUR, day + 21 * HOUR).get('ketapang')).toEqual([{ t: day + 20 * HOUR, n: 1 }]);
  });

  it('drops the hours that leave the window and reports them for recomputing', () => {
    const c = new RecentCounts(day - DAY);
    c.add(arrival('y1', day - 3 * HOUR));
    c.add(arrival('y2', day - 3 * HOUR + 1));
    c.add(arrival('t', day + HOUR));
    expect(c.advance(day - DAY)).toEqual([]);
    expect(c.advance(day)).toEqual([day - 3 * HOUR]);
    expect(c.size).toBe(1);
    expect(c.add(arrival('late', day - HOUR))).toBe(false);
  });

  it('says when it holds more than its bound', () => {
    const c = new RecentCounts(day, 2);
    for (const id of ['a', 'b']) c.add(arrival(id, day));
    expect(c.overflowed).toBe(false);
    c.add(arrival('c', day));
    expect(c.overflowed).toBe(true);
  });
});
