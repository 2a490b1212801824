/**
 * Rejected MQTT messages in the database of record (`dead_letters`, issue 15): topic, reason, a short
 * message and when. Never the payload (it holds personal data).
 *
 * A hostile or broken device can send thousands of bad messages a second, so the ingest's `add` only
 * counts and buffers: the buffer goes to the database in one insert at most every `flushMs` (200 ms),
 * at most `maxBuffered` rows each time; what overflows between two flushes is counted
 * (`notRecorded`, and in `byReason`) but not written. The counts by reason are bounded in memory
 * (`maxReasons` distinct reasons; the rest fold into `other`) for /api/health and /metrics.
 *
 * Retention: the last `keepDays` (30) days and at most `keepRows` (100,000) rows, pruned every
 * `pruneEveryFlushes` flushes and by the hourly retention (`prune`).
 *
 * A dead letter is a record for the operator, not a promise to a device: a crash between `add` and
 * the next flush loses at most one buffer of them (the messages themselves were invalid).
 */
import type { RecordsDb } from '../db/database.ts';
import type { Logger } from '../log.ts';

export interface DeadLetter {
  topic: string;
  reason: string;
  /** A short explanation without personal data (schema paths, sizes), from protocol's validator. */
  message: string;
  receivedAt: string;
}

export interface DeadLetterOptions {
  rdb: RecordsDb;
  log?: Logger;
  flushMs?: number;
  maxBuffered?: number;
  keepDays?: number;
  keepRows?: number;
  pruneEveryFlushes?: number;
  maxReasons?: number;
  now?: () => Date;
}

const MAX_TOPIC = 200;
const MAX_MESSAGE = 300;

export class DeadLetters {
  readonly byReason = new Map<string, number>();
  total = 0;
  /** Dead letters counted but not written (the buffer was full between two flushes). */
  notRecorded = 0;
  #buffer: DeadLetter[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #flushes = 0;
  readonly #o: Required<Omit<DeadLetterOptions, 'log'>> & { log?: Logger };

  constructor(o: DeadLetterOptions) {
    this.#o = { flushMs: 200, maxBuffered: 500, keepDays: 30, keepRows: 100_000, pruneEveryFlushes: 50, maxReasons: 64, now: () => new Date(), ...o };
  }

  start(): void {
    this.#timer = setInterval(() => void this.flush(), this.#o.flushMs);
    this.#timer.unref?.();
  }

  /** Writes what is buffered. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  /** Counts a rejected message and buffers it for the next flush. Synchronous and cheap: the ingest calls it per bad scan. */
  add(d: DeadLetter): void {
    this.total++;
    const reason = this.byReason.has(d.reason) || this.byReason.size < this.#o.maxReasons ? d.reason : 'other';
    this.byReason.set(reason, (this.byReason.get(reason) ?? 0) + 1);
    if (this.#buffer.length >= this.#o.maxBuffered) {
      this.notRecorded++;
      return;
    }
    this.#buffer.push({ topic: d.topic.slice(0, MAX_TOPIC), reason: d.reason.slice(0, 64), message: d.message.slice(0, MAX_MESSAGE), receivedAt: d.receivedAt });
  }

  /** One insert of the buffered rows (flushes run one at a time). A failed insert is logged and its rows dropped. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      const rows = this.#buffer;
      if (rows.length === 0) return;
      this.#buffer = [];
      try {
        await this.#o.rdb.db
          .insertInto('dead_letters')
          .values(rows.map((r) => ({ topic: r.topic, reason: r.reason, message: r.message, received_at: r.receivedAt })))
          .execute();
      } catch (e) {
        this.notRecorded += rows.length;
        this.#o.log?.warn({ err: (e as Error).message, lost: rows.length }, 'dead letters not recorded (database unavailable)');
      }
      if (++this.#flushes % this.#o.pruneEveryFlushes === 0) await this.prune().catch(() => 0);
    });
    return this.#flushing;
  }

  /** Deletes dead letters older than `keepDays` and all but the newest `keepRows`; returns how many. */
  async prune(): Promise<number> {
    const { db } = this.#o.rdb;
    const cutoff = new Date(this.#o.now().getTime() - this.#o.keepDays * 86_400_000).toISOString();
    let n = Number((await db.deleteFrom('dead_letters').where('received_at', '<', cutoff).executeTakeFirst()).numDeletedRows);
    // Ids grow with every insert: all but the newest keepRows are those below the keepRows-th newest id.
    const edge = await db.selectFrom('dead_letters').select('id').orderBy('id', 'desc').offset(this.#o.keepRows).limit(1).executeTakeFirst();
    if (edge) n += Number((await db.deleteFrom('dead_letters').where('id', '<=', edge.id).executeTakeFirst()).numDeletedRows);
    return n;
  }

  /** Newest first, from the database (what is still buffered comes first). */
  async list(limit = 100): Promise<DeadLetter[]> {
    const buffered = this.#buffer.slice(-limit).reverse();
    if (buffered.length >= limit) return buffered;
    const rows = await this.#o.rdb.db.selectFrom('dead_letters').selectAll().orderBy('id', 'desc').limit(limit - buffered.length).execute();
    return [...buffered, ...rows.map((r) => ({ topic: r.topic, reason: r.reason, message: r.message, receivedAt: r.received_at }))];
  }
}
