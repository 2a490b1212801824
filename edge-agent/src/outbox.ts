/**
 * The device's durable outbox: a scan is on disk (fsynced) before the officer is told "accepted", and
 * stays there until the SERVER acknowledges it as stored. fs only; no MQTT here.
 *
 * Layout: `<dir>/<12-digit id>.seg` append-only segments (see outbox-format.ts for the record format).
 * - Group commit: appends that arrive while an fsync runs are written and fsynced together by the next
 *   one, so durability costs one fdatasync per batch, not per scan.
 * - Sequence numbers start at 1, are never reused, and survive restarts (each segment starts with a
 *   BASE record, so even a fully acknowledged and compacted outbox remembers where it was).
 * - Recovery drops a torn or corrupt tail (a crash mid-write) and keeps everything before it.
 * - Compaction deletes the oldest segments once every scan in them is acknowledged. Only a prefix is
 *   deleted: an ACK record in segment k may refer to scans in earlier segments, so deleting k while an
 *   earlier one lives on could bring acknowledged scans back after a restart.
 * - Full policy: reject new data (`OutboxFullError`), never drop old scans. ACK records are always
 *   written, even past the limit: they are tiny and they are what frees space.
 */
import { mkdirSync, unlinkSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { toRanges } from '@sk/protocol';
import { encodeAck, encodeBase, encodeData, HEADER_BYTES } from './outbox-format.ts';
import { acquireLock } from './outbox-lock.ts';
import { fsyncDir, recover, removeEntry, segmentPath, seqsIn, type Entry, type PendingScan, type Segment } from './outbox-recovery.ts';

import { OutboxClosedError, OutboxFullError } from './outbox-errors.ts';
import { healthOf, type OutboxHealth } from './outbox-stats.ts';

export { OutboxLockedError } from './outbox-lock.ts';
export { OutboxClosedError, OutboxFullError } from './outbox-errors.ts';
export { protocolStats, type OutboxHealth, type OutboxStats } from './outbox-stats.ts';
export type { PendingScan } from './outbox-recovery.ts';

export interface OutboxOptions {
  dir: string;
  /**
   * Disk budget for all segments (default 64 MiB ≈ 170k scans). Pending payloads are also held in
   * memory, so RAM use grows to about the same figure: size it to the device.
   */
  maxBytes?: number;
  /** Segment size (default 4 MiB, at most maxBytes / 4). */
  segmentBytes?: number;
  warnRatio?: number;
  /** Injectable clock (ms since epoch), for tests. */
  now?: () => number;
}

interface QueueItem {
  buf: Buffer;
  /** Runs once the bytes are durable, with the segment they landed in. */
  onDurable: (segment: Segment) => void;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** 64 MiB: weeks of a busy checkpoint's scans offline, and affordable in a small device's RAM. */
export const DEFAULT_OUTBOX_MAX_BYTES = 64 * 1024 * 1024;

export class Outbox {
  readonly dir: string;
  readonly maxBytes: number;
  readonly segmentBytes: number;
  readonly warnRatio: number;
  readonly droppedTailBytes: number;
  #now: () => number;
  #segments: Segment[];
  #pending: Map<number, Entry>;
  #nextSeq: number;
  #fh: FileHandle;
  #queue: QueueItem[] = [];
  #queuedBytes = 0;
  /** Cleared synchronously when the flush loop finds the queue empty, so no append can slip between. */
  #running = false;
  #flushing: Promise<void> = Promise.resolve();
  #unlinks = new Set<Promise<void>>();
  #closed = false;

  #lock: string;

  private constructor(opts: Required<OutboxOptions>, state: ReturnType<typeof recover>, fh: FileHandle, lock: string) {
    this.#lock = lock;
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes;
    this.segmentBytes = opts.segmentBytes;
    this.warnRatio = opts.warnRatio;
    this.#now = opts.now;
    this.#segments = state.segments;
    this.#pending = state.pending;
    this.#nextSeq = state.nextSeq;
    this.droppedTailBytes = state.droppedTailBytes;
    this.#fh = fh;
  }

  /** Opens (creating if needed) and recovers the outbox in `dir`. */
  static async open(options: OutboxOptions): Promise<Outbox> {
    const maxBytes = options.maxBytes ?? DEFAULT_OUTBOX_MAX_BYTES;
    const opts: Required<OutboxOptions> = {
      dir: options.dir,
      maxBytes,
      segmentBytes: Math.max(4096, Math.min(options.segmentBytes ?? 4 * 1024 * 1024, Math.floor(maxBytes / 4))),
      warnRatio: options.warnRatio ?? 0.8,
      now: options.now ?? Date.now,
    };
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    const lock = acquireLock(opts.dir);
    try {
      return await Outbox.#openLocked(opts, lock);
    } catch (err) {
      unlinkSync(lock);
      throw err;
    }
  }

  static async #openLocked(opts: Required<OutboxOptions>, lock: string): Promise<Outbox> {
    const state = recover(opts.dir);
    let active = state.segments[state.segments.length - 1];
    if (!active) {
      active = { id: 1, path: segmentPath(opts.dir, 1), size: 0, unacked: 0 };
      state.segments.push(active);
    }
    const fh = await open(active.path, active.size === 0 ? 'w' : 'r+', 0o600);
    // Cut a torn tail now, so new records follow the last intact one.
    await fh.truncate(active.size);
    if (active.size === 0) {
      const base = encodeBase(state.nextSeq);
      await fh.write(base, 0, base.length, 0);
      active.size = base.length;
    }
    await fh.datasync();
    fsyncDir(opts.dir);
    return new Outbox(opts, state, fh, lock);
  }

  /** Read-only look at an outbox (for `status` while the agent may be running): never writes. */
  static inspect(dir: string, maxBytes = DEFAULT_OUTBOX_MAX_BYTES, now = Date.now()): OutboxHealth {
    const state = recover(dir);
    const diskBytes = state.segments.reduce((n, s) => n + s.size, 0);
    const first = state.pending.values().next().value;
    return healthOf(state.pending.size, first, diskBytes, maxBytes, 0.8, now, state.nextSeq, state.segments.length, state.droppedTailBytes);
  }

  get nextSeq(): number { return this.#nextSeq; }
  get depth(): number { return this.#pending.size; }
  get diskBytes(): number { return this.#segments.reduce((n, s) => n + s.size, 0); }

  /**
   * Appends a scan and resolves with its seq once it is fsynced. `build` may be a function of the
   * seq, so the payload can carry its own sequence number. Rejects with OutboxFullError when full.
   */
  append(build: Buffer | ((seq: number) => Buffer)): Promise<number> {
    if (this.#closed) return Promise.reject(new OutboxClosedError());
    const seq = this.#nextSeq;
    const payload = typeof build === 'function' ? build(seq) : build;
    const appendedAt = this.#now();
    const buf = encodeData(seq, appendedAt, payload);
    const used = this.diskBytes + this.#queuedBytes;
    if (used + buf.length > this.maxBytes) return Promise.reject(new OutboxFullError(used, this.maxBytes));
    if (buf.length + HEADER_BYTES + 64 > this.segmentBytes) return Promise.reject(new Error(`record of ${buf.length} B does not fit a segment`));
    this.#nextSeq = seq + 1;
    return this.#enqueue(buf, (segment) => {
      this.#pending.set(seq, { seq, appendedAt, payload, segment });
      segment.unacked++;
    }).then(() => seq);
  }

  /** Durably records that the server stored these seqs (inclusive ranges); resolves with how many were newly acknowledged. */
  async ack(ranges: readonly (readonly [number, number])[]): Promise<number> {
    if (this.#closed) throw new OutboxClosedError();
    const seqs = seqsIn(this.#pending, ranges);
    if (seqs.length === 0) return 0;
    let n = 0;
    await this.#enqueue(encodeAck(toRanges(seqs)), () => {
      for (const s of seqs) if (removeEntry(this.#pending, s)) n++;
      this.#compact();
    });
    return n;
  }

  /** Unacknowledged scans, oldest (lowest seq) first. */
  *pending(): IterableIterator<PendingScan> {
    for (const e of this.#pending.values()) yield { seq: e.seq, appendedAt: e.appendedAt, payload: e.payload };
  }

  has(seq: number): boolean { return this.#pending.has(seq); }
  get(seq: number): PendingScan | undefined {
    const e = this.#pending.get(seq);
    return e && { seq: e.seq, appendedAt: e.appendedAt, payload: e.payload };
  }

  /** Protocol's OutboxStats plus the fill level. */
  stats(): OutboxHealth {
    const first = this.#pending.values().next().value;
    return healthOf(this.#pending.size, first, this.diskBytes, this.maxBytes, this.warnRatio, this.#now(), this.#nextSeq, this.#segments.length, this.droppedTailBytes);
  }

  /** Waits for queued writes, then closes the file. Later appends reject. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#running) await this.#flushing;
    await Promise.all(this.#unlinks);
    await this.#fh.close();
    try { unlinkSync(this.#lock); } catch { /* already gone */ }
  }

  #enqueue(buf: Buffer, onDurable: QueueItem['onDurable']): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ buf, onDurable, resolve, reject });
      this.#queuedBytes += buf.length;
      if (!this.#running) {
        this.#running = true;
        this.#flushing = this.#flushLoop();
      }
    });
  }

  /** Group commit: everything queued while the previous fsync ran goes out in the next write + fsync. */
  async #flushLoop(): Promise<void> {
    // Yield once so appends made in the same tick join the first batch.
    await Promise.resolve();
    try {
      for (;;) {
        while (this.#queue.length > 0) await this.#writeBatch(this.#queue.splice(0));
        // Everything acknowledged and the active segment has grown: start afresh so it can be deleted.
        if (this.#closed || this.#pending.size > 0 || this.#active().size < this.segmentBytes / 8) break;
        await this.#roll().catch(() => {});
        if (this.#queue.length === 0) break;
      }
    } finally {
      this.#running = false;
    }
  }

  async #writeBatch(batch: QueueItem[]): Promise<void> {
    for (const it of batch) this.#queuedBytes -= it.buf.length;
    let i = 0;
    try {
      while (i < batch.length) {
        const active = this.#active();
        // Take as many records as fit the active segment (at least one when it holds only its BASE record).
        let bytes = 0;
        let j = i;
        while (j < batch.length && ((j === i && active.size <= HEADER_BYTES + 64) || active.size + bytes + batch[j]!.buf.length <= this.segmentBytes)) {
          bytes += batch[j]!.buf.length;
          j++;
        }
        if (j === i) {
          await this.#roll();
          continue;
        }
        await this.#writeAll(Buffer.concat(batch.slice(i, j).map((it) => it.buf), bytes), active);
        await this.#fh.datasync();
        for (let k = i; k < j; k++) batch[k]!.onDurable(active);
        for (let k = i; k < j; k++) batch[k]!.resolve();
        i = j;
      }
    } catch (err) {
      for (let k = i; k < batch.length; k++) batch[k]!.reject(err as Error);
    }
  }

  async #writeAll(buf: Buffer, active: Segment): Promise<void> {
    let off = 0;
    try {
      while (off < buf.length) {
        const { bytesWritten } = await this.#fh.write(buf, off, buf.length - off, active.size + off);
        off += bytesWritten;
      }
    } catch (err) {
      // e.g. ENOSPC: cut the partial write so the file stays a clean sequence of records.
      await this.#fh.truncate(active.size).catch(() => {});
      throw err;
    }
    active.size += buf.length;
  }

  #active(): Segment { return this.#segments[this.#segments.length - 1]!; }

  /** Starts a new segment whose BASE record remembers the next seq. */
  async #roll(): Promise<void> {
    const old = this.#active();
    const seg: Segment = { id: old.id + 1, path: segmentPath(this.dir, old.id + 1), size: 0, unacked: 0 };
    const fh = await open(seg.path, 'wx', 0o600);
    try {
      const base = encodeBase(this.#nextSeq);
      await fh.write(base, 0, base.length, 0);
      await fh.datasync();
      seg.size = base.length;
      fsyncDir(this.dir);
    } catch (err) {
      await fh.close();
      throw err;
    }
    await this.#fh.close();
    this.#fh = fh;
    this.#segments.push(seg);
    this.#compact();
  }

  /** Deletes the oldest segments whose scans are all acknowledged (never the active one). */
  #compact(): void {
    while (this.#segments.length > 1 && this.#segments[0]!.unacked === 0) {
      const seg = this.#segments.shift()!;
      const p: Promise<void> = unlink(seg.path).catch(() => {}).finally(() => this.#unlinks.delete(p));
      this.#unlinks.add(p);
    }
  }
}

