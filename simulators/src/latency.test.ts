import { describe, expect, it } from 'vitest';
import { LatencyRecorder } from './latency.ts';

describe('LatencyRecorder', () => {
  it('gives nearest-rank percentiles, null when empty', () => {
    const r = new LatencyRecorder();
    expect(r.percentile(50)).toBeNull();
    for (let i = 100; i >= 1; i--) r.record(i);
    expect(r.summary()).toEqual({ p50: 50, p95: 95, p99: 99, max: 100 });
    r.record(1000);
    expect(r.percentile(100)).toBe(1000);
  });
});
