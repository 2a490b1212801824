/**
 * An append-only JSON-lines journal with fsync: a batch of lines is written and fsynced before the
 * caller answers anyone ("recorded" means on disk). Replayed line by line on start; a torn last line
 * (crash mid-write) is skipped and counted, never fatal.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

export class Journal<T> {
  #fd: number | undefined;
  constructor(readonly file: string) {}

  /** Reads every whole line from byte `from` (a line start, e.g. a snapshot's offset); returns how many were unreadable. */
  replay(onLine: (entry: T) => void, from = 0): { lines: number; bad: number } {
    if (!existsSync(this.file)) return { lines: 0, bad: 0 };
    const fd = openSync(this.file, 'r');
    const buf = Buffer.alloc(4 * 1024 * 1024);
    let rest = '';
    let lines = 0;
    let bad = 0;
    const take = (line: string) => {
      if (!line) return;
      try {
        onLine(JSON.parse(line) as T);
        lines++;
      } catch {
        bad++;
      }
    };
    let pos = from;
    const dec = new StringDecoder('utf8');
    try {
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, pos);
        if (n === 0) break;
        pos += n;
        // A decoder, not buf.toString: a multi-byte character may straddle two reads.
        const parts = (rest + dec.write(buf.subarray(0, n))).split('\n');
        rest = parts.pop()!;
        for (const p of parts) take(p);
      }
      take(rest);
    } finally {
      closeSync(fd);
    }
    return { lines, bad };
  }

  /** Bytes in the journal now (every append is a synchronous write, so this is a line boundary between calls). */
  bytes(): number {
    if (this.#fd !== undefined) return fstatSync(this.#fd).size;
    return existsSync(this.file) ? statSync(this.file).size : 0;
  }

  open(): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    this.#fd = openSync(this.file, 'a', 0o600);
    // After a torn write, end the broken line so the next entry starts clean.
    const size = fstatSync(this.#fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      const rfd = openSync(this.file, 'r');
      readSync(rfd, last, 0, 1, size - 1);
      closeSync(rfd);
      if (last[0] !== 0x0a) writeSync(this.#fd, '\n');
    }
  }

  /** Appends the entries and fsyncs once (group commit for CSV imports). */
  append(entries: readonly T[], sync = true): void {
    if (this.#fd === undefined) throw new Error('journal not open');
    if (!entries.length) return;
    writeSync(this.#fd, entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
    if (sync) fsyncSync(this.#fd);
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
