/** Small helpers shared by the benchmarks. */

/** Percentile (nearest rank) of an unsorted array of numbers; NaN for an empty one. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] as number;
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Reads `--name value` / `--flag` options. */
export function opt(args: string[], name: string, fallback: number): number;
export function opt(args: string[], name: string, fallback: string): string;
export function opt(args: string[], name: string, fallback: number | string): number | string {
  const i = args.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= args.length) return fallback;
  const v = args[i + 1] as string;
  if (typeof fallback === 'number') {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`--${name} wants a number, got ${JSON.stringify(v)}`);
    return n;
  }
  return v;
}

export const progress = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
