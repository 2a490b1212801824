/**
 * Composes the issue-5 decision features around the alerts book: expected arrivals, quarantine and
 * InfluxDB rollups, with their routes (stats, OpenAPI). server.ts creates one, feeds it accepted
 * arrivals and stored scans, and starts/stops it.
 */
import { join } from 'node:path';
import type { ArrivalEvent, Scan } from '@sk/protocol';
import type { Alerts } from '../alerts/alerts.ts';
import type { ServerConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import { Quarantine } from '../quarantine/quarantine.ts';
import { FacilityFile } from '../quarantine/facilities.ts';
import { quarantineRoutes } from '../quarantine/routes.ts';
import { ArrivalRollups, type RollupOptions } from '../store/rollups.ts';
import { statsRoutes } from '../store/rollups-routes.ts';
import { openApiRoutes } from '../http/openapi.ts';
import { ExpectedArrivals } from './expected-arrivals.ts';
import { loadTravelTimes } from './eta.ts';
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
    alerts: Alerts; log: Logger; now?: () => Date; tuning?: FeatureTuning;
    /** The recent counts' source at start: the database of record (store/rollups.ts). */
    recentRows?: RollupOptions['recentRows'] }) {
    const p = featurePaths(d.dataDir);
    const t = d.tuning ?? {};
    const raise = d.alerts.raise.bind(d.alerts);
    const clearAlert = d.alerts.clearKey.bind(d.alerts);
    this.expected = new ExpectedArrivals({ travelTimes: loadTravelTimes(p.travelTimes), overdueAfterMs: t.overdueAfterMs ?? 2 * 3600_000, now: d.now, journalFile: p.expected, raise, clearAlert });
    this.quarantine = new Quarantine({ facilities: new FacilityFile(p.facilities), journalFile: p.assignments, defaultDays: t.quarantineDays, now: d.now, raise, clearAlert });
    this.rollups = new ArrivalRollups({ url: d.influxUrl, database: d.influxDb, rawAbove: t.statsRawAboveMs, feverC: d.feverC, recent: !d.clustered, recentRows: d.recentRows });
    this.#overdueCheckMs = t.overdueCheckMs ?? 10_000;
  }

  readonly #overdueCheckMs: number;

  start(): void {
    this.expected.start(this.#overdueCheckMs);
    this.quarantine.start();
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

  onArrival(e: ArrivalEvent): void {
    this.expected.add(e);
  }

  onStored(scans: readonly Scan[]): void {
    this.rollups.touch(scans);
  }

  routes() {
    return [expectedArrivalRoutes(this.expected), quarantineRoutes(this.quarantine, this.expected), statsRoutes(this.rollups), openApiRoutes()];
  }

  stop(): void {
    this.rollups.stop();
    this.expected.stop();
    this.quarantine.stop();
  }
}
