/**
 * Bounds a device's scan time by the server's receive time (issue 17): a Raspberry Pi has no RTC and
 * boots at 1970 or at its last saved time, a bad RTC or a wrong time zone does the same, and a scan
 * stamped 2099 would head every "newest first" list for ever. Pure: the server calls it at ingest.
 */

export interface ScanTimeBounds {
  /** How far past the receive time a scan may claim to be. */
  readonly maxFutureMs: number;
  /** How long before the receive time a scan may have been taken. */
  readonly maxAgeMs: number;
}

/**
 * 5 min into the future: a device on the server's time (edge-agent/src/device-clock.ts) is off by
 * seconds, so anything further is a wrong clock, not latency. 30 days into the past: longer than any
 * outage an outbox rides out in practice (64 MiB ≈ 130,000 scans, a few days of a busy checkpoint),
 * while a device whose clock says 1970 or last year is caught.
 */
export const DEFAULT_SCAN_TIME_BOUNDS: ScanTimeBounds = Object.freeze({ maxFutureMs: 5 * 60_000, maxAgeMs: 30 * 24 * 3_600_000 });

export type ClampedClock = null | 'future' | 'past';

/**
 * `boundScannedAt('2099-01-01T00:00:00.000Z', Date.parse('2026-12-06T04:00:00.000Z'), DEFAULT_SCAN_TIME_BOUNDS)`
 * → `{ scannedAt: '2026-12-06T04:00:00.000Z', clock: 'future' }`; a time within bounds comes back unchanged
 * with `clock: null`. A time that does not parse counts as too old (`'past'`).
 */
export function boundScannedAt(
  scannedAtIso: string,
  receivedAtMs: number,
  opts: ScanTimeBounds = DEFAULT_SCAN_TIME_BOUNDS,
): { scannedAt: string; clock: ClampedClock } {
  const at = Date.parse(scannedAtIso);
  if (at > receivedAtMs + opts.maxFutureMs) return { scannedAt: new Date(receivedAtMs).toISOString(), clock: 'future' };
  if (!(at >= receivedAtMs - opts.maxAgeMs)) return { scannedAt: new Date(receivedAtMs).toISOString(), clock: 'past' };
  return { scannedAt: scannedAtIso, clock: null };
}

/**
 * The time to store a scan at: its `scannedAt` bounded as above, or the receive time when the device
 * said it had no trusted clock (`untrustedTime: true`, clock `'untrusted'`).
 * `trustedScanTime({ scannedAt: '1970-01-01T00:00:05.000Z', untrustedTime: true }, now).clock` → `'untrusted'`
 */
export function trustedScanTime(
  scan: { readonly scannedAt: string; readonly untrustedTime?: true | undefined },
  receivedAtMs: number,
  opts: ScanTimeBounds = DEFAULT_SCAN_TIME_BOUNDS,
): { scannedAt: string; clock: ClampedClock | 'untrusted' } {
  if (scan.untrustedTime) return { scannedAt: new Date(receivedAtMs).toISOString(), clock: 'untrusted' };
  return boundScannedAt(scan.scannedAt, receivedAtMs, opts);
}
