/**
 * The device clock's ties to the machine: the monotonic clock, the kernel's boot id, and the saved
 * anchor (`device-clock.json` in the agent's data dir). See device-clock.ts for why.
 */
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SavedClock } from './device-clock.ts';

/**
 * How far a live `sk/v1/time` beacon may be off when it arrives: its one-way trip through the broker,
 * normally milliseconds; a second leaves room for a slow link. An ack's round trip is measured instead.
 */
export const BEACON_UNCERTAINTY_MS = 1000;

const FILE = 'device-clock.json';

/** CLOCK_MONOTONIC in ms (libuv's hrtime): never steps, and is shared by every process of one boot. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1_000_000n);
}

/** Linux's id of this boot; null elsewhere (then a restarted agent relearns the time). */
export function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

export function loadSavedClock(dir: string): SavedClock | null {
  try {
    const s = JSON.parse(readFileSync(join(dir, FILE), 'utf8')) as SavedClock;
    return s && typeof s === 'object' && s.v === 1 && typeof s.bootId === 'string' ? s : null;
  } catch {
    return null;
  }
}

/** Replaces the saved anchor atomically (a torn file reads as none: the time is relearned). */
export async function saveClock(dir: string, saved: SavedClock): Promise<void> {
  const tmp = join(dir, `${FILE}.tmp`);
  await writeFile(tmp, JSON.stringify(saved));
  await rename(tmp, join(dir, FILE));
}
