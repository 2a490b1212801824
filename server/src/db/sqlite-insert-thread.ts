/**
 * The scan batch insert on SQLite, run on a worker thread with its own connection to the same file.
 *
 * Why: better-sqlite3 is synchronous, and the server has one busy thread. Inserting a scan costs
 * 10–18 µs on this box (five B-trees: the table and its indexes), which at 20,000 scans/s is a third
 * of a core taken from the MQTT reading, the live channel and the API (docs/benchmarks.md). On its own
 * thread that work runs on the machine's other core; the main thread only hands over plain arrays.
 * WAL mode lets the two connections coexist: readers never wait, and the other writers (alerts,
 * arrivals, aid on the main connection) take turns with this one through SQLite's lock (busy_timeout).
 *
 * The statement's text is compiled by Kysely from the same typed builder as the PostgreSQL insert.
 */
import { Worker } from 'node:worker_threads';

export interface ThreadOutcome {
  /** Indexes (into the rows given) of the rows inserted. */
  inserted: number[];
  /** [index, stored scanned_at] of the rows that were already there. */
  stored: [number, string][];
}

export class SqliteInsertThread {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, { resolve(o: ThreadOutcome): void; reject(e: Error): void }>();
  #next = 1;
  #dead: Error | undefined;

  constructor(file: string, insertSql: string) {
    this.#worker = new Worker(new URL('./sqlite-insert-worker.js', import.meta.url), { workerData: { file, insertSql, busyTimeoutMs: 5000 } });
    this.#worker.on('message', (m: { id?: number; inserted?: number[]; stored?: [number, string][]; error?: string }) => {
      if (m.id === undefined) return;
      const w = this.#waiting.get(m.id);
      this.#waiting.delete(m.id);
      if (!w) return;
      if (m.error !== undefined) w.reject(new Error(m.error));
      else w.resolve({ inserted: m.inserted!, stored: m.stored! });
    });
    const fail = (e: Error) => {
      this.#dead = e;
      for (const w of this.#waiting.values()) w.reject(e);
      this.#waiting.clear();
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => fail(new Error(`the SQLite insert thread exited (${code})`)));
    // The thread must not keep the process alive on its own.
    this.#worker.unref();
  }

  /** Inserts the rows (arrays of values in the statement's column order) in one transaction. */
  insert(rows: unknown[][]): Promise<ThreadOutcome> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage({ id, rows });
    });
  }

  async close(): Promise<void> {
    if (this.#dead) return;
    const closed = new Promise<void>((r) => this.#worker.once('exit', () => r()));
    this.#worker.postMessage({ close: true });
    await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
    await this.#worker.terminate();
  }
}
