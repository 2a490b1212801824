/**
 * Where accepted scans are stored. One interface, so the ingest pipeline never knows it is InfluxDB
 * (and tests can count calls). Every implementation must make writes idempotent per scan:
 * writing the same scan twice leaves one stored record.
 */
import type { CheckpointCount, HealthStatus, Scan } from '@sk/protocol';

export interface ArrivalFilter {
  checkpointId?: string;
  districtCode?: string;
  villageCode?: string;
  health?: HealthStatus;
  /** Only arrivals scanned strictly before this instant (ISO). */
  before?: string;
  limit: number;
}

/** A stored arrival as read back: the scan plus what the server derived at ingest. */
export interface StoredArrival {
  scan: Scan;
}

export interface ScanStore {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Durable once resolved. Rejects with {@link StoreUnavailableError} when the store is down. */
  writeBatch(scans: readonly Scan[]): Promise<void>;
  recentArrivals(filter: ArrivalFilter): Promise<StoredArrival[]>;
  /** Scans per checkpoint since midnight WIB (Asia/Jakarta), all four checkpoints listed. */
  countsToday(now?: Date): Promise<CheckpointCount[]>;
  /** Every stored scanId scanned in [from, to). */
  storedScanIds(from: string, to: string): Promise<string[]>;
  /** True when the store answers. */
  ping(): Promise<boolean>;
}

/** The store is down or unreachable: the caller spools and retries later. */
export class StoreUnavailableError extends Error {}
/** The store refused the data itself (would fail again on retry): the caller sets it aside. */
export class StoreRejectedError extends Error {}
