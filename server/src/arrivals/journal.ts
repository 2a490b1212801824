/**
 * A small append-only JSON-lines journal: the durable state of the expected-arrivals, alerts and
 * quarantine features. Each record is the whole new state of one entity; on start the last record per
 * key wins. Writes are group-committed (one append per `flushMs`, and on `close()`), so thousands of
 * scans per second cost one write call, not thousands; a crash loses at most `flushMs` of changes.
 * A torn last line (crash mid-write) is skipped on load. The file is rewritten (compacted) on load.
 * A line holds one record (`{…}`) or a flushed group of up to 64 (`[{…},{…}]`): one JSON.stringify call per
 * group instead of one per record plus a join cut the flush cost about threefold at e2e load (issue 5).
 * Records are therefore objects, never arrays. Order and "last wins" are the same in both forms.
 * With a `codec`, a record is written as an array of its values (`[[…],[…]]`, no key names: about
 * 40 % fewer bytes to build and write for an expected arrival) and read back through it; lines written
 * without one (objects) are still read. Flushes go through one open descriptor with one writev.
 * The file may hold names (expected arrivals): mode 0600 in a 0700 directory, like users.json.
 *
 * Compaction while running (`compactIfLarge`) is written in slices between event-loop turns: one
 * synchronous rewrite of 200k expected arrivals (~80 MB of JSON) held the loop for about a second,
 * and every scan's live event with it. Changes made meanwhile go to the old file (durable as usual)
 * and are appended again to the new one after the rename, so none is lost either way.
 */
