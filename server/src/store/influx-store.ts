/**
 * ScanStore on InfluxDB 1.x (node-influx). Creates the database and retention policy on start.
 * Network errors and 5xx mean "down" (the caller spools); a 4xx means the data itself was refused.
 */
import Influx from 'influx';
import { ExponentialBackoff } from 'influx/lib/src/backoff/exponential.js';
import { MEASUREMENT } from './arrival-point.ts';
import { linesToBody } from './line-protocol.ts';
import { HttpPoster } from './http-post.ts';
import { StoreRejectedError, StoreUnavailableError, type ScanStore } from './scan-store.ts';

const RP = 'arrivals_rp';

export interface InfluxStoreOptions {
  url: string;
  database: string;
  retention: string;
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

  async writeLines(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    const body = linesToBody(lines);
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

  async ping(): Promise<boolean> {
    try {
      const hosts = await this.#influx.ping(2000);
      return hosts.some((h) => h.online);
    } catch {
      return false;
    }
  }

  /** The measurement, fully qualified (for the legacy import's queries). */
  from(): string {
    return `"${this.opts.database}"."${RP}"."${MEASUREMENT}"`;
  }

  /** An InfluxQL query (the legacy import); errors as StoreUnavailable/Rejected. */
  query<T>(q: string): Promise<T[]> {
    return this.#run(() => this.#influx.query<T>(q));
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
