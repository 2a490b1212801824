import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle.ts';

describe('LoginThrottle', () => {
  it('blocks an IP after 5 failures in the window, frees it when the window passes, per IP', () => {
    let now = 0;
    const t = new LoginThrottle(5, 60_000, () => now);
    for (let i = 0; i < 5; i++) t.fail('1.1.1.1');
    expect(t.allowed('1.1.1.1')).toBe(false);
    expect(t.allowed('2.2.2.2')).toBe(true);
    now = 60_001;
    expect(t.allowed('1.1.1.1')).toBe(true);
  });
});
