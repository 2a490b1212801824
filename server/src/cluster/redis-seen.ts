/**
 * Cluster-wide "first time this scanId was announced" (issue 9): one SET NX per scan, kept a day.
 * Used for live events and alerts only. The store-and-ack path keeps each instance's own SeenIndex:
 * an instance that saw a scan second must still write it (idempotently) before it acks it, because
 * the first instance may crash before its write — acking on another instance's word would lose it.
 */
import type { Redis } from 'ioredis';

export class ClusterAnnounced {
  constructor(private readonly redis: Redis, private readonly ttlSec = 24 * 3600) {}

  /** True exactly once per scanId across every instance (until the key expires). */
  async first(scanId: string): Promise<boolean> {
    return (await this.redis.set(`sk:announced:${scanId}`, '1', 'EX', this.ttlSec, 'NX')) === 'OK';
  }
}
