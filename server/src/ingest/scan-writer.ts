/**
 * Batches accepted scans to the store, spools them when the store is down, and acknowledges each
 * device's sequence numbers once they are durable (stored or spooled) — never before.
 *
 * Up to `concurrency` batches are written to the store at once (InfluxDB takes parallel writes on
 * its other cores; one write at a time left the whole pipeline waiting on each round trip: issue 5,
 * docs/benchmarks.md), but what follows a write — counting, spooling on failure, acknowledging — runs
 * in batch order on one promise chain, so a duplicate's ack never overtakes its original's write and
 * the spool receives batches in order. While the spool holds anything, new batches join it too.
 */
import { toRanges, type Scan } from '@sk/protocol';
import type { Logger } from '../log.ts';
import { StoreRejectedError, type ScanStore } from '../store/scan-store.ts';
import type { Spool } from '../store/spool.ts';

export interface WriterEntry {
  scan: Scan;
  /** Already accepted before: ack it again once durable, don't write it again. */
  duplicate: boolean;
}

export interface WriterCounters {
  stored: number;
  /** Accepted but neither stored nor spooled (disk failure, or refused by the store): see the log. */
  dropped: number;
}

export interface ScanWriterDeps {
  store: ScanStore;
  spool: Spool;
  /** Where batches the store refuses (HTTP 4xx) are kept for an operator; never drained automatically. */
  rejected: Spool;
  log: Logger;
  maxPoints: number;
  maxMs: number;
  /** Batches written to the store at the same time (default 2). */
  concurrency?: number;
  /** Publish the ack for one device (QoS 1). */
  ack(checkpointId: string, deviceId: string, ranges: [number, number][]): void;
  /** Scans that could not be made durable: forget them so the device's retransmission is accepted. */
  forget(scans: readonly Scan[]): void;
  onStored?(scans: readonly Scan[]): void;
}

const SPOOL = Symbol('spool');

export class ScanWriter {
  readonly counters: WriterCounters = { stored: 0, dropped: 0 };
  #queue: WriterEntry[] = [];
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #inFlight = 0;
  /** Store writes running, and batches waiting for a write slot. */
  #writing = 0;
  readonly #slotWaiters: (() => void)[] = [];
  #draining: Promise<void> | undefined;
  #drainTimer: NodeJS.Timeout | undefined;
  #storeUp = true;
  #stopped = false;
  readonly #waiters: (() => void)[] = [];

  constructor(private readonly d: ScanWriterDeps) {}

  start(): void {
    if (this.d.spool.depth > 0) this.#drainSoon(0);
  }

