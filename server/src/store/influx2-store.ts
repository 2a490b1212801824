/**
 * ScanStore on InfluxDB 2.x / 3.x through @influxdata/influxdb-client (issue 9), chosen when
 * INFLUX_TOKEN, INFLUX_ORG and INFLUX_BUCKET are set. The same lines (layout v3, no personal data) and
 * point identity as the 1.x store (arrival-point.ts): a replayed scan overwrites itself. Writes use the client's batching and retry
 * (two quick retries), but a batch resolves only once the server took it, or rejects so the caller
 * spools it — the client's own retry buffer would otherwise hide a lost batch. Records are read from
 * the database of record, so this store only writes.
 * The bucket (and its retention) is created by the operator: a token that can create buckets is more
 * privilege than a writer needs.
 */
import { InfluxDB, setLogger } from '@influxdata/influxdb-client';
import { StoreRejectedError, StoreUnavailableError, type ScanStore } from './scan-store.ts';

export interface Influx2StoreOptions {
  url: string;
  token: string;
  org: string;
  bucket: string;
}

// The client logs failed writes to the console, and a refused write's message may quote line protocol.
// Our writer reports every failure itself, without the data.
setLogger({ error: () => {}, warn: () => {} });

export class Influx2ScanStore implements ScanStore {
  readonly #db: InfluxDB;
  constructor(private readonly o: Influx2StoreOptions) {
    this.#db = new InfluxDB({ url: o.url, token: o.token, timeout: 10_000 });
  }

  async start(): Promise<void> {
    if (!(await this.ping())) throw new StoreUnavailableError('influxdb (v2 API) not reachable');
  }

  async stop(): Promise<void> {}

  async writeLines(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    const api = this.#db.getWriteApi(this.o.org, this.o.bucket, 'ns', {
      batchSize: 5000,
      flushInterval: 0,
      maxRetries: 2,
      maxRetryTime: 5000,
      minRetryDelay: 200,
      maxRetryDelay: 1000,
      // Settle the batch ourselves: a 4xx is final (refused data), anything else after the retries is "down".
      writeFailed(error, _lines, attempt) {
        const status = (error as Error & { statusCode?: number }).statusCode;
        if (status && status >= 400 && status < 500 && status !== 429) return Promise.reject(new StoreRejectedError(`influxdb refused the batch (HTTP ${status})`));
        if (attempt > 2) return Promise.reject(new StoreUnavailableError(`influxdb unavailable${status ? ` (HTTP ${status})` : ''}`));
        return undefined;
      },
    });
    api.writeRecords(lines as string[]);
    try {
      await api.close();
    } catch (e) {
      // Never pass the client's message on: it may quote the line protocol (personal data).
      if (e instanceof StoreRejectedError || e instanceof StoreUnavailableError) throw e;
      throw new StoreUnavailableError(`influxdb unavailable: ${(e as Error).name}`);
    }
  }

  /** InfluxDB 2.x answers /ping with 204; VictoriaMetrics (used to test writes) answers /health. */
  async ping(): Promise<boolean> {
    for (const path of ['/ping', '/health']) {
      const ok = await fetch(new URL(path, this.o.url), { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
      if (ok) return true;
    }
    return false;
  }
}
