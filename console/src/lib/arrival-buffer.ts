/**
 * The live feed's bounded memory: newest first, at most `capacity` events, each scan once.
 * Pure (no DOM, no socket): merges live events, catch-up replies and HTTP pages in any order.
 * Deduplicates by scanId — the server dedups too, but a catch-up reply and a live event can overlap.
 */
import type { ArrivalEvent } from '@sk/protocol';

/**
 * Newest first: by eventId, then by scan time. History the server no longer holds in its live ring
 * comes over HTTP with eventId 0 (older than anything live), so those sort by scan time among themselves.
 */
export function newestFirst(a: ArrivalEvent, b: ArrivalEvent): number {
  return b.eventId - a.eventId || (a.scannedAt < b.scannedAt ? 1 : a.scannedAt > b.scannedAt ? -1 : 0);
}

export class ArrivalBuffer {
  #items: ArrivalEvent[] = [];
  #scanIds = new Set<string>();
  #cursor = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  /** Newest first (highest eventId first). Replaced, never mutated, by merge(): safe to hand to $state.raw. */
  get items(): readonly ArrivalEvent[] {
    return this.#items;
  }

  /** The highest eventId ever merged: the catch-up cursor. */
  get cursor(): number {
    return this.#cursor;
  }

  /** Adds the events not yet held and returns them (oldest first), so callers can count them once. */
  merge(events: readonly ArrivalEvent[]): ArrivalEvent[] {
    const added: ArrivalEvent[] = [];
    for (const e of events) {
      if (this.#scanIds.has(e.scanId)) continue;
      this.#scanIds.add(e.scanId);
      added.push(e);
      if (e.eventId > this.#cursor) this.#cursor = e.eventId;
    }
    if (added.length === 0) return added;
    added.sort((a, b) => -newestFirst(a, b));
    const head = this.#items[0];
    const first = added[0] as ArrivalEvent;
    // Fast path (live traffic): everything new is newer than what we hold, so prepend in reverse.
    let next = !head || first.eventId > head.eventId
      ? added.slice().reverse().concat(this.#items)
      : added.concat(this.#items).sort(newestFirst);
    if (next.length > this.capacity) {
      for (const dropped of next.slice(this.capacity)) this.#scanIds.delete(dropped.scanId);
      next = next.slice(0, this.capacity);
    }
    this.#items = next;
    return added;
  }

  /** Forget everything (e.g. the server restarted and its eventIds started again). */
  clear(): void {
    this.#items = [];
    this.#scanIds.clear();
    this.#cursor = 0;
  }
}