  /** Flushes everything queued, then stops the drain loop (the spool keeps the rest for next start). */
  async stop(): Promise<void> {
    await this.flush();
    this.#stopped = true;
    clearTimeout(this.#drainTimer);
    await this.#draining;
  }

  /** Accepted scans not yet durable (queued or being written). */
  get pending(): number {
    return this.#queue.length + this.#inFlight;
  }

  get storeUp(): boolean {
    return this.#storeUp;
  }

  enqueue(entry: WriterEntry): void {
    this.#queue.push(entry);
    if (this.#queue.length >= this.d.maxPoints) this.#schedule(0);
    else if (!this.#timer) this.#schedule(this.d.maxMs);
  }

  /** Resolves when fewer than `limit` scans are pending (backpressure for the MQTT reader). */
  async belowLimit(limit: number): Promise<void> {
    while (this.pending >= limit) await new Promise<void>((r) => this.#waiters.push(r));
  }

  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#queue.length > 0) this.#flushOne();
    return this.#chain;
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      while (this.#queue.length > 0) this.#flushOne();
    }, ms);
  }

  #flushOne(): void {
    const batch = this.#queue.splice(0, this.d.maxPoints);
    this.#inFlight += batch.length;
    const fresh = batch.filter((e) => !e.duplicate).map((e) => e.scan);
    // Straight to the spool while it holds anything (order) or the store is known down.
    const attempt: Promise<unknown> = this.d.spool.depth > 0 || !this.#storeUp ? Promise.resolve(SPOOL) : this.#storeWrite(fresh);
    this.#chain = this.#chain
      .then(() => this.#settle(batch, fresh, attempt))
      .catch((e: Error) => this.d.log.error({ err: e.message }, 'batch write failed unexpectedly'))
      .finally(() => {
        this.#inFlight -= batch.length;
        this.#waiters.splice(0).forEach((w) => w());
      });
  }

  /** The store write, when a slot is free; resolves with undefined (stored) or the error (never rejects). */
  async #storeWrite(scans: Scan[]): Promise<unknown> {
    if (this.#writing >= (this.d.concurrency ?? 2)) await new Promise<void>((r) => this.#slotWaiters.push(r));
    this.#writing++;
    try {
      await this.d.store.writeBatch(scans);
      return undefined;
    } catch (e) {
      return e ?? new Error('store write failed');
    } finally {
      this.#writing--;
      this.#slotWaiters.shift()?.();
    }
  }

  /** In batch order: count, spool what failed, then acknowledge what is durable. */
  async #settle(batch: WriterEntry[], fresh: Scan[], attempt: Promise<unknown>): Promise<void> {
    const outcome = await attempt;
    try {
      if (outcome === SPOOL) {
        await this.#spool(fresh);
      } else if (outcome === undefined) {
        this.counters.stored += fresh.length;
        this.d.onStored?.(fresh);
      } else {
        const e = outcome as Error;
        if (!(e instanceof StoreRejectedError)) {
          this.#storeDown(e);
          await this.#spool(fresh);
        } else {
          // Should not happen for validated scans; keep them on disk for an operator rather than retrying forever.
          await this.d.rejected.append(fresh);
          this.counters.dropped += fresh.length;
          this.d.log.error({ err: e.message, scans: fresh.length }, 'store refused a batch; kept in spool/rejected');
        }
      }
    } catch (e) {
      this.counters.dropped += fresh.length;
      this.d.forget(fresh);
      this.d.log.error({ err: (e as Error).message, scans: fresh.length }, 'could not spool a batch; not acknowledged, devices will resend');
      return;
    }
    this.#ackAll(batch);
  }

  async #spool(scans: Scan[]): Promise<void> {
    await this.d.spool.append(scans);
    this.#drainSoon(this.#storeUp ? 0 : 250);
  }

  #storeDown(e: Error): void {
    if (this.#storeUp) this.d.log.warn({ err: e.message }, 'store down; spooling accepted scans');
    this.#storeUp = false;
  }

  #ackAll(batch: WriterEntry[]): void {
    const byDevice = new Map<string, { cp: string; dev: string; seqs: number[] }>();
    for (const { scan } of batch) {
      const key = `${scan.checkpointId}/${scan.deviceId}`;
      let entry = byDevice.get(key);
      if (!entry) byDevice.set(key, (entry = { cp: scan.checkpointId, dev: scan.deviceId, seqs: [] }));
      entry.seqs.push(scan.seq);
    }
    for (const { cp, dev, seqs } of byDevice.values()) this.d.ack(cp, dev, toRanges(seqs));
  }

  #drainSoon(ms: number): void {
    if (this.#stopped || this.#draining || this.#drainTimer) return;
    this.#drainTimer = setTimeout(() => {
      this.#drainTimer = undefined;
      this.#draining = this.#drain().finally(() => {
        this.#draining = undefined;
        if (this.d.spool.depth > 0) this.#drainSoon(this.#storeUp ? 0 : 500);
      });
    }, ms);
  }

  async #drain(): Promise<void> {
    try {
      const n = await this.d.spool.drain(
        async (scans) => {
          await this.d.store.writeBatch(scans);
          this.d.onStored?.(scans);
        },
        this.d.maxPoints,
        (count) => (this.counters.stored += count),
      );
      if (!this.#storeUp) this.d.log.info({ drained: n }, 'store back; spool drained');
      this.#storeUp = true;
    } catch (e) {
      this.#storeDown(e as Error);
    }
  }
}
