/**
 * ScanStore on InfluxDB 2.x / 3.x through @influxdata/influxdb-client (issue 9), chosen when
 * INFLUX_TOKEN, INFLUX_ORG and INFLUX_BUCKET are set. Same point identity as the 1.x store
 * (arrival-point.ts): a replayed scan overwrites itself. Writes use the client's batching and retry
 * (two quick retries), but a batch resolves only once the server took it, or rejects so the caller
 * spools it — the client's own retry buffer would otherwise hide a lost batch. Queries are Flux.
 * The bucket (and its retention) is created by the operator: a token that can create buckets is more
 * privilege than a writer needs.
 */
import { flux, fluxDateTime, fluxString, InfluxDB, Point, setLogger, type QueryApi } from '@influxdata/influxdb-client';
import { CHECKPOINT_IDS, todayWib, type CheckpointCount, type Scan } from '@sk/protocol';
import { MEASUREMENT, rowScannedAt, rowToScan, scanToPointV1 } from './arrival-point.ts';
import { StoreRejectedError, StoreUnavailableError, type ArrivalFilter, type ScanStore, type StoredArrival } from './scan-store.ts';

export interface Influx2StoreOptions {
  url: string;
  token: string;
  org: string;
  bucket: string;
  feverC: number;
}

// The client logs failed writes to the console, and a refused write's message may quote line protocol
// (NIK, names). Our writer reports every failure itself, without the data.
setLogger({ error: () => {}, warn: () => {} });

const INT_FIELDS = new Set(['seq']);

/**
 * The v1 point layout (five fields, arrival-point.ts) as a v2 Point: same measurement, tags and
 * nanosecond timestamp as the 1.x store. Its Flux queries filter and pivot on those fields.
 */
export function scanToPoint2(scan: Scan, feverC: number): Point {
  const p = scanToPointV1(scan, feverC);
  const point = new Point(p.measurement).timestamp(p.timestamp);
  for (const [k, v] of Object.entries(p.tags)) point.tag(k, v);
  for (const [k, v] of Object.entries(p.fields)) {
    if (typeof v === 'string') point.stringField(k, v);
    else if (INT_FIELDS.has(k)) point.intField(k, v);
    else point.floatField(k, v);
  }
  return point;
}

export class Influx2ScanStore implements ScanStore {
  readonly #db: InfluxDB;
  readonly #query: QueryApi;
  constructor(private readonly o: Influx2StoreOptions) {
    this.#db = new InfluxDB({ url: o.url, token: o.token, timeout: 10_000 });
    this.#query = this.#db.getQueryApi(o.org);
  }

  async start(): Promise<void> {
    if (!(await this.ping())) throw new StoreUnavailableError('influxdb (v2 API) not reachable');
  }

  async stop(): Promise<void> {}

  async writeBatch(scans: readonly Scan[]): Promise<void> {
    if (scans.length === 0) return;
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
    api.writePoints(scans.map((s) => scanToPoint2(s, this.o.feverC)));
    try {
      await api.close();
    } catch (e) {
      // Never pass the client's message on: it may quote the line protocol (personal data).
      if (e instanceof StoreRejectedError || e instanceof StoreUnavailableError) throw e;
      throw new StoreUnavailableError(`influxdb unavailable: ${(e as Error).name}`);
    }
  }

  #base(start: string, stop?: string) {
    const range = stop ? flux`range(start: ${fluxDateTime(start)}, stop: ${fluxDateTime(stop)})` : flux`range(start: ${fluxDateTime(start)})`;
    return flux`from(bucket: ${fluxString(this.o.bucket)}) |> ${range} |> filter(fn: (r) => r._measurement == ${fluxString(MEASUREMENT)})`;
  }

  async #rows(q: ReturnType<typeof flux>): Promise<Record<string, unknown>[]> {
    try {
      return await this.#query.collectRows<Record<string, unknown>>(q);
    } catch (e) {
      const status = (e as Error & { statusCode?: number }).statusCode;
      if (status && status >= 400 && status < 500) throw new StoreRejectedError(`influxdb refused the query (HTTP ${status})`);
      throw new StoreUnavailableError(`influxdb unavailable: ${(e as Error).name}`);
    }
  }

  async recentArrivals(f: ArrivalFilter): Promise<StoredArrival[]> {
    const limit = Math.max(1, Math.min(1000, Math.floor(f.limit)));
    let q = this.#base('1970-01-01T00:00:00Z', f.before ? new Date(f.before).toISOString() : undefined);
    const district = f.districtCode ?? f.villageCode?.slice(0, 8);
    const tags: [string, string | undefined][] = [['checkpoint', f.checkpointId], ['destDistrict', district], ['health', f.health]];
    for (const [tag, value] of tags) if (value) q = flux`${q} |> filter(fn: (r) => r[${fluxString(tag)}] == ${fluxString(value)})`;
    q = flux`${q} |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`;
    // destVillage is a field (see arrival-point.ts): a column after the pivot.
    if (f.villageCode) q = flux`${q} |> filter(fn: (r) => r.destVillage == ${fluxString(f.villageCode)})`;
    q = flux`${q} |> group() |> sort(columns: ["_time"], desc: true) |> limit(n: ${limit})`;
    return (await this.#rows(q)).map((r) => ({ scan: rowToScan(r) }));
  }

  async countsToday(now: Date = new Date()): Promise<CheckpointCount[]> {
    const since = new Date(`${todayWib(now)}T00:00:00+07:00`).toISOString();
    const q = flux`${this.#base(since)} |> filter(fn: (r) => r._field == "scanId") |> group(columns: ["checkpoint"]) |> count()`;
    const byCp = new Map((await this.#rows(q)).map((r) => [String(r.checkpoint), Number(r._value)]));
    return CHECKPOINT_IDS.map((checkpointId) => ({ checkpointId, today: byCp.get(checkpointId) ?? 0 }));
  }

  async storedScanIds(from: string, to: string): Promise<string[]> {
    // The point time is scannedAt + seq ns: widen the upper bound by a millisecond, then filter exactly.
    const q = flux`${this.#base(new Date(from).toISOString(), new Date(Date.parse(to) + 1).toISOString())} |> filter(fn: (r) => r._field == "scanId" or r._field == "record" or r._field == "scannedAt") |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`;
    const lo = Date.parse(from);
    const hi = Date.parse(to);
    return (await this.#rows(q)).filter((r) => { const t = Date.parse(rowScannedAt(r)); return t >= lo && t < hi; }).map((r) => String(r.scanId));
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
