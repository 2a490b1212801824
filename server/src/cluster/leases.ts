/**
 * Checkpoint leases in Redis (issue 9). aedes speaks MQTT 3.1.1: there are no shared subscriptions, so
 * the ingest is partitioned by checkpoint instead. Each server instance holds the leases of a fair share
 * of the checkpoints and subscribes only to their scans.
 *
 *  - A lease is `SET sk:lease:<cp> <instance> NX PX ttl`, renewed every `renewMs` by a Lua
 *    compare-and-expire (only its holder can extend it) — the single-instance Redlock pattern.
 *  - Live instances register in a sorted set scored by their last heartbeat; the fair share is
 *    ceil(checkpoints / live instances). An instance over its share releases the extra leases so a new
 *    instance gets work; a dead instance stops renewing and its leases expire within `ttlMs`.
 *  - Overlap is safe by design: two instances briefly reading the same checkpoint store the same
 *    points (deterministic identity) and the live events are de-duplicated cluster-wide by scanId.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../log.ts';

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export interface LeaseOptions {
  redis: Redis;
  instanceId: string;
  checkpoints: readonly string[];
  ttlMs?: number;
  renewMs?: number;
  log: Logger;
  onAcquire(checkpointId: string): void;
  onRelease(checkpointId: string): void;
}

export const leaseKey = (cp: string) => `sk:lease:${cp}`;
const MEMBERS = 'sk:servers';

export class CheckpointLeases {
  readonly #held = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> = Promise.resolve();
  #stopped = false;
  readonly ttlMs: number;
  readonly renewMs: number;

  constructor(private readonly o: LeaseOptions) {
    this.ttlMs = o.ttlMs ?? 3000;
    this.renewMs = o.renewMs ?? 1000;
  }

  held(): string[] {
    return [...this.#held].sort();
  }

  holds(checkpointId: string): boolean {
    return this.#held.has(checkpointId);
  }

  async start(): Promise<void> {
    await this.tick();
    this.#timer = setInterval(() => {
      this.#ticking = this.#ticking.then(() => this.tick()).catch((e: Error) => this.o.log.warn({ err: e.message }, 'lease round failed'));
    }, this.renewMs);
  }

  /** Gives every lease back at once (a graceful stop hands the checkpoints over without waiting for the TTL). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#ticking;
    const r = this.o.redis;
    for (const cp of this.held()) {
      await r.eval(RELEASE, 1, leaseKey(cp), this.o.instanceId).catch(() => 0);
      this.#lose(cp);
    }
    await r.zrem(MEMBERS, this.o.instanceId).catch(() => 0);
  }

  /** One round: heartbeat, renew, rebalance, acquire. Public so tests can drive it. */
  async tick(): Promise<void> {
    if (this.#stopped) return;
    const { redis: r, instanceId: me, checkpoints } = this.o;
    const now = Date.now();
    const [, , live] = (await r.multi().zadd(MEMBERS, now, me).zremrangebyscore(MEMBERS, '-inf', now - this.ttlMs).zcard(MEMBERS).exec()) ?? [];
    const instances = Math.max(1, Number(live?.[1] ?? 1));
    const share = Math.ceil(checkpoints.length / instances);

    for (const cp of this.held()) {
      const ok = Number(await r.eval(RENEW, 1, leaseKey(cp), me, String(this.ttlMs)));
      if (!ok) {
        this.o.log.warn({ checkpointId: cp }, 'lease lost (expired or taken); unsubscribing');
        this.#lose(cp);
      }
    }
    // Over the fair share (an instance joined): hand the extras back, last acquired first.
    for (const cp of this.held().reverse()) {
      if (this.#held.size <= share) break;
      await r.eval(RELEASE, 1, leaseKey(cp), me);
      this.#lose(cp);
    }
    // Start at an instance-specific offset so two instances starting together don't race for the same keys.
    const offset = [...me].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % Math.max(1, checkpoints.length);
    for (let i = 0; i < checkpoints.length && this.#held.size < share; i++) {
      const cp = checkpoints[(offset + i) % checkpoints.length]!;
      if (this.#held.has(cp)) continue;
      if ((await r.set(leaseKey(cp), me, 'PX', this.ttlMs, 'NX')) === 'OK') {
        this.#held.add(cp);
        this.o.log.info({ checkpointId: cp, share, instances }, 'lease acquired');
        this.o.onAcquire(cp);
      }
    }
  }

  #lose(cp: string): void {
    if (!this.#held.delete(cp)) return;
    this.o.onRelease(cp);
  }
}
