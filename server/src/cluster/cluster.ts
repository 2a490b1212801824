/**
 * Cluster mode of the server (issue 9), switched on by REDIS_URL. N instances share brokers, Redis and
 * InfluxDB and behave as one:
 *  - ingest is partitioned by checkpoint leases (leases.ts): each instance subscribes only to the scans
 *    of the checkpoints it holds; a dead instance's leases move within the lease TTL;
 *  - sessions are in the database of record (auth/sessions.ts), shared by every instance;
 *  - live events: a scan is announced once cluster-wide (SET NX), gets a cluster-wide eventId (INCR),
 *    is emitted through @socket.io/redis-adapter to every console whatever instance it is on, and is
 *    copied into every instance's catch-up ring (serverSideEmit), so catch-up works on any instance.
 * Storage needs nothing extra: the device acks + deterministic point identity make redelivery safe.
 */
import { Redis } from 'ioredis';
import { createAdapter } from '@socket.io/redis-adapter';
import { CHECKPOINT_IDS, SERVER_SUBSCRIPTIONS, type ArrivalEvent, type DeviceStatus, type Scan } from '@sk/protocol';
import type { Logger } from '../log.ts';
import type { Live } from '../live/live.ts';
import { CheckpointLeases } from './leases.ts';
import { ClusterAnnounced } from './redis-seen.ts';

const scansOf = (cp: string) => `sk/v1/checkpoints/${cp}/devices/+/scans`;
const RING_EVENT = 'sk:ring';

export interface ClusterOptions {
  redisUrl: string;
  instanceId: string;
  log: Logger;
  /** Start/stop reading one checkpoint's scans (Ingest.follow). */
  follow(filter: string, on: boolean): void;
  leaseTtlMs?: number;
}

export class ServerCluster {
  readonly redis: Redis;
  readonly adapter: ReturnType<typeof createAdapter>;
  readonly leases: CheckpointLeases;
  readonly #pub: Redis;
  readonly #sub: Redis;
  readonly #announced: ClusterAnnounced;
  #chain: Promise<void> = Promise.resolve();

  constructor(private readonly o: ClusterOptions) {
    const opts = { maxRetriesPerRequest: null };
    this.redis = new Redis(o.redisUrl, opts);
    this.#pub = new Redis(o.redisUrl, opts);
    // Subscriber connection: no ready check (its INFO is refused in subscriber mode after a reconnect).
    this.#sub = new Redis(o.redisUrl, { ...opts, enableReadyCheck: false });
    for (const c of [this.redis, this.#pub, this.#sub]) c.on('error', (e: Error) => o.log.warn({ err: e.message }, 'redis error'));
    this.adapter = createAdapter(this.#pub, this.#sub);
    this.#announced = new ClusterAnnounced(this.redis);
    this.leases = new CheckpointLeases({
      redis: this.redis,
      instanceId: o.instanceId,
      checkpoints: CHECKPOINT_IDS,
      ttlMs: o.leaseTtlMs,
      log: o.log,
      onAcquire: (cp) => o.follow(scansOf(cp), true),
      onRelease: (cp) => o.follow(scansOf(cp), false),
    });
  }

  /** For Ingest's `scanFilters`: the held checkpoints, and every other scan filter dropped. */
  scanFilters(): { subscribe: string[]; unsubscribe: string[] } {
    const held = new Set(this.leases.held());
    return {
      subscribe: [...held].map(scansOf),
      unsubscribe: [SERVER_SUBSCRIPTIONS.scans, ...CHECKPOINT_IDS.filter((cp) => !held.has(cp)).map(scansOf)],
    };
  }

  /** Device status reaches every instance (registry), but only the lease holder announces it. */
  ownsStatus(s: DeviceStatus): boolean {
    return this.leases.holds(s.checkpointId);
  }

  #live: Live | undefined;

  /**
   * Listens for the other instances' ring entries. Call after live.start(). (Alerts need nothing here:
   * they are rows in the shared PostgreSQL, and their live events reach every console through the
   * Redis adapter, issue 15.)
   */
  attach(live: Live): void {
    this.#live = live;
    const io = live.io as unknown as { on(ev: string, fn: (e: never) => void): void } | undefined;
    io?.on(RING_EVENT, (e: ArrivalEvent) => live.remember(e));
  }

  /**
   * Announces a scan once cluster-wide, in arrival order per instance: `deliver(eventId)` runs only on
   * the instance that saw it first, with a cluster-wide event id.
   */
  announce(live: Live, scan: Scan, deliver: (eventId: number) => ArrivalEvent | undefined): void {
    this.#chain = this.#chain
      .then(async () => {
        if (!(await this.#announced.first(scan.scanId))) return;
        const id = await this.redis.incr('sk:live:eventId');
        const event = deliver(id);
        const io = live.io as unknown as { serverSideEmit(ev: string, e: ArrivalEvent): void } | undefined;
        if (event) io?.serverSideEmit(RING_EVENT, event);
      })
      .catch((e: Error) => this.o.log.warn({ err: e.message }, 'live announce failed (the scan is still stored and acked)'));
  }

  /** Takes leases. */
  async start(): Promise<void> {
    await this.leases.start();
  }

  /** Hands the leases back first (others take over at once), then closes Redis. */
  async stop(): Promise<void> {
    await this.leases.stop();
    await this.#chain;
  }

  async close(): Promise<void> {
    for (const c of [this.redis, this.#pub, this.#sub]) c.disconnect();
  }
}
