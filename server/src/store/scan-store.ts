/**
 * Where the time series of accepted scans go (InfluxDB 1.x or 2.x). One interface, so the ingest
 * pipeline never knows which. It takes ready line-protocol lines (layout v3, arrival-point.ts): no
 * personal data ever reaches it. Writes must be idempotent per point: a point's identity (series +
 * timestamp) is a function of the scan, so writing it again overwrites it.
 *
 * Reads of records (recent arrivals, stored ids, counts) go to the database of record (db/scan-rows.ts).
 */
export interface ScanStore {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Durable once resolved. Rejects with {@link StoreUnavailableError} when the store is down. */
  writeLines(lines: readonly string[]): Promise<void>;
  /** True when the store answers. */
  ping(): Promise<boolean>;
}

/** The store is down or unreachable: the caller spools and retries later. */
export class StoreUnavailableError extends Error {}
/** The store refused the data itself (would fail again on retry): the caller sets it aside. */
export class StoreRejectedError extends Error {}
