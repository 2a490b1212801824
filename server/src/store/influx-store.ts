/**
 * ScanStore on InfluxDB 1.x (node-influx). Creates the database and retention policy on start.
 * Network errors and 5xx mean "down" (the caller spools); a 4xx means the data itself was refused.
 */
import Influx from 'influx';
import { ExponentialBackoff } from 'influx/lib/src/backoff/exponential.js';
import { CHECKPOINT_IDS, todayWib, type CheckpointCount, type Scan } from '@sk/protocol';
import { MEASUREMENT, rowScanId, rowScannedAt, rowToScan, villageRecordRegex } from './arrival-point.ts';
import { scansToBody } from './line-protocol.ts';
import { HttpPoster } from './http-post.ts';
import { StoreRejectedError, StoreUnavailableError, type ArrivalFilter, type ScanStore, type StoredArrival } from './scan-store.ts';

const RP = 'arrivals_rp';
const q = (s: string) => Influx.escape.stringLit(s);

export interface InfluxStoreOptions {
  url: string;
  database: string;
  retention: string;
  feverC: number;
}

export class InfluxScanStore implements ScanStore {
  readonly #influx: Influx.InfluxDB;
  /** The hot path writes line protocol itself (see line-protocol.ts); queries go through node-influx. */
  readonly #writer: HttpPoster;
  constructor(private readonly opts: InfluxStoreOptions) {
    const u = new URL(opts.url);
    const w = new URL('/write', `${u.protocol}//${u.host}`);
    w.search = new URLSearchParams({ db: opts.database, rp: RP, precision: 'n' }).toString();
    const writeHeaders: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
    if (u.username) writeHeaders.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    this.#writer = new HttpPoster(w.toString(), writeHeaders);
    this.#influx = new Influx.InfluxDB({
      hosts: [{ host: u.hostname, port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)), protocol: u.protocol === 'https:' ? 'https' : 'http' }],
      username: u.username ? decodeURIComponent(u.username) : undefined,
      password: u.password ? decodeURIComponent(u.password) : undefined,
      database: opts.database,
      // Fail fast so a batch goes to the spool quickly; a short backoff so we notice recovery quickly.
      pool: {
        maxRetries: 0,
        requestTimeout: 10_000,
        backoff: new ExponentialBackoff({ initial: 100, max: 1000, random: 0.2 }),
      },
    });
  }

  /** Idempotent: CREATE DATABASE / RETENTION POLICY are no-ops when they exist. */
  async start(): Promise<void> {
    await this.#run(async () => {
      await this.#influx.createDatabase(this.opts.database);
      const existing = await this.#influx.showRetentionPolicies(this.opts.database);
      if (!existing.some((p) => p.name === RP)) {
        await this.#influx.createRetentionPolicy(RP, { database: this.opts.database, duration: this.opts.retention, replication: 1, isDefault: true });
      }
    });
  }

  async stop(): Promise<void> {
    this.#writer.close();
  }

  async writeBatch(scans: readonly Scan[]): Promise<void> {
    if (scans.length === 0) return;
    const body = scansToBody(scans, this.opts.feverC);
    let status: number;
    try {
      status = await this.#writer.post(body, 10_000);
    } catch (e) {
      throw new StoreUnavailableError(`influxdb unavailable: ${(e as Error).name === 'TimeoutError' ? 'write timed out' : ((e as Error).message || 'network error').slice(0, 120)}`);
    }
    if (status === 204 || status === 200) return;
    if (status >= 400 && status < 500) throw new StoreRejectedError(`influxdb refused the write (HTTP ${status})`);
    throw new StoreUnavailableError(`influxdb unavailable: HTTP ${status}`);
  }

  async recentArrivals(f: ArrivalFilter): Promise<StoredArrival[]> {
    const where: string[] = [];
    if (f.checkpointId) where.push(`checkpoint = ${q(f.checkpointId)}`);
    if (f.districtCode) where.push(`destDistrict = ${q(f.districtCode)}`);
    // The village is inside the record (v2; a field in v1 points): the district tag first narrows the
    // series, then the anchored record match (arrival-point.ts).
    if (f.villageCode) where.push(`destDistrict = ${q(f.villageCode.slice(0, 8))}`, `(record =~ ${villageRecordRegex(f.villageCode)} OR destVillage = ${q(f.villageCode)})`);
    if (f.health) where.push(`health = ${q(f.health)}`);
    if (f.before) where.push(`time < ${q(f.before)}`);
    const limit = Math.max(1, Math.min(1000, Math.floor(f.limit)));
    const sql = `SELECT * FROM ${this.#from()}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY time DESC LIMIT ${limit}`;
    const rows = await this.#run(() => this.#influx.query<Record<string, unknown>>(sql));
    return rows.map((r) => ({ scan: rowToScan(r) }));
  }

  async countsToday(now: Date = new Date()): Promise<CheckpointCount[]> {
    const since = new Date(`${todayWib(now)}T00:00:00+07:00`).toISOString();
    const rows = await this.#run(() =>
      this.#influx.query<{ checkpoint: string; count: number }>(`SELECT count(record) AS count FROM ${this.#from()} WHERE time >= ${q(since)} GROUP BY checkpoint`),
    );
    const byCp = new Map(rows.map((r) => [r.checkpoint, Number(r.count)]));
    return CHECKPOINT_IDS.map((checkpointId) => ({ checkpointId, today: byCp.get(checkpointId) ?? 0 }));
  }

  async storedScanIds(from: string, to: string): Promise<string[]> {
    // The point time is scannedAt + seq ns: widen the upper bound by a millisecond, then filter exactly.
    const rows = await this.#run(() =>
      this.#influx.query<{ scanId?: string; record?: string; scannedAt?: string }>(
        `SELECT scanId, record, scannedAt FROM ${this.#from()} WHERE time >= ${q(new Date(from).toISOString())} AND time < ${q(new Date(Date.parse(to) + 1).toISOString())}`,
      ),
    );
    const lo = Date.parse(from);
    const hi = Date.parse(to);
    return rows.filter((r) => { const t = Date.parse(rowScannedAt(r)); return t >= lo && t < hi; }).map(rowScanId);
  }

  async ping(): Promise<boolean> {
    try {
      const hosts = await this.#influx.ping(2000);
      return hosts.some((h) => h.online);
    } catch {
      return false;
    }
  }

  #from(): string {
    return `"${this.opts.database}"."${RP}"."${MEASUREMENT}"`;
  }

  async #run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const err = e as Error & { res?: { statusCode?: number } };
      const status = err.res?.statusCode;
      // The message may quote the request body (personal data): keep only the status.
      if (status && status >= 400 && status < 500) throw new StoreRejectedError(`influxdb refused the request (HTTP ${status})`);
      throw new StoreUnavailableError(`influxdb unavailable: ${err.name === 'Error' ? err.message.slice(0, 120) : err.name}`);
    }
  }
}
