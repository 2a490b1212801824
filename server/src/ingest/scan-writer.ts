/**
 * Batches accepted scans into the database of record and their points into InfluxDB, and
 * acknowledges each device's sequence numbers once both are durable — never before (issue 15):
 *
 *   1. the batch's rows are inserted in one transaction (a scan already stored is a no-op by its
 *      primary key, so a redelivery writes no second row); the commit is durable (SQLite WAL with
 *      synchronous=FULL, or PostgreSQL's commit);
 *   2. the NEW scans are announced (live channel, expected arrivals, alerts): each exactly once, even
 *      when a device resends after a crash or another server already took it;
 *   3. the points of the whole batch (new scans, and redelivered ones on their stored time, in case a
 *      crash came between an earlier commit and its point write) go to InfluxDB, or to the local spool
 *      when InfluxDB is down — the same point identity either way, so nothing doubles;
 *   4. the devices are acked.
 *
 * A database failure (disk full, locked, PostgreSQL down) acks nothing: the devices keep the scans in
 * their outboxes and send them again. Inserts run one batch at a time, in order; up to `concurrency`
 * InfluxDB writes run at once (InfluxDB takes parallel writes on its other cores, issue 5), but
 * spooling and acknowledging follow batch order on one promise chain.
 */
import { toRanges, type Scan } from '@sk/protocol';
import type { Logger } from '../log.ts';
import type { RecordsDb } from '../db/database.ts';
import { insertScans, scanToRow, type ClockFlag } from '../db/scan-rows.ts';
import type { NewScanRow } from '../db/schema.ts';
import { rowLine } from '../store/line-protocol.ts';
import { StoreRejectedError, type ScanStore } from '../store/scan-store.ts';
import type { Spool } from '../store/spool.ts';

export interface WriterEntry {
  /** The scan, its `scannedAt` already bounded by the receive time (ingest). */
  scan: Scan;
  receivedAt: string;
  /** What the device said, when the server replaced it (`clock` set). */
  deviceScannedAt?: string;
  clock?: ClockFlag;
}

export interface WriterCounters {
  /** Scans committed to the database by this process. */
  stored: number;
  /** Scans that were already in the database (redeliveries): acked again, written once. */
  duplicates: number;
  /** Accepted but not made durable (database down, or refused by InfluxDB and set aside): see the log. */
  dropped: number;
  /** Batches the database refused (not acked; the devices resend). */
  dbFailures: number;
}

export interface ScanWriterDeps {
  rdb: RecordsDb;
  feverC: number;
  /** When the traveller is expected at the destination village. */
  eta(scan: Scan): string;
  store: ScanStore;
  spool: Spool;
  /** Where points InfluxDB refuses (HTTP 4xx) are kept for an operator; never drained automatically. */
  rejected: Spool;
  log: Logger;
  maxPoints: number;
  maxMs: number;
  /** InfluxDB writes at the same time (default 2). */
  concurrency?: number;
  /** Publish the ack for one device (QoS 1). */
  ack(checkpointId: string, deviceId: string, ranges: [number, number][]): void;
  /** The scans of a committed batch that were new: announce them. Called in batch order. */
  onInserted?(scans: readonly Scan[]): void;
  /** A point write succeeded (InfluxDB is up). */
  onPointsStored?(count: number): void;
  /** The database refused a batch, or took one again after refusing. */
  onDbState?(up: boolean, err?: Error): void;
}

const SPOOL = Symbol('spool');
const DB_FAILED = Symbol('db-failed');

interface Inserted {
  lines: string[];
  fresh: Scan[];
}

export class ScanWriter {
  readonly counters: WriterCounters = { stored: 0, duplicates: 0, dropped: 0, dbFailures: 0 };
  #queue: WriterEntry[] = [];
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  /** Inserts, one batch at a time in batch order. */
  #dbChain: Promise<unknown> = Promise.resolve();
  #inFlight = 0;
  #writing = 0;
  readonly #slotWaiters: (() => void)[] = [];
  #draining: Promise<void> | undefined;
  #drainTimer: NodeJS.Timeout | undefined;
  #storeUp = true;
  #dbUp = true;
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

  get dbUp(): boolean {
    return this.#dbUp;
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
    const inserted = (this.#dbChain = this.#dbChain.then(
      () => this.#insert(batch),
      () => this.#insert(batch),
    )) as Promise<Inserted | typeof DB_FAILED>;
    // Straight to the spool while it holds anything (order) or InfluxDB is known down.
    const attempt: Promise<unknown> = inserted.then((r) =>
      r === DB_FAILED ? DB_FAILED : this.d.spool.depth > 0 || !this.#storeUp ? SPOOL : this.#storeWrite(r.lines),
    );
    this.#chain = this.#chain
      .then(() => this.#settle(batch, inserted, attempt))
      .catch((e: Error) => this.d.log.error({ err: e.message }, 'batch write failed unexpectedly'))
      .finally(() => {
        this.#inFlight -= batch.length;
        this.#waiters.splice(0).forEach((w) => w());
      });
  }

