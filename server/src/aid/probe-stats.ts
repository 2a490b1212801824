/** Probe health of a {@link HashTable} image: how far entries sit from their home slot (benchmarks, tests). */
import type { TableImage } from './hash-table.ts';

const EMPTY = 0;
/** Same as the table's cap on an entry's distance from home (16 bits). */
const MAX_DISTANCE = 0xffff;

export interface ProbeStats {
  /** Mean slots a miss reads from a random home before it can stop. */
  meanMissScan: number;
  /** Mean and largest distance of an entry from its home slot. */
  meanDistance: number;
  maxDistance: number;
  /** The longest run of occupied slots. */
  maxRun: number;
  load: number;
}

export function probeStats(img: TableImage): ProbeStats {
  const w = img.words;
  const cap = img.capacity;
  // Slot words: 0 hi, 1 lo, 2 tag (0 = empty), …, 5 village | distance << 16.
  const STRIDE = w.length / cap;
  let run = 0;
  let maxRun = 0;
  let dist = 0;
  let maxDistance = 0;
  for (let i = 0; i < cap; i++) {
    const o = i * STRIDE;
    if (w[o + 2] === EMPTY) {
      run = 0;
      continue;
    }
    const d = w[o + 5]! >>> 16;
    dist += d;
    if (d > maxDistance) maxDistance = d;
    if (++run > maxRun) maxRun = run;
  }
  // A miss from home h reads until an empty slot or an entry with distance < its own: count it
  // exactly on a sample of homes (a full pass would be O(cap × run)).
  const sample = Math.min(cap, 100_000);
  let sampled = 0;
  for (let s = 0; s < sample; s++) {
    let i = Math.floor((s * cap) / sample);
    let d = 0;
    for (; d <= MAX_DISTANCE; d++) {
      const o = i * STRIDE;
      if (w[o + 2] === EMPTY || w[o + 5]! >>> 16 < d) break;
      if (++i === cap) i = 0;
    }
    sampled += d + 1;
  }
  return { meanMissScan: sampled / sample, meanDistance: img.size ? dist / img.size : 0, maxDistance, maxRun, load: img.size / cap };
}
