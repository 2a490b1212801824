/**
 * Which scanIds the server has already accepted, so a re-delivered scan makes no second live event.
 * An interface so it can move to Redis (shared by several server instances) later.
 */
export interface SeenIndex {
  /** Marks `scanId` seen; true when it was new. Atomic per call (one JS turn). */
  markSeen(scanId: string): Promise<boolean>;
  /** The same without a promise, for an in-memory index (the ingest then awaits nothing per scan). */
  markSeenSync?(scanId: string): boolean;
  /** Un-marks ids whose scans could not be made durable, so the device's resend is taken as new. */
  forget(scanIds: readonly string[]): Promise<void>;
  size(): number;
}

/**
 * In-memory, bounded by count: the oldest ids are forgotten first (insertion order).
 * A duplicate older than the window would make a second live event but never a second stored
 * point (the InfluxDB point identity is deterministic), so the bound only costs a rare extra event.
 */
export class MemorySeenIndex implements SeenIndex {
  /** A Set keeps insertion order too, at two words an entry instead of a Map's three. */
  readonly #ids = new Set<string>();
  constructor(private readonly maxEntries = 500_000) {}

  async markSeen(scanId: string): Promise<boolean> {
    return this.markSeenSync(scanId);
  }

  markSeenSync(scanId: string): boolean {
    if (this.#ids.has(scanId)) return false;
    this.#ids.add(scanId);
    if (this.#ids.size > this.maxEntries) {
      const oldest = this.#ids.values().next().value;
      if (oldest !== undefined) this.#ids.delete(oldest);
    }
    return true;
  }

  async forget(scanIds: readonly string[]): Promise<void> {
    for (const id of scanIds) this.#ids.delete(id);
  }

  size(): number {
    return this.#ids.size;
  }
}
