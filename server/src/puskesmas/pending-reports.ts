/**
 * Puskesmas reports received over MQTT but not yet in InfluxDB. A report is appended here with
 * fsync BEFORE the handler returns, and mqtt.js sends the PUBACK only after the handler: so once the
 * device is told "received", the report survives an InfluxDB outage and a server crash. A retry
 * writes the pending ones; a report is the same point for the same (puskesmas, date), so a retry
 * after a crash between "written" and "forgotten" overwrites itself instead of doubling.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DailyReport } from '@sk/protocol';

const keyOf = (r: DailyReport) => `${r.puskesmasId}|${r.date}`;

export class PendingReports {
  /** Latest report per (puskesmas, date): a correction sent while InfluxDB is down replaces the first. */
  readonly #pending = new Map<string, DailyReport>();
  #fd: number | undefined;
  constructor(readonly file: string) {}

  get size(): number {
    return this.#pending.size;
  }

  /** Loads what a previous run left (a torn last line is skipped), then opens for appending. */
  open(): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    if (existsSync(this.file)) {
      for (const line of readFileSync(this.file, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          const r = JSON.parse(line) as DailyReport;
          this.#pending.set(keyOf(r), r);
        } catch {
          // A crash mid-append tore this line; its report was never acknowledged to the device.
        }
      }
    }
    this.#rewrite();
  }

  /** Durable on return (fsync). */
  add(reports: readonly DailyReport[]): void {
    if (this.#fd === undefined) throw new Error('pending reports not open');
    writeSync(this.#fd, reports.map((r) => JSON.stringify(r)).join('\n') + '\n');
    fsyncSync(this.#fd);
    for (const r of reports) this.#pending.set(keyOf(r), r);
  }

  /**
   * Writes every pending report with `write`; on success forgets those that were not replaced while
   * the write ran. Throws what `write` threw (they all stay pending).
   */
  async flush(write: (reports: DailyReport[]) => Promise<void>): Promise<number> {
    const batch = [...this.#pending.entries()];
    if (!batch.length) return 0;
    await write(batch.map(([, r]) => r));
    for (const [k, r] of batch) if (this.#pending.get(k) === r) this.#pending.delete(k);
    this.#rewrite();
    return batch.length;
  }

  /** Compacts the file to what is still pending: tmp file, fsync, rename (never a half file). */
  #rewrite(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    const rest = [...this.#pending.values()];
    if (rest.length) writeSync(fd, rest.map((r) => JSON.stringify(r)).join('\n') + '\n');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.file);
    this.#fd = openSync(this.file, 'a', 0o600);
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
