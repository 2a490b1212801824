import { describe, expect, it } from 'vitest';
import { ulid } from 'ulid';
import type { Scan } from '@sk/protocol';
import { checkScanPayload } from '@sk/protocol/validate';
import { hostilePayloads } from './hostile.ts';
import { planClockSkew } from './faults.ts';
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
  it('is seeded, skews some devices but not all, within ±3 h', () => {
    const ids = Array.from({ length: 40 }, (_, i) => `ketapang-${String(i + 1).padStart(2, '0')}`);
    const a = planClockSkew(ids, 's');
    expect(planClockSkew(ids, 's')).toEqual(a);
    expect(a.size).toBeGreaterThan(0);
    expect(a.size).toBeLessThan(ids.length);
    for (const ms of a.values()) expect(Math.abs(ms)).toBeLessThanOrEqual(3 * 3_600_000);
  });
});