  /** Commits the batch's rows; announces the new scans; returns the points to write. Never rejects. */
  async #insert(batch: WriterEntry[]): Promise<Inserted | typeof DB_FAILED> {
    const rows: NewScanRow[] = [];
    const first = new Map<string, WriterEntry>();
    for (const e of batch) {
      if (first.has(e.scan.scanId)) continue; // the same scan twice in one batch: one row
      first.set(e.scan.scanId, e);
      rows.push(scanToRow({ ...e, eta: this.d.eta(e.scan) }, this.d.feverC));
    }
    let outcome;
    try {
      outcome = await insertScans(this.d.rdb, rows);
    } catch (e) {
      this.counters.dbFailures++;
      this.counters.dropped += batch.length;
      if (this.#dbUp) this.d.log.error({ err: (e as Error).message.slice(0, 200), scans: batch.length }, 'database refused a batch; not acknowledged, devices will resend');
      this.#dbUp = false;
      this.d.onDbState?.(false, e as Error);
      return DB_FAILED;
    }
    if (!this.#dbUp) {
      this.#dbUp = true;
      this.d.log.info('database back');
      this.d.onDbState?.(true);
    }
    const lines: string[] = [];
    const fresh: Scan[] = [];
    for (const row of rows) {
      const storedAt = outcome.storedAt.get(row.scan_id);
      if (storedAt === undefined) {
        fresh.push(first.get(row.scan_id)!.scan);
        lines.push(rowLine(row));
      } else {
        lines.push(rowLine({ ...row, scanned_at: storedAt }));
      }
    }
    this.counters.stored += fresh.length;
    this.counters.duplicates += batch.length - fresh.length;
    if (fresh.length > 0) {
      try {
        this.d.onInserted?.(fresh);
      } catch (e) {
        this.d.log.error({ err: (e as Error).message }, 'announcing stored scans failed');
      }
    }
    return { lines, fresh };
  }

  /** The InfluxDB write, when a slot is free; resolves with undefined (stored) or the error (never rejects). */
  async #storeWrite(lines: string[]): Promise<unknown> {
    if (this.#writing >= (this.d.concurrency ?? 2)) await new Promise<void>((r) => this.#slotWaiters.push(r));
    this.#writing++;
    try {
      await this.d.store.writeLines(lines);
      return undefined;
    } catch (e) {
      return e ?? new Error('store write failed');
    } finally {
      this.#writing--;
      this.#slotWaiters.shift()?.();
    }
  }

  /** In batch order: spool what InfluxDB did not take, then acknowledge what is durable. */
  async #settle(batch: WriterEntry[], insertedP: Promise<Inserted | typeof DB_FAILED>, attempt: Promise<unknown>): Promise<void> {
    const inserted = await insertedP;
    const outcome = await attempt;
    if (inserted === DB_FAILED || outcome === DB_FAILED) return; // not durable: no ack, the devices resend
    try {
      if (outcome === SPOOL) {
        await this.#spool(inserted.lines);
      } else if (outcome === undefined) {
        this.d.onPointsStored?.(inserted.lines.length);
      } else {
        const e = outcome as Error;
        if (!(e instanceof StoreRejectedError)) {
          this.#storeDown(e);
          await this.#spool(inserted.lines);
        } else {
          // Should not happen for our own lines; keep them on disk for an operator rather than retrying forever.
          // The rows are in the database: the scans are kept, only their points are set aside.
          await this.d.rejected.append(inserted.lines);
          this.d.log.error({ err: e.message, points: inserted.lines.length }, 'InfluxDB refused a batch of points; kept in spool-rejected');
        }
      }
    } catch (e) {
      // The rows are committed but their points are neither written nor spooled: don't ack, so the
      // devices resend and the redelivery rewrites the points (from the stored rows' times).
      this.counters.dropped += batch.length;
      this.d.log.error({ err: (e as Error).message, scans: batch.length }, 'could not spool points; not acknowledged, devices will resend');
      return;
    }
    this.#ackAll(batch);
  }

  async #spool(lines: string[]): Promise<void> {
    await this.d.spool.append(lines);
    this.#drainSoon(this.#storeUp ? 0 : 250);
  }

  #storeDown(e: Error): void {
    if (this.#storeUp) this.d.log.warn({ err: e.message }, 'InfluxDB down; spooling points');
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
      const n = await this.d.spool.drain(async (lines) => {
        await this.d.store.writeLines(lines);
        this.d.onPointsStored?.(lines.length);
      }, this.d.maxPoints);
      if (!this.#storeUp) this.d.log.info({ drained: n }, 'InfluxDB back; spool drained');
      this.#storeUp = true;
    } catch (e) {
      this.#storeDown(e as Error);
    }
  }
}
