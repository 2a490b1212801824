import { describe, expect, it } from 'vitest';
import { boundScannedAt, DEFAULT_SCAN_TIME_BOUNDS, trustedScanTime } from './clock.ts';

const received = Date.parse('2026-12-06T04:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

describe('boundScannedAt', () => {
  it.each([
    ['the receive time itself', iso(received), null],
    ['a second before', iso(received - 1000), null],
    ['a device 4 min fast', iso(received + 4 * MIN), null],
    ['exactly the future bound', iso(received + 5 * MIN), null],
    ['a millisecond past the future bound', iso(received + 5 * MIN + 1), 'future'],
    ['one hour fast (a wrong time zone)', iso(received + 60 * MIN), 'future'],
    ['2099 (a bad RTC)', '2099-01-01T00:00:00.000Z', 'future'],
    ['a scan held 29 days in an outbox', iso(received - 29 * DAY), null],
    ['exactly the age bound', iso(received - 30 * DAY), null],
    ['a millisecond older than the age bound', iso(received - 30 * DAY - 1), 'past'],
    ['1970 (a Raspberry Pi booted without RTC)', '1970-01-01T00:00:07.000Z', 'past'],
    ['a time that does not parse', 'not a time', 'past'],
  ] as const)('%s → %s', (_why, scannedAt, clock) => {
    const out = boundScannedAt(scannedAt, received, DEFAULT_SCAN_TIME_BOUNDS);
    expect(out.clock).toBe(clock);
    expect(out.scannedAt).toBe(clock === null ? scannedAt : iso(received));
  });

  it('uses the bounds it is given', () => {
    const tight = { maxFutureMs: 1000, maxAgeMs: 60_000 };
    expect(boundScannedAt(iso(received + 2000), received, tight).clock).toBe('future');
    expect(boundScannedAt(iso(received - 61_000), received, tight).clock).toBe('past');
    expect(boundScannedAt(iso(received - 59_000), received, tight).clock).toBe(null);
  });

  it('defaults to 5 min ahead and 30 days back', () => {
    expect(DEFAULT_SCAN_TIME_BOUNDS).toEqual({ maxFutureMs: 5 * MIN, maxAgeMs: 30 * DAY });
    expect(boundScannedAt('2099-01-01T00:00:00.000Z', received).clock).toBe('future');
  });
});

describe('trustedScanTime', () => {
  it('stores a scan with untrusted time at its receive time, whatever it says', () => {
    expect(trustedScanTime({ scannedAt: iso(received - 1000), untrustedTime: true }, received)).toEqual({ scannedAt: iso(received), clock: 'untrusted' });
  });
  it('bounds any other scan', () => {
    expect(trustedScanTime({ scannedAt: '2099-01-01T00:00:00.000Z' }, received).clock).toBe('future');
    expect(trustedScanTime({ scannedAt: iso(received - 1000) }, received)).toEqual({ scannedAt: iso(received - 1000), clock: null });
  });
});
