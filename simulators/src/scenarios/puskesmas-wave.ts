/**
 * The 2021 delta wave in Banyuwangi as daily puskesmas reports, from the seed article
 * (/work/shared/seeds/002, data from the East Java provincial site): new cases above 800/week for two
 * months with a peak of 954 in mid-July and 308 in the last week of August; deaths above 100/week for
 * five weeks, then 56; recoveries above 600/week. Weekly totals below are shaped to those figures;
 * the split over days and puskesmas is deterministic and sums back to the weekly totals exactly.
 */
import { PUSKESMAS, type DailyReport } from '@sk/protocol';

/** Mondays of 2021 (weekStart) → new confirmed, deaths, recoveries that week, regency-wide. */
export const WAVE_2021: readonly { weekStart: string; newConfirmed: number; deaths: number; recoveries: number }[] = [
  { weekStart: '2021-06-07', newConfirmed: 350, deaths: 20, recoveries: 250 },
  { weekStart: '2021-06-14', newConfirmed: 620, deaths: 35, recoveries: 400 },
  { weekStart: '2021-06-21', newConfirmed: 820, deaths: 60, recoveries: 610 },
  { weekStart: '2021-06-28', newConfirmed: 860, deaths: 85, recoveries: 640 },
  { weekStart: '2021-07-05', newConfirmed: 910, deaths: 98, recoveries: 700 },
  { weekStart: '2021-07-12', newConfirmed: 954, deaths: 118, recoveries: 760 },
  { weekStart: '2021-07-19', newConfirmed: 930, deaths: 131, recoveries: 820 },
  { weekStart: '2021-07-26', newConfirmed: 890, deaths: 125, recoveries: 860 },
  { weekStart: '2021-08-02', newConfirmed: 850, deaths: 112, recoveries: 880 },
  { weekStart: '2021-08-09', newConfirmed: 810, deaths: 104, recoveries: 850 },
  { weekStart: '2021-08-16', newConfirmed: 520, deaths: 80, recoveries: 720 },
  { weekStart: '2021-08-23', newConfirmed: 308, deaths: 56, recoveries: 640 },
];

/** Splits `total` over `weights` in integers that sum to `total` (largest remainder). */
export function split(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const raw = weights.map((w) => (total * w) / sum);
  const out = raw.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) out[order[k]![1]]!++;
  return out;
}

const addDays = (date: string, n: number) => new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** Every puskesmas's daily reports for the wave (12 weeks × 7 days × ~45 puskesmas). */
export function waveReports(): DailyReport[] {
  // Fixed, uneven weights: town puskesmas see more cases than the hill ones.
  const pw = PUSKESMAS.map((_, i) => 3 + ((i * 7919) % 11));
  const dayW = [1.15, 1.1, 1.05, 1, 0.95, 0.85, 0.9];
  const out: DailyReport[] = [];
  for (const w of WAVE_2021) {
    const perDay = (t: number) => split(t, dayW);
    const [c, d, r] = [perDay(w.newConfirmed), perDay(w.deaths), perDay(w.recoveries)];
    for (let day = 0; day < 7; day++) {
      const date = addDays(w.weekStart, day);
      const [cs, ds, rs] = [split(c[day]!, pw), split(d[day]!, pw), split(r[day]!, pw)];
      PUSKESMAS.forEach((p, i) => out.push({ puskesmasId: p.id, date, suspects: cs[i]! * 2 + 1, newConfirmed: cs[i]!, recoveries: rs[i]!, deaths: ds[i]!, tests: cs[i]! * 5 + 3 }));
    }
  }
  return out;
}
