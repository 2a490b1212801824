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
import type { AlertBook, AlertRecord } from '../alerts/alert-book.ts';
import { CheckpointLeases } from './leases.ts';
import { ClusterAnnounced } from './redis-seen.ts';
import { SharedAlerts } from './shared-alerts.ts';

const scansOf = (cp: string) => `sk/v1/checkpoints/${cp}/devices/+/scans`;
const RING_EVENT = 'sk:ring';
const ALERT_EVENT = 'sk:alert';
/** Alert ids per instance start: each start reserves its own block (INCR), so ids never collide. */
export const ALERT_ID_BLOCK = 1_000_000_000;

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
  readonly #sharedAlerts: SharedAlerts;
  #alerts: AlertBook | undefined;
  #alertWrites: Promise<void> = Promise.resolve();
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
    this.#sharedAlerts = new SharedAlerts(this.redis, o.instanceId);
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

  /** Listens for the other instances' ring entries and alert changes. Call after live.start(). */
  attach(live: Live, alerts?: AlertBook): void {
    this.#live = live;
    this.#alerts = alerts;
    const io = live.io as unknown as { on(ev: string, fn: (e: never) => void): void } | undefined;
    io?.on(RING_EVENT, (e: ArrivalEvent) => live.remember(e));
    // Another instance's alert change: mirrored here so /api/alerts and ack/clear work on any instance.
    if (alerts) io?.on(ALERT_EVENT, (r: AlertRecord) => alerts.merge(r));
  }

  /**
   * For Alerts' `share`: hands a local alert change to every other instance (they `merge` it) and keeps
   * our copy in Redis for instances that start later (shared-alerts.ts).
   */
  shareAlert(r: AlertRecord): void {
    const io = this.#live?.io as unknown as { serverSideEmit(ev: string, r: AlertRecord): void } | undefined;
    io?.serverSideEmit(ALERT_EVENT, r);
    this.#alertWrites = this.#alertWrites
      .then(() => this.#sharedAlerts.write(r))
      .catch((e: Error) => this.o.log.warn({ err: e.message, alertId: r.id }, 'alert not kept in Redis (a later instance will not list it)'));
  }

  /**
   * A joining (or restarted) instance: the alerts raised before it joined, joined with its own journal
   * (states only move forward, so an alert cleared elsewhere while we were down is cleared here too).
   * Our open alerts the cluster no longer keeps (Redis restarted empty) are handed back to it.
   */
  async loadAlerts(book: AlertBook): Promise<number> {
    let n = 0;
    for (const r of await this.#sharedAlerts.load()) {
      if (r.state === 'cleared' && !book.get(r.id)) continue; // only what is open, or what we already list
      book.merge(r);
      n++;
    }
    const open = book.openRecords();
    const missing = new Set(await this.#sharedAlerts.missing(open.map((r) => r.id)));
    for (const r of open) if (missing.has(r.id)) await this.#sharedAlerts.write(r);
    return n;
  }

  /** The first alert id of this instance's own block (cluster-wide unique ids). */
  async reserveAlertIds(): Promise<number> {
    return Number(await this.redis.incr('sk:alerts:idBlock')) * ALERT_ID_BLOCK + 1;
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

  /** Loads the cluster's alerts (when attached with a book), then takes leases. */
  async start(): Promise<void> {
    if (this.#alerts) {
      const n = await this.loadAlerts(this.#alerts).catch((e: Error) => {
        this.o.log.warn({ err: e.message }, 'alerts of the cluster not loaded (only ours and new ones are listed)');
        return 0;
      });
      this.o.log.info({ alerts: n }, 'alerts loaded from the cluster');
    }
    await this.leases.start();
  }

  /** Hands the leases back first (others take over at once), then closes Redis. */
  async stop(): Promise<void> {
    await this.leases.stop();
    await this.#chain;
    await this.#alertWrites;
  }

  async close(): Promise<void> {
    for (const c of [this.redis, this.#pub, this.#sub]) c.disconnect();
  }
}
