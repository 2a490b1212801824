/**
 * Batches accepted scans to the store, spools them when the store is down, and acknowledges each
 * device's sequence numbers once they are durable (stored or spooled) — never before.
 *
 * One flush at a time (a promise chain), so a duplicate's ack never overtakes its original's write.
 * While the spool holds anything, new batches join it too, so the store receives scans in order.
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
  /** Publish the ack for one device (QoS 1). */
  ack(checkpointId: string, deviceId: string, ranges: [number, number][]): void;
  /** Scans that could not be made durable: forget them so the device's retransmission is accepted. */
  forget(scans: readonly Scan[]): void;
  onStored?(scans: readonly Scan[]): void;
}

export class ScanWriter {
  readonly counters: WriterCounters = { stored: 0, dropped: 0 };
  #queue: WriterEntry[] = [];
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #inFlight = 0;
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
    this.#chain = this.#chain
      .then(() => this.#write(batch))
      .catch((e: Error) => this.d.log.error({ err: e.message }, 'batch write failed unexpectedly'))
      .finally(() => {
        this.#inFlight -= batch.length;
        this.#waiters.splice(0).forEach((w) => w());
      });
  }

  async #write(batch: WriterEntry[]): Promise<void> {
    const fresh = batch.filter((e) => !e.duplicate).map((e) => e.scan);
    try {
      if (this.d.spool.depth > 0 || !this.#storeUp) {
        await this.#spool(fresh);
      } else {
        try {
          await this.d.store.writeBatch(fresh);
          this.counters.stored += fresh.length;
          this.d.onStored?.(fresh);
        } catch (e) {
          if (!(e instanceof StoreRejectedError)) {
            this.#storeDown(e as Error);
            await this.#spool(fresh);
          } else {
            // Should not happen for validated scans; keep them on disk for an operator rather than retrying forever.
            await this.d.rejected.append(fresh);
            this.counters.dropped += fresh.length;
            this.d.log.error({ err: e.message, scans: fresh.length }, 'store refused a batch; kept in spool/rejected');
          }
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
