/**
 * The shape of checkpoint traffic, PURE and seeded: a daily rhythm by hour (WIB), ferry bursts at
 * Ketapang (a Gilimanuk ferry docks every 30–60 min and its foot and car passengers reach the
 * checkpoint within ~15 min), flight arrivals at Blimbingsari, and an Eid/mudik surge factor.
 */
import { checkpointById } from '@sk/protocol';
import { Rng } from './rng.ts';

/**
 * Relative traffic by hour of day in WIB (index 0 = 00:00–01:00). Night is quiet, a morning peak
 * (people leave early to arrive before the heat) and a late-afternoon one. Mean over the day is 1.
 */
const RHYTHM_RAW = [0.2, 0.15, 0.12, 0.12, 0.25, 0.6, 1.1, 1.6, 1.8, 1.6, 1.3, 1.2, 1.1, 1.2, 1.4, 1.6, 1.8, 1.7, 1.4, 1.1, 0.8, 0.6, 0.4, 0.3];
const RHYTHM_MEAN = RHYTHM_RAW.reduce((a, b) => a + b, 0) / 24;
export const HOURLY_RHYTHM: readonly number[] = Object.freeze(RHYTHM_RAW.map((r) => r / RHYTHM_MEAN));

const WIB_OFFSET_MS = 7 * 3_600_000;
const MINUTE = 60_000;

/** `hourOfDayWib(Date.parse('2026-04-01T01:30:00Z'))` → 8 */
export function hourOfDayWib(ms: number): number {
  return Math.floor((((ms + WIB_OFFSET_MS) % 86_400_000) + 86_400_000) % 86_400_000 / 3_600_000);
}

/** Rate multiplier at an instant: the daily rhythm times the mudik surge. */
export function rateMultiplier(ms: number, surge = 1): number {
  return HOURLY_RHYTHM[hourOfDayWib(ms)]! * surge;
}

// Blimbingsari's scheduled arrivals (WIB hour, minute): a handful of flights a day.
const FLIGHTS_WIB: readonly (readonly [number, number])[] = [[8, 40], [11, 15], [14, 5], [17, 30]];

export interface TrafficOptions {
  checkpointId: string;
  /** Walk-in/vehicle travellers per hour at rhythm 1 (the day's mean). */
  baseRatePerHour: number;
  /** Start instant, epoch ms. */
  startMs: number;
  seed: number | string;
  /** Eid/mudik surge factor on everything (1 = ordinary day, 3–5 during mudik). */
  surge?: number;
  /** Mean travellers per ferry at rhythm 1 (Ketapang only). */
  ferryPassengers?: number;
  /** Mean passengers per flight (Blimbingsari only). */
  flightPassengers?: number;
}

export type ArrivalKind = 'walk' | 'ferry' | 'flight';
export interface Arrival { atMs: number; kind: ArrivalKind }

/**
 * An endless, time-ordered stream of arrivals at one checkpoint. Walk-ins are a Poisson process
 * whose rate follows the rhythm (Lewis–Shedler thinning); ferries and flights add bursts.
 */
export function* arrivals(options: TrafficOptions): Generator<Arrival, never> {
  const rng = new Rng(options.seed);
  const walkRng = rng.fork('walk');
  const burstRng = rng.fork('burst');
  const surge = options.surge ?? 1;
  const kind = checkpointById(options.checkpointId)?.kind;
  const peak = Math.max(...HOURLY_RHYTHM) * surge * options.baseRatePerHour;

  let walkAt = options.startMs;
  const nextWalk = (): number => {
    // Thinning: propose at the peak rate, accept with rate(t)/peak.
    for (let i = 0; i < 100_000; i++) {
      walkAt += walkRng.exponential(3_600_000 / Math.max(peak, 1e-9));
      if (walkRng.next() * peak < rateMultiplier(walkAt, surge) * options.baseRatePerHour) return walkAt;
    }
    return walkAt;
  };

  let nextBurstAt = kind === 'pelabuhan' ? options.startMs + burstRng.int(0, 30) * MINUTE : kind === 'bandara' ? nextFlight(options.startMs) : Infinity;
  const pending: Arrival[] = [];
  const fillBurst = (): void => {
    const at = nextBurstAt;
    const isFerry = kind === 'pelabuhan';
    const mean = (isFerry ? (options.ferryPassengers ?? 40) : (options.flightPassengers ?? 70)) * surge * (isFerry ? rateMultiplier(at) : 1);
    const n = Math.max(0, Math.round(burstRng.normal(mean, Math.sqrt(mean))));
    const spreadMin = isFerry ? 15 : 25;
    const times = Array.from({ length: n }, () => at + burstRng.next() * spreadMin * MINUTE).sort((a, b) => a - b);
    pending.push(...times.map((t) => ({ atMs: t, kind: (isFerry ? 'ferry' : 'flight') as ArrivalKind })));
    pending.sort((a, b) => a.atMs - b.atMs);
    nextBurstAt = isFerry ? at + burstRng.int(30, 60) * MINUTE : nextFlight(at + MINUTE);
  };

  let walk = nextWalk();
  for (;;) {
    // Only bursts that started before the next walk-in can contribute something earlier.
    while (nextBurstAt <= walk) fillBurst();
    if (pending.length > 0 && pending[0]!.atMs <= walk) yield pending.shift()!;
    else {
      yield { atMs: walk, kind: 'walk' };
      walk = nextWalk();
    }
  }
}

/** The next scheduled flight arrival at or after `ms`. */
export function nextFlight(ms: number): number {
  const dayStart = Math.floor((ms + WIB_OFFSET_MS) / 86_400_000) * 86_400_000 - WIB_OFFSET_MS;
  for (let d = 0; d < 2; d++) {
    for (const [h, m] of FLIGHTS_WIB) {
      const t = dayStart + d * 86_400_000 + (h * 60 + m) * MINUTE;
      if (t >= ms) return t;
    }
  }
  return ms + 86_400_000;
}

/** Arrivals in `[startMs, startMs + durationMs)`, for tests and for planning a run. */
export function schedule(options: TrafficOptions & { durationMs: number; maxArrivals?: number }): Arrival[] {
  const out: Arrival[] = [];
  const end = options.startMs + options.durationMs;
  const cap = options.maxArrivals ?? 1_000_000;
  for (const a of arrivals(options)) {
    if (a.atMs >= end || out.length >= cap) break;
    out.push(a);
  }
  return out;
}
