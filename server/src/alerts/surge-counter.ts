/**
 * Arrivals per checkpoint per minute, for the window + baseline of the surge rule (rules.ts
 * `surgeCheck`), in memory; rebuilt from the scans table at start, so a restart forgets nothing.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { surgeCheck, type SurgeOptions } from './rules.ts';

export type Surge = NonNullable<ReturnType<typeof surgeCheck>>;

export class SurgeCounter {
  /** checkpoint → minute index → arrivals. */
  readonly #perMinute = new Map<string, Map<number, number>>();
  /** Per checkpoint, the minute its surge was last reported. */
  readonly #reported = new Map<string, number>();

  constructor(private readonly o: SurgeOptions) {}

  get #span(): number {
    return this.o.windowMin + this.o.baselineMin;
  }

  #bucket(cp: string): Map<number, number> {
    let b = this.#perMinute.get(cp);
    if (!b) this.#perMinute.set(cp, (b = new Map()));
    return b;
  }

  /** Fills the counts from the scans kept in the last window + baseline before `nowMs`. */
  async rebuild(db: Kysely<Database>, nowMs: number): Promise<void> {
    const since = new Date((Math.floor(nowMs / 60_000) - this.#span + 1) * 60_000).toISOString();
    const rows = await db
      .selectFrom('scans')
      .select((eb) => ['checkpoint_id', eb.fn<string>('substr', ['scanned_at', eb.val(1), eb.val(16)]).as('minute'), eb.fn.countAll<number>().as('n')])
      .where('scanned_at', '>=', since)
      .groupBy(['checkpoint_id', 'minute'])
      .execute();
    for (const r of rows) this.#bucket(r.checkpoint_id).set(Math.floor(Date.parse(`${r.minute}:00.000Z`) / 60_000), Number(r.n));
  }

  /**
   * Counts arrivals at `nowMs`; returns the checkpoints now in a surge. Each is reported at most once a
   * minute: a surge lasting ten minutes is one alert whose count says for how many minutes, not one
   * write per batch.
   */
  count(checkpointIds: Iterable<string>, nowMs: number): [string, Surge][] {
    const minute = Math.floor(nowMs / 60_000);
    const touched = new Set<string>();
    for (const cp of checkpointIds) {
      const b = this.#bucket(cp);
      b.set(minute, (b.get(minute) ?? 0) + 1);
      touched.add(cp);
    }
    const span = this.#span;
    const out: [string, Surge][] = [];
    for (const cp of touched) {
      const b = this.#perMinute.get(cp)!;
      if (b.size > span) for (const m of b.keys()) if (m <= minute - span) b.delete(m);
      if (this.#reported.get(cp) === minute) continue;
      const s = surgeCheck(Array.from({ length: span }, (_, i) => b.get(minute - span + 1 + i) ?? 0), this.o);
      if (!s) continue;
      this.#reported.set(cp, minute);
      out.push([cp, s]);
    }
    return out;
  }
}
