/**
 * When and how the aid feature snapshots its index (snapshot.ts holds the file format): loading at
 * start (checked against the journal), a synchronous write on clean stop, and a background write every
 * `every` journalled handouts. Aid hands it the index, the journal and its other state; this file never
 * sees a NIK (the index holds keyed hashes only).
 */
import { MemoryDoubleAidIndex, INDEX_LAYOUT, groupOfTag, type DoubleAidIndex } from './double-index.ts';
import { HashTable, STRIDE } from './hash-table.ts';
import { journalTailHash, readSnapshot, writeSnapshot, writeSnapshotInBackground, type Snapshot } from './snapshot.ts';

/** What a snapshot holds besides the index: everything else a journal replay would rebuild. */
export interface SnapState<A, R> { layout: string; alarms: A[]; audit: R[]; nextAlarm: number; auditSeq: number }

export type SnapshotLoad<A, R> = { ok: true; offset: number; state: SnapState<A, R> } | { ok: false; reason: string };

export interface LastSnapshot { ok: boolean; ms: number; bytes: number; error: string | null }

export class AidSnapshots<A, R> {
  /** The last snapshot written: bytes, ms, or the error (a failed snapshot only costs a slower restart). */
  last: LastSnapshot | null = null;
  #since = 0;
  #queued = false;
  #background: Promise<void> | undefined;
  #stopped = false;

  constructor(
    private readonly o: {
      file: string;
      index: DoubleAidIndex;
      journal: { readonly file: string; bytes(): number };
      /** The feature's other state as of now (alarms, audit, counters). */
      state: () => Omit<SnapState<A, R>, 'layout'>;
      /** Journalled handouts between background snapshots (0: only on stop). */
      every: number;
    },
  ) {}

  /** Restores the index from the snapshot when it is valid and matches the journal; else why not. */
  load(): SnapshotLoad<A, R> {
    const index = this.o.index;
    if (!(index instanceof MemoryDoubleAidIndex)) return { ok: false, reason: 'index is not in memory' };
    const read = readSnapshot<SnapState<A, R>>(this.o.file, STRIDE);
    if (!read.ok) return read;
    const { snap } = read;
    if (snap.state.layout !== INDEX_LAYOUT) return { ok: false, reason: 'programme list changed' };
    if (this.o.journal.bytes() < snap.journalBytes) return { ok: false, reason: 'journal shorter than the snapshot' };
    if (journalTailHash(this.o.journal.file, snap.journalBytes) !== snap.journalTail) return { ok: false, reason: 'journal does not match the snapshot' };
    index.adopt(HashTable.fromImage(snap.table, groupOfTag));
    return { ok: true, offset: snap.journalBytes, state: snap.state };
  }

  /** Writes now, synchronously (the slots must not change meanwhile; ~1 GB at the full regency): on stop. */
  write(): void {
    const snap = this.#take(false);
    if (!snap) return;
    const t0 = performance.now();
    try {
      this.last = { ok: true, ms: 0, bytes: writeSnapshot(this.o.file, snap), error: null };
    } catch (e) {
      this.last = { ok: false, ms: 0, bytes: 0, error: (e as Error).message };
    }
    this.last.ms = Math.round(performance.now() - t0);
    this.#since = 0;
  }

  /**
   * The periodic snapshot, off the event loop: a copy of the slots (one memcpy, ~0.3 s at the full
   * regency; the only pause) taken with the journal offset and state of the same instant, then written
   * in the background. Writing in place took ~7 s at full size with every request waiting.
   */
  writeInBackground(): Promise<void> {
    if (this.#background) return this.#background;
    const snap = this.#take(true);
    if (!snap) return Promise.resolve();
    this.#since = 0;
    const t0 = performance.now();
    const done = (ok: boolean, bytes: number, error: string | null) => void (this.last = { ok, ms: Math.round(performance.now() - t0), bytes, error });
    this.#background = writeSnapshotInBackground(this.o.file, snap, () => !this.#stopped)
      .then((bytes) => done(true, bytes, null), (e: Error) => done(false, 0, e.message))
      .finally(() => (this.#background = undefined));
    return this.#background;
  }

  /** Counts journalled handouts; past `every`, snapshots in the background once the current request has been answered. */
  count(n: number): void {
    this.#since += n;
    if (this.o.every <= 0 || this.#since < this.o.every || this.#queued || this.#background) return;
    this.#queued = true;
    setImmediate(() => {
      this.#queued = false;
      void this.writeInBackground();
    });
  }

  /** Clean stop: a background snapshot still running is discarded (this one is newer), then write. */
  stop(): void {
    this.#stopped = true;
    this.write();
  }

  #take(copy: boolean): Snapshot<SnapState<A, R>> | undefined {
    const index = this.o.index;
    if (!(index instanceof MemoryDoubleAidIndex)) return undefined;
    const journalBytes = this.o.journal.bytes();
    const state: SnapState<A, R> = { layout: INDEX_LAYOUT, ...this.o.state() };
    const image = index.table.image();
    return {
      table: copy ? { ...image, words: image.words.slice() } : image,
      journalBytes,
      journalTail: journalTailHash(this.o.journal.file, journalBytes),
      state: copy ? structuredClone(state) : state,
    };
  }
}
