/**
 * Composes the issue-5 decision features around the alerts: expected arrivals and quarantine (both on
 * the database of record), follow-ups, InfluxDB rollups, with their routes (stats, OpenAPI). server.ts
 * creates one, feeds it stored scans, and starts/stops it.
 */
import { join } from 'node:path';
import type { ArrivalEvent, Scan } from '@sk/protocol';
import type { Regions } from '@sk/protocol/regions';
import type { Alerts } from '../alerts/alerts.ts';
import { followUpRoutes } from '../alerts/follow-up-routes.ts';
import type { ServerConfig } from '../config.ts';
import type { RecordsDb } from '../db/database.ts';
import type { Logger } from '../log.ts';
import { Quarantine } from '../quarantine/quarantine.ts';
import { quarantineRoutes } from '../quarantine/routes.ts';
import { ArrivalRollups, type RollupOptions } from '../store/rollups.ts';
import { statsRoutes } from '../store/rollups-routes.ts';
import { openApiRoutes } from '../http/openapi.ts';
import { ExpectedArrivals } from './expected-arrivals.ts';
import { expectedArrivalRoutes } from './routes.ts';

/** Tuning for tests and operators; every field has a default. */
export interface FeatureTuning {
  /** An expected arrival not marked this long after its ETA raises an overdue alert (default 2 h). */
  overdueAfterMs?: number;
  /** How often overdue arrivals are looked for (default 10 s). */
  overdueCheckMs?: number;
  quarantineDays?: number;
  /** Stats ranges longer than this read the rollups (default 48 h). */
  statsRawAboveMs?: number;
}

/**
 * The operator's settings (ARRIVAL_OVERDUE_MIN, OVERDUE_CHECK_SEC, QUARANTINE_DAYS) as tuning;
 * server.ts spreads a test's own `tuning` over it, so tests keep their short windows.
 */
export function featureTuning(cfg: Pick<ServerConfig, 'arrivalOverdueMin' | 'overdueCheckSec' | 'quarantineDays'>): FeatureTuning {
  return { overdueAfterMs: cfg.arrivalOverdueMin * 60_000, overdueCheckMs: cfg.overdueCheckSec * 1000, quarantineDays: cfg.quarantineDays };
}

/** Files under DATA_DIR/server: the person-key secret, the operator's travel times, and the journals of the journal-keeping versions (imported once, legacy-import.ts). */
export function featurePaths(dataDir: string) {
  const dir = join(dataDir, 'server');
  return {
    alerts: join(dir, 'alerts.jsonl'),
    personKey: join(dir, 'person-key'),
    expected: join(dir, 'expected-arrivals.jsonl'),
    travelTimes: join(dir, 'travel-times.json'),
    facilities: join(dir, 'quarantine-facilities.json'),
    assignments: join(dir, 'quarantine-assignments.jsonl'),
  };
}

export class CheckpointFeatures {
  readonly expected: ExpectedArrivals;
  readonly quarantine: Quarantine;
  readonly rollups: ArrivalRollups;
  #rollupsUp = false;

  constructor(private readonly d: {
    dataDir: string; influxUrl: string; influxDb: string; feverC?: number;
    /** Several instances store into one database: this one's in-memory recent counts would see only its own share. */
    clustered?: boolean;
    rdb: RecordsDb; regions?: Regions;
    alerts: Alerts; log: Logger; now?: () => Date; tuning?: FeatureTuning;
    /** The recent counts' source at start: the database of record (store/rollups.ts). */
    recentRows?: RollupOptions['recentRows'] }) {
    const t = d.tuning ?? {};
    this.expected = new ExpectedArrivals({ rdb: d.rdb, alerts: d.alerts, regions: d.regions, overdueAfterMs: t.overdueAfterMs ?? 2 * 3600_000, now: d.now, log: d.log });
    this.quarantine = new Quarantine({ rdb: d.rdb, alerts: d.alerts, defaultDays: t.quarantineDays, now: d.now });
    this.rollups = new ArrivalRollups({ url: d.influxUrl, database: d.influxDb, rawAbove: t.statsRawAboveMs, feverC: d.feverC, recent: !d.clustered, recentRows: d.recentRows });
    this.#overdueCheckMs = t.overdueCheckMs ?? 10_000;
  }

  readonly #overdueCheckMs: number;

  async start(): Promise<void> {
    await this.quarantine.start();
    this.expected.start(this.#overdueCheckMs);
  }

  /** Once InfluxDB is reachable (at start or later): rollup RP and continuous queries. */
  async startRollups(): Promise<void> {
    if (this.#rollupsUp) return;
    try {
      await this.rollups.start();
      this.#rollupsUp = true;
    } catch (e) {
      this.d.log.warn({ err: (e as Error).message }, 'rollups not set up yet; retrying when InfluxDB is back');
    }
  }

  /** Nothing to do: a stored scan is its expected arrival (the row is the record). Kept for the announce path. */
  onArrival(_e: ArrivalEvent): void {}

  onStored(scans: readonly Scan[]): void {
    this.rollups.touch(scans);
  }

  routes() {
    return [expectedArrivalRoutes(this.expected), quarantineRoutes(this.quarantine, this.expected), followUpRoutes(this.d.alerts), statsRoutes(this.rollups), openApiRoutes()];
  }

  async stop(): Promise<void> {
    this.rollups.stop();
    await this.expected.stop();
    this.quarantine.stop();
  }
}
