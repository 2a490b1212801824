/**
 * Copies handouts to InfluxDB (measurement `aid_handouts`) for dashboards. Tags: programme, village
 * and district codes, status — never NIK, KK or name. The database is the record: a failed write is
 * retried from a bounded queue, and the point identity (tags + time with a per-handout nanosecond
 * offset) is deterministic, so a retry overwrites itself.
 */
import Influx from 'influx';
import type { Logger } from '../log.ts';

export interface HandoutPoint { id: string; programmeId: string; villageCode: string; date: string; at: string; status: 'recorded' | 'double' }

export class AidInflux {
  readonly #influx: Influx.InfluxDB;
  #queue: Influx.IPoint[] = [];
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  constructor(url: string, database: string, private readonly log: Logger, private readonly maxQueued = 100_000) {
    const u = new URL(url);
    this.#influx = new Influx.InfluxDB({ host: u.hostname, port: Number(u.port || 8086), protocol: u.protocol === 'https:' ? 'https' : 'http', database, username: u.username ? decodeURIComponent(u.username) : undefined, password: u.password ? decodeURIComponent(u.password) : undefined });
  }

  start(): void {
    this.#timer = setInterval(() => void this.flush(), 2000);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }

  add(points: HandoutPoint[]): void {
    for (const p of points) {
      const ns = BigInt(Date.parse(p.at)) * 1_000_000n + BigInt(parseInt(p.id.slice(-4), 36) % 1_000_000);
      this.#queue.push({
        measurement: 'aid_handouts',
        tags: { programme: p.programmeId, village_code: p.villageCode, district_code: p.villageCode.slice(0, 8), status: p.status },
        fields: { handout_id: p.id, date: p.date, count: 1 },
        timestamp: ns.toString(),
      });
    }
    if (this.#queue.length > this.maxQueued) this.#queue.splice(0, this.#queue.length - this.maxQueued);
    void this.flush();
  }

  async flush(): Promise<void> {
    if (this.#busy || !this.#queue.length) return;
    this.#busy = true;
    const batch = this.#queue.splice(0, 5000);
    try {
      await this.#influx.writePoints(batch, { precision: 'n' });
    } catch (e) {
      this.#queue.unshift(...batch);
      this.log.debug({ err: (e as Error).message, queued: this.#queue.length }, 'aid_handouts write failed; will retry');
    } finally {
      this.#busy = false;
    }
  }
}
