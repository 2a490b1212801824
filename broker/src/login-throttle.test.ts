import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle.ts';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('LoginThrottle', () => {
  it('blocks an IP after 5 failures within a minute, for a minute', () => {
    const c = clock();
    const th = new LoginThrottle({}, c.now);
    for (let i = 0; i < 4; i++) expect(th.fail('10.0.0.1')).toBe(false);
    expect(th.isBlocked('10.0.0.1')).toBe(false);
    expect(th.fail('10.0.0.1')).toBe(true);
    expect(th.isBlocked('10.0.0.1')).toBe(true);
    expect(th.isBlocked('10.0.0.2')).toBe(false);
    c.advance(59_999);
    expect(th.isBlocked('10.0.0.1')).toBe(true);
    c.advance(1);
    expect(th.isBlocked('10.0.0.1')).toBe(false);
  });

  it('forgets failures older than the window', () => {
    const c = clock();
    const th = new LoginThrottle({ maxFailures: 3, windowMs: 1_000, blockMs: 5_000 }, c.now);
    th.fail('a');
    th.fail('a');
    c.advance(1_001);
    expect(th.fail('a')).toBe(false);
    expect(th.isBlocked('a')).toBe(false);
    th.fail('a');
    expect(th.fail('a')).toBe(true);
  });

  it('a success clears the IP', () => {
    const c = clock();
    const th = new LoginThrottle({ maxFailures: 2 }, c.now);
    th.fail('a');
    th.succeed('a');
    expect(th.fail('a')).toBe(false);
  });

  it('tracks a bounded number of IPs', () => {
    const c = clock();
    const th = new LoginThrottle({ maxTracked: 100 }, c.now);
    for (let i = 0; i < 1_000; i++) th.fail(`10.0.${i >> 8}.${i & 255}`);
    expect(th.trackedIps).toBeLessThanOrEqual(100);
  });
});
