/**
 * Durable local spool for accepted scans while the store is down: JSON lines appended to segment
 * files and fsync'd before the scans are acknowledged to their devices. Segments are drained oldest
 * first and deleted only after the store has them, so a crash mid-drain replays a segment (harmless:
 * store writes are idempotent per scan). A torn last line (crash during append) was never acked, so
 * the device still holds that scan: it is skipped.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { open, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ScanSchema, type Scan } from '@sk/protocol';

const SEGMENT = /^seg-(\d{12})\.jsonl$/;
const name = (n: number) => `seg-${String(n).padStart(12, '0')}.jsonl`;

export class Spool {
  #segments: number[] = [];
  #current: { n: number; fh: FileHandle; lines: number } | undefined;
  #depth = 0;
  #appendChain: Promise<unknown> = Promise.resolve();

  constructor(readonly dir: string) {}

  /** Finds segments left by a previous run and counts what they hold. */
  start(): void {
    mkdirSync(this.dir, { recursive: true });
    this.#segments = readdirSync(this.dir)
      .map((f) => SEGMENT.exec(f)?.[1])
      .filter((x): x is string => x !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    this.#depth = this.#segments.reduce((sum, n) => sum + parseSegment(readFileSync(join(this.dir, name(n)), 'utf8')).length, 0);
  }

  async stop(): Promise<void> {
    await this.#appendChain.catch(() => {});
    await this.#current?.fh.close();
    this.#current = undefined;
  }

  /** Scans waiting in the spool. */
  get depth(): number {
    return this.#depth;
  }

  /** Appends and fsyncs; resolved means durable. Appends are serialised (one writer). */
  append(scans: readonly Scan[]): Promise<void> {
    const run = this.#appendChain.then(() => this.#append(scans));
    this.#appendChain = run.catch(() => {});
    return run;
  }

  async #append(scans: readonly Scan[]): Promise<void> {
    if (scans.length === 0) return;
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
    await cur.fh.appendFile(scans.map((s) => JSON.stringify(s)).join('\n') + '\n', 'utf8');
    await cur.fh.sync();
    cur.lines += scans.length;
    this.#depth += scans.length;
  }

  /**
   * Writes every spooled scan to `write` in order, oldest segment first, in chunks of `chunk`;
   * stops at the first failure (rethrown). Resolves with how many scans were drained.
   */
  async drain(write: (scans: Scan[]) => Promise<void>, chunk = 5000, onDrained?: (n: number) => void): Promise<number> {
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
      const scans = parseSegment(await readFile(path, 'utf8'));
      for (let i = 0; i < scans.length; i += chunk) await write(scans.slice(i, i + chunk));
      await unlink(path);
      this.#segments.shift();
      this.#depth -= scans.length;
      drained += scans.length;
      onDrained?.(scans.length);
    }
    return drained;
  }
}

function parseSegment(text: string): Scan[] {
  const out: Scan[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const parsed = ScanSchema.safeParse(JSON.parse(line));
      if (parsed.success) out.push(parsed.data);
    } catch {
      // torn last line from a crash during append: never acknowledged, the device still has it
    }
  }
  return out;
}
