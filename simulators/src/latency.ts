/** Latency percentiles for the load summary. Pure; keeps every sample (runs are bounded by --count/--duration). */
export class LatencyRecorder {
  readonly #samples: number[] = [];
  #sorted = true;

  record(ms: number): void {
    this.#samples.push(ms);
    this.#sorted = false;
  }

  get count(): number {
    return this.#samples.length;
  }

  /** Nearest-rank percentile, `p` in 0…100; null with no samples. */
  percentile(p: number): number | null {
    if (this.#samples.length === 0) return null;
    if (!this.#sorted) {
      this.#samples.sort((a, b) => a - b);
      this.#sorted = true;
    }
    const rank = Math.max(1, Math.ceil((p / 100) * this.#samples.length));
    return this.#samples[rank - 1]!;
  }

  summary(): { p50: number | null; p95: number | null; p99: number | null; max: number | null } {
    return { p50: this.percentile(50), p95: this.percentile(95), p99: this.percentile(99), max: this.percentile(100) };
  }
}