import { appendFileSync, existsSync, fsyncSync, mkdirSync, openSync, closeSync, readFileSync, renameSync, writeFileSync, writevSync } from 'node:fs';
import { appendFile, open, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Records per journal line at most (see `flush`). */
const RECORDS_PER_LINE = 64;

/** A compact form for a journal's records: values in a fixed order (see the header). */
export interface JournalCodec<T> {
  encode(record: T): unknown[];
  /** undefined for a layout this version does not know (the record is skipped, not guessed at). */
  decode(values: unknown[]): T | undefined;
}

export class Journal<T> {
  /** Serialised at flush, off the hot path (a record changed since is written in its newer state: last wins anyway). */
  #buffer: T[] = [];
  #timer: NodeJS.Timeout | undefined;
  #bytes = 0;
  #compactBytes = 0;
  /** Set while a background compaction runs: the chunks flushed meanwhile, to append to the new file. */
  #duringCompaction: Buffer[] | undefined;
  #compaction: Promise<void> | undefined;
  /** Open for appending from the first flush until close or a rename (compaction) replaces the file. */
  #fd: number | undefined;

  constructor(
    readonly file: string,
    private readonly keyOf: (record: T) => string,
    private readonly opts: { flushMs?: number; compactAboveBytes?: number; codec?: JournalCodec<T> } = {},
  ) {}

  /** Reads every surviving record (last per key, in first-seen order) and compacts the file. */
  load(keep: (record: T) => boolean = () => true): T[] {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const latest = new Map<string, T>();
    if (existsSync(this.file)) {
      for (const line of readFileSync(this.file, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          const v = JSON.parse(line) as T | (T | unknown[])[];
          if (Array.isArray(v)) {
            for (const item of v) {
              const r = Array.isArray(item) ? this.opts.codec?.decode(item) : item;
              if (r !== undefined) latest.set(this.keyOf(r), r);
            }
          } else latest.set(this.keyOf(v), v);
        } catch {
          // a torn final line from a crash: the change it held was never confirmed to anyone durable
        }
      }
    }
    const records = [...latest.values()].filter(keep);
    this.#rewrite(records);
    return records;
  }

  append(record: T): void {
    this.#buffer.push(record);
    this.#timer ??= setTimeout(() => this.flush(), this.opts.flushMs ?? 100);
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#buffer.length === 0) return;
    const group = this.#buffer;
    this.#buffer = [];
    // One line per RECORDS_PER_LINE records, each encoded on its own, then one writev: a whole flush
    // as one string (~750 KB at e2e load) cost several times more per record to turn into bytes than
    // lines of ~30 KB (5 % of the server's busy time; issue 5, docs/benchmarks.md finding 14).
    const lines = this.#lines(group);
    this.#fd ??= openSync(this.file, 'a', 0o600);
    let bytes = 0;
    for (const l of lines) bytes += l.length;
    const written = writevSync(this.#fd, lines);
    // A short write (rare: a full disk returns an error instead) is finished from where it stopped.
    if (written < bytes) appendFileSync(this.file, Buffer.concat(lines).subarray(written));
    this.#bytes += bytes;
    this.#duringCompaction?.push(...lines);
  }

  /** Records as journal lines of up to RECORDS_PER_LINE (one group line, or one object line for a lone plain record). */
  #lines(records: readonly T[]): Buffer[] {
    const codec = this.opts.codec;
    const lines: Buffer[] = [];
    for (let i = 0; i < records.length; i += RECORDS_PER_LINE) {
      const slice = records.length <= RECORDS_PER_LINE ? records : records.slice(i, i + RECORDS_PER_LINE);
      const json = codec ? JSON.stringify(slice.map((r) => codec.encode(r))) : JSON.stringify(slice.length === 1 ? slice[0] : slice);
      lines.push(Buffer.from(`${json}\n`));
    }
    return lines;
  }

  /** The file was replaced (renamed over): appends go to the new one. */
  #reopen(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  /** Rewrites the file with only these records when it has grown past the threshold. */
  compactIfLarge(current: () => T[]): void {
    // Twice the live size plus a margin, so a large but compact state does not rewrite on every append.
    if (this.#compaction || this.#bytes < this.#compactBytes * 2 + (this.opts.compactAboveBytes ?? 64 * 1024 * 1024)) return;
    this.flush();
    // A failed compaction changes nothing (the old file stays); it is tried again at a later append.
    this.#compaction = this.#compactInBackground(current()).catch(() => void (this.#compactBytes = this.#bytes)).finally(() => (this.#compaction = undefined));
  }

  /** Resolves when no compaction is running (tests; shutdown waits for it in `closeAsync`). */
  async idle(): Promise<void> {
    await this.#compaction;
  }

  close(): void {
    this.flush();
    this.#reopen();
  }

  /** Flushes and waits for a compaction in flight. */
  async closeAsync(): Promise<void> {
    await this.#compaction;
    this.close();
  }

  async #compactInBackground(records: T[]): Promise<void> {
    const tmp = `${this.file}.tmp`;
    this.#duringCompaction = [];
    try {
      await writeFile(tmp, '', { mode: 0o600 });
      let bytes = 0;
      for (let i = 0; i < records.length; i += 2000) {
        const body = Buffer.concat(this.#lines(records.slice(i, i + 2000)));
        await appendFile(tmp, body);
        bytes += body.length;
      }
      const fh = await open(tmp, 'r+');
      await fh.sync();
      await fh.close();
      // From here on synchronous, so no flush can fall between the last append and the rename:
      // anything flushed since the snapshot goes after it (last record per key wins on load).
      this.flush();
      const later = Buffer.concat(this.#duringCompaction);
      if (later.length > 0) {
        appendFileSync(tmp, later);
        const fd = openSync(tmp, 'r');
        fsyncSync(fd);
        closeSync(fd);
        bytes += later.length;
      }
      renameSync(tmp, this.file);
      this.#reopen();
      this.#bytes = bytes;
      this.#compactBytes = bytes;
    } finally {
      this.#duringCompaction = undefined;
    }
  }

  #rewrite(records: T[]): void {
    const tmp = `${this.file}.tmp`;
    const body = this.opts.codec ? Buffer.concat(this.#lines(records)) : records.map((r) => JSON.stringify(r) + '\n').join('');
    writeFileSync(tmp, body, { mode: 0o600 });
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.file);
    this.#reopen();
    this.#bytes = this.#compactBytes = Buffer.byteLength(body);
  }
}
