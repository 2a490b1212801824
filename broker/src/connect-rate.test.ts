import { describe, expect, it } from 'vitest';
import { ConnectRate } from './connect-rate.ts';

describe('ConnectRate', () => {
  it('allows a burst, then the sustained rate, per IP', () => {
    let t = 0;
    const r = new ConnectRate({ burst: 3, perSecond: 2 }, () => t);
    expect(Array.from({ length: 10 }, () => r.take('127.0.0.1')).every(Boolean)).toBe(true); // loopback: not limited by default
    expect([r.take('a'), r.take('a'), r.take('a'), r.take('a')]).toEqual([true, true, true, false]);
    expect(r.take('b')).toBe(true); // another address has its own bucket
    t += 499;
    expect(r.take('a')).toBe(false); // 0.998 of a token
    t += 1;
    expect(r.take('a')).toBe(true);
    t += 60_000;
    expect([r.take('a'), r.take('a'), r.take('a'), r.take('a')]).toEqual([true, true, true, false]); // refilled to the burst, not beyond
  });

  it('stays bounded in memory under a spray of addresses', () => {
    let t = 0;
    const r = new ConnectRate({ burst: 2, perSecond: 1, maxTracked: 100 }, () => t);
    for (let i = 0; i < 1000; i++) {
      r.take(`10.0.${i >> 8}.${i & 255}`);
      t += 1;
    }
    expect(r.tracked).toBeLessThanOrEqual(100);
  });
});
