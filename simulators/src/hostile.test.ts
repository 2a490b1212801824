import { describe, expect, it } from 'vitest';
import { ulid } from 'ulid';
import type { Scan } from '@sk/protocol';
import { checkScanPayload } from '@sk/protocol/validate';
import { hostilePayloads } from './hostile.ts';
import { planClockSkew, skewOffset } from './faults.ts';
import { generateTravellers } from './travellers.ts';
import { loadWorld } from './world.ts';

describe('hostile payloads', () => {
  const input = generateTravellers(loadWorld(), { seed: 4 }, 1)[0]!.input;
  const base: Scan = { v: 1, scanId: ulid(), checkpointId: 'ketapang', deviceId: 'ketapang-01', seq: 1, scannedAt: new Date().toISOString(), ...input };

  it('the base scan is valid, and every hostile variant is rejected at ingest validation', () => {
    expect(checkScanPayload(JSON.stringify(base), base).ok).toBe(true);
    const all = hostilePayloads(base, () => ulid());
    expect(new Set(all.map((h) => h.kind)).size).toBe(all.length);
    for (const h of all) {
      const r = checkScanPayload(h.payload, { checkpointId: 'ketapang', deviceId: 'ketapang-01' });
      expect(r.ok, h.kind).toBe(false);
    }
  });
});

describe('clock skew plan', () => {
  const now = Date.parse('2026-12-06T04:00:00.000Z');
  it('is seeded, skews some devices but not all: drift within ±3 h, ±1 h, 1970 or 2099 (issue 17)', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `ketapang-${String(i + 1).padStart(3, '0')}`);
    const a = planClockSkew(ids, 's', now);
    expect(planClockSkew(ids, 's', now)).toEqual(a);
    expect(a.size).toBeGreaterThan(0);
    expect(a.size).toBeLessThan(ids.length);
    const clocks = [...a.values()].map((ms) => now + ms);
    for (const at of clocks) {
      const off = at - now;
      expect(Math.abs(off) <= 3 * 3_600_000 || at === 0 || at === Date.parse('2099-01-01T00:00:00.000Z')).toBe(true);
    }
    expect(clocks).toContain(0);
    expect(clocks).toContain(Date.parse('2099-01-01T00:00:00.000Z'));
    expect(clocks.some((at) => Math.abs(at - now) === 3_600_000)).toBe(true);
  });
  it.each([
    ['1970', 0],
    ['2099', Date.parse('2099-01-01T00:00:00.000Z')],
    ['+1h', now + 3_600_000],
    ['-1h', now - 3_600_000],
  ] as const)('--skew-to %s sets every device there', (variant, at) => {
    const a = planClockSkew(['a-01', 'a-02', 'a-03'], 's', now, variant);
    expect(a.size).toBe(3);
    for (const ms of a.values()) expect(now + ms).toBe(at);
    expect(now + skewOffset(variant, now)).toBe(at);
  });
});
