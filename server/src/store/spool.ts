/**
 * Durable local spool for the InfluxDB points of stored scans while InfluxDB is down: each point's
 * line protocol (layout v3: no personal data; the database of record holds the scan) as one JSON
 * string per line, appended to segment files and fsync'd before the scans are acknowledged. Segments are drained oldest
 * first and deleted only after the store has them, so a crash mid-drain replays a segment (harmless:
 * store writes are idempotent per point). A torn last line (crash during append) was never acked, so
 * the device still holds that scan: it is skipped.
 *
 * Segments written before issue 15 hold whole scans (personal data included): `drain` hands those to
 * `fromLegacy` (the server stores them in the database and returns their points) before writing.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { open, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ScanSchema, type Scan } from '@sk/protocol';

/** Legacy (pre-issue-15) spooled scans → their points' lines, after storing them in the database. */
export type FromLegacy = (scans: Scan[]) => Promise<string[]>;

const SEGMENT = /^seg-(\d{12})\.jsonl$/;
const name = (n: number) => `seg-${String(n).padStart(12, '0')}.jsonl`;

export class Spool {
  #segments: number[] = [];
  #current: { n: number; fh: FileHandle; lines: number } | undefined;
  #depth = 0;
  #appendChain: Promise<unknown> = Promise.resolve();

  constructor(readonly dir: string, private readonly fromLegacy?: FromLegacy) {}

  /** Finds segments left by a previous run and counts what they hold. */
  start(): void {
    mkdirSync(this.dir, { recursive: true });
    this.#segments = readdirSync(this.dir)
      .map((f) => SEGMENT.exec(f)?.[1])
      .filter((x): x is string => x !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    this.#depth = this.#segments.reduce((sum, n) => {
      const seg = parseSegment(readFileSync(join(this.dir, name(n)), 'utf8'));
      return sum + seg.lines.length + seg.legacy.length;
    }, 0);
  }

  async stop(): Promise<void> {
    await this.#appendChain.catch(() => {});
    await this.#current?.fh.close();
    this.#current = undefined;
  }

  /** Points waiting in the spool. */
  get depth(): number {
    return this.#depth;
  }

  /** Appends and fsyncs; resolved means durable. Appends are serialised (one writer). */
  append(lines: readonly string[]): Promise<void> {
    const run = this.#appendChain.then(() => this.#append(lines));
    this.#appendChain = run.catch(() => {});
    return run;
  }

  async #append(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    if (!this.#current) {
      const n = (this.#segments.at(-1) ?? 0) + 1;
      const fh = await open(join(this.dir, name(n)), 'a');
      this.#segments.push(n);
      this.#current = { n, fh, lines: 0 };
      // Make the new file's directory entry durable too.
      const dirFh = await open(this.dir, 'r');
      await dirFh.sync().finally(() => dirFh.close());
    }
    const cur = this.#current;
    await cur.fh.appendFile(lines.map((l) => JSON.stringify(l)).join('\n') + '\n', 'utf8');
    await cur.fh.sync();
    cur.lines += lines.length;
    this.#depth += lines.length;
  }

  /**
   * Writes every spooled point to `write` in order, oldest segment first, in chunks of `chunk`;
   * stops at the first failure (rethrown). Resolves with how many points were drained.
   */
  async drain(write: (lines: string[]) => Promise<void>, chunk = 5000, onDrained?: (n: number) => void): Promise<number> {
    let drained = 0;
    while (this.#segments.length > 0) {
      const n = this.#segments[0]!;
      if (this.#current?.n === n) {
        // Close the segment being appended to; new appends start a fresh one.
        const cur = this.#current;
        await this.#appendChain.catch(() => {});
        if (this.#current !== cur) continue;
        this.#current = undefined;
        await cur.fh.close();
      }
      const path = join(this.dir, name(n));
      const seg = parseSegment(await readFile(path, 'utf8'));
      const lines = seg.legacy.length > 0 && this.fromLegacy ? [...seg.lines, ...(await this.fromLegacy(seg.legacy))] : seg.lines;
      for (let i = 0; i < lines.length; i += chunk) await write(lines.slice(i, i + chunk));
      await unlink(path);
      this.#segments.shift();
      const count = seg.lines.length + seg.legacy.length;
      this.#depth -= count;
      drained += count;
      onDrained?.(count);
    }
    return drained;
  }
}

function parseSegment(text: string): { lines: string[]; legacy: Scan[] } {
  const lines: string[] = [];
  const legacy: Scan[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const v: unknown = JSON.parse(line);
      if (typeof v === 'string') {
        if (v.startsWith('arrivals,') && !v.includes('\n')) lines.push(v);
        continue;
      }
      const parsed = ScanSchema.safeParse(v);
      if (parsed.success) legacy.push(parsed.data);
    } catch {
      // torn last line from a crash during append: never acknowledged, the device still has it
    }
  }
  return { lines, legacy };
}
