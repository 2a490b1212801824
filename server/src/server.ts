/**
 * Composes the server's features and starts them in order; `close()` stops them in reverse:
 * stop reading MQTT, flush batches (acks go out), close the spool, close sockets and HTTP.
 */
import { serve } from '@hono/node-server';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { ArrivalEvent, Scan } from '@sk/protocol';
import { loadRegions } from '@sk/protocol/regions';
import type { ServerConfig } from './config.ts';
import { area, createLogger, type Logger } from './log.ts';
import { InfluxScanStore } from './store/influx-store.ts';
import { Influx2ScanStore } from './store/influx2-store.ts';
import type { ScanStore } from './store/scan-store.ts';
import { Spool } from './store/spool.ts';
import { DeadLetters } from './ingest/dead-letters.ts';
import { Ingest } from './ingest/ingest.ts';
import { ScanWriter } from './ingest/scan-writer.ts';
import { Live } from './live/live.ts';
import { DeviceRegistry } from './live/devices.ts';
import { toArrivalEvent } from './live/arrival-event.ts';
import { LoginThrottle } from './auth/login-throttle.ts';
import { DbSessionStore, type SessionStore } from './auth/sessions.ts';
import { UserDirectory } from './auth/users.ts';
import { createApp } from './http/app.ts';
import { ApiError } from './http/api-error.ts';
import { createMetrics } from './metrics.ts';
import { Alerts } from './alerts/alerts.ts';
import { ServerCluster } from './cluster/cluster.ts';
import { AID_SUBSCRIPTION, CHECKPOINT_IDS, PUSKESMAS_SUBSCRIPTION, todayWib } from '@sk/protocol';
import { Aid } from './aid/aid.ts';
import { AidInflux } from './aid/aid-influx.ts';
import { aidRoutes } from './aid/aid-routes.ts';
import { aidDeviceHandler } from './aid/aid-mqtt.ts';
import { FeatureMqtt } from './aid/feature-mqtt.ts';
import { PuskesmasReports } from './puskesmas/puskesmas.ts';
import { ReportStore } from './puskesmas/report-store.ts';
import { puskesmasRoutes } from './puskesmas/puskesmas-routes.ts';
import { puskesmasDeviceHandler } from './puskesmas/puskesmas-mqtt.ts';
import { Retention } from './ops/retention.ts';
import { loadPersonSecret } from './alerts/person-secret.ts';
import { CheckpointFeatures, featurePaths, featureTuning, type FeatureTuning } from './arrivals/checkpoint-features.ts';
import { openDatabase, type RecordsDb } from './db/database.ts';
import { countsByCheckpoint, recentArrivalsSince, storedScanIds } from './db/scan-rows.ts';
import { storeLegacyScans } from './db/legacy-scans.ts';
import { runLegacyImports, type LegacyImporter } from './db/legacy-import.ts';
import { ALERTS_LEGACY_IMPORTERS } from './alerts/legacy-import.ts';
import { legacyPointsImporter } from './store/legacy-points.ts';
import { aidLegacyImporterFor } from './aid/aid-legacy-import.ts';
import { usersJsonImporter } from './auth/legacy-users.ts';
import { puskesmasPendingImporter } from './puskesmas/legacy-pending.ts';
import { loadTravelTimes, makeEtaFor } from './arrivals/eta.ts';
import { isoAt } from './iso-text.ts';
import { arrivalHistory } from './arrivals/arrival-history.ts';
import { TimeBeacon } from './live/time-beacon.ts';

export const VERSION = '0.2.0';

/** The importers of each domain's old journals (after the points: they refer to scans by id). */
const LEGACY_IMPORTERS: LegacyImporter[] = [usersJsonImporter, puskesmasPendingImporter];

export interface IngestStats {
  /** Scans taken from MQTT, redeliveries included: = stored + duplicates + deadLettered + dropped + pending. */
  received: number;
  /** New scans committed to the database of record. */
  stored: number;
  /** Scans that were already in the database (a device's resend): acked again, stored once. */
  duplicates: number;
  deadLettered: number;
  /** Points of stored scans waiting in the local spool for InfluxDB (the scans themselves are in the database). */
  spooled: number;
  /** Accepted but not made durable (database refused the batch): not acked, the device resends. */
  dropped: number;
  /** Accepted, not yet committed (in the current batch). */
  pending: number;
  /** Accepted scans stored at their receive time because the device's clock was out of bounds (issue 17). */
  clockClamped: number;
}

export interface RunningServer {
  url: string;
  httpPort: number;
  close(): Promise<void>;
  stats(): IngestStats;
}

export interface ServerOverrides {
  log?: Logger;
  store?: ScanStore;
  sessions?: SessionStore;
  /** Injected clock for alerts, expected arrivals and quarantine (tests). */
  now?: () => Date;
  tuning?: FeatureTuning;
  /** Aid + puskesmas settings (default: from the config). */
  aidConfig?: Pick<ServerConfig, 'aidHmacSecret' | 'puskesmasDeadlineHour'>;
}

/** Paths under DATA_DIR the server owns. */
export const serverPaths = (dataDir: string) => ({
  /** The database of record when DATABASE_URL is not set (SQLite, WAL). */
  records: join(dataDir, 'server', 'records.sqlite'),
  spool: join(dataDir, 'server', 'spool'),
  rejected: join(dataDir, 'server', 'spool-rejected'),
});


export async function startServer(cfg: ServerConfig, o: ServerOverrides = {}): Promise<RunningServer> {
  const startedAt = Date.now();
  const log = o.log ?? createLogger(cfg.logLevel);
  const paths = serverPaths(cfg.dataDir);
  const regions = loadRegions();
  // The database of record first: everything else rebuilds from it (issue 15).
  const rdb: RecordsDb = await openDatabase({ databaseUrl: cfg.databaseUrl, sqliteFile: paths.records, insertThread: cfg.sqliteInsertThread });
  let dbUp = true;
  log.info({ engine: rdb.engine, where: rdb.where }, 'database of record open');
  const store =
    o.store ??
    (cfg.influx2
      ? new Influx2ScanStore({ url: cfg.influxUrl, ...cfg.influx2 })
      : new InfluxScanStore({ url: cfg.influxUrl, database: cfg.influxDb, retention: cfg.influxRetention }));
  // Cluster mode (REDIS_URL): leases and live channel; see cluster/cluster.ts. Sessions and users are in the database.
  const cluster = cfg.redisUrl ? new ServerCluster({ redisUrl: cfg.redisUrl, instanceId: cfg.mqttClientId, log: area(log, 'cluster'), follow: (f, on) => ingest.follow(f, on) }) : undefined;
  const dbSessions = new DbSessionStore(rdb, undefined, o.now);
  const sessions = o.sessions ?? dbSessions;
  // Points spooled by a version before issue 15 are whole scans: they go into the database first.
  const spool = new Spool(paths.spool, (scans) => storeLegacyScans(rdb, scans, cfg.feverThresholdC, eta));
  const rejected = new Spool(paths.rejected);
  const deadLetters = new DeadLetters({ rdb, log: area(log, 'dead-letters') });
  deadLetters.start();
  const retention = new Retention({ rdb, retentionDays: cfg.piiRetentionDays, log: area(log, 'retention'), sessions: dbSessions, deadLetters, now: o.now });
  const devices = new DeviceRegistry();
  let influxUp = false;
  const fp = featurePaths(cfg.dataDir);
  // Alerts, follow-ups, expected arrivals and quarantine are rows of the database of record (issues 15, 17).
  const alerts = new Alerts({
    rdb, feverC: cfg.feverThresholdC, watchOrigins: cfg.watchOrigins, offlineAfterMs: cfg.deviceOfflineSec * 1000,
    dedupWindowMs: cfg.alertDedupMin * 60_000, surge: cfg.surge, ...cfg.triage, log: area(log, 'alerts'), regions,
    now: o.now, personSecret: await loadPersonSecret(rdb, fp.personKey), emit: (a) => live.alert(a),
    emitFollowUp: (f) => live.emitToRooms(['command', `village:${f.villageCode}`], 'follow-up', f),
    emitSummary: (sum) => live.emitToRooms(['command'], 'alerts:summary', sum),
  });
  const features = new CheckpointFeatures({ rdb, regions, recentRows: (since) => recentArrivalsSince(rdb, since), dataDir: cfg.dataDir, influxUrl: cfg.influxUrl, influxDb: cfg.influxDb, feverC: cfg.feverThresholdC, clustered: Boolean(cluster), alerts, log: area(log, 'features'), now: o.now, tuning: { ...featureTuning(cfg), ...o.tuning } });

  const live = new Live({ log: area(log, 'live'), sessions, counts: async () => {
      // From memory when the recent counts are up (no InfluxDB query per second under load).
      return countsToday();
    }, adapter: cluster?.adapter });
  const aidCfg = o.aidConfig ?? cfg;
  const aidInflux = new AidInflux(cfg.influxUrl, cfg.influxDb, area(log, 'aid'));
  // Handouts, alarms and audit in the database of record; doubles decided in the handout's transaction (aid/aid-store.ts).
  const aid = new Aid({
    rdb,
    instanceId: cfg.mqttClientId,
    dataDir: cfg.dataDir,
    regions,
    secret: aidCfg.aidHmacSecret,
    emit: (event, alarm, rooms) => live.emitToRooms(rooms, event, alarm),
    stored: (hs) => aidInflux.add(hs),
  });
  const puskesmas = new PuskesmasReports({
    store: new ReportStore(cfg.influxUrl, cfg.influxDb),
    rdb,
    log: area(log, 'puskesmas'),
    deadlineHour: aidCfg.puskesmasDeadlineHour,
    emitMissing: (m) => live.emitToRooms(['command'], 'puskesmas:missing', m),
  });
  const featureMqtt = new FeatureMqtt(
    { url: cfg.mqttUrl, failoverUrls: cfg.mqttUrls.slice(1), clientId: `${cfg.mqttClientId}-features`, username: cfg.mqttUsername, password: cfg.mqttPassword },
    { [AID_SUBSCRIPTION]: aidDeviceHandler(aid, regions, cluster && { instanceId: cfg.mqttClientId }), [PUSKESMAS_SUBSCRIPTION]: puskesmasDeviceHandler(puskesmas, area(log, 'puskesmas')) },
    area(log, 'aid-mqtt'),
  );
  // The ETA counts from the scan's (bounded) time: a backlog drained hours later is not expected later.
  const etaOf = makeEtaFor(loadTravelTimes(fp.travelTimes));
  const eta = (scan: Scan) => etaOf(scan, Date.parse(scan.scannedAt));
  const announce = (scan: Scan, eventId: number): ArrivalEvent => {
    const event = toArrivalEvent(scan, eventId, isoAt(Date.now()), regions, cfg.feverThresholdC);
    live.arrival(event);
    features.onArrival(event);
    return event;
  };
  const ingest = new Ingest(
    { url: cfg.mqttUrl, failoverUrls: cfg.mqttUrls.slice(1), username: cfg.mqttUsername, password: cfg.mqttPassword, clientId: cfg.mqttClientId, maxPending: cfg.ingestMaxPending, scanFilters: cluster && (() => cluster.scanFilters()) },
    {
      log: area(log, 'ingest'),
      deadLetters,
      writer: () => writer,
      onStatus: (s) => {
        if (!devices.update(s)) return;
        if (cluster && !cluster.ownsStatus(s)) return; // the checkpoint's lease holder announces it
        live.deviceStatus(s);
        alerts.onStatus(s);
      },
    },
  );
  const writer = new ScanWriter({
    rdb,
    feverC: cfg.feverThresholdC,
    eta,
    store,
    spool,
    rejected,
    log: area(log, 'writer'),
    maxPoints: cfg.batchMaxPoints,
    maxMs: cfg.batchMaxMs,
    concurrency: cfg.influxWriteConcurrency,
    ack: (cp, dev, ranges) => ingest.publishAck(cp, dev, ranges),
    // Only the scans the database took as new are announced: a redelivery never makes a second event.
    onInserted: (scans) => {
      for (const scan of scans) {
        // Alone: no closure per scan (one showed in the e2e profile); cluster mode decides the event id itself.
        if (cluster) cluster.announce(live, scan, (eventId) => announce(scan, eventId));
        else announce(scan, live.nextEventId());
      }
      live.countsChanged();
      features.onStored(scans);
      // The batch's new scans triaged in one transaction (follow-ups and alerts); in cluster mode too,
      // not per announced scan: the database decided these rows are new. A failure is covered by the sweep.
      alerts.onScans(scans).catch(() => {});
    },
    // A write just succeeded: InfluxDB is up now, not at the next 2-second ping (health read 503 after a drain).
    onPointsStored: () => (influxUp = true),
    onDbState: (up) => (dbUp = up),
  });

  const stats = (): IngestStats => ({
    received: ingest.received,
    stored: writer.counters.stored,
    deadLettered: deadLetters.total,
    spooled: spool.depth,
    dropped: writer.counters.dropped,
    pending: writer.pending,
    duplicates: writer.counters.duplicates,
    clockClamped: ingest.clockClamped,
  });

  // Storage first (so nothing is read from MQTT before we can keep it), then live, then MQTT.
  spool.start();
  rejected.start();
  try {
    await store.start();
    influxUp = true;
  } catch (e) {
    log.warn({ err: (e as Error).message }, 'InfluxDB not reachable at start; spooling until it is');
  }
  // The upgrade from the journal-keeping versions: their records into the database, once (issue 15).
  // Before the spool drains and before MQTT: the point import rewrites whole days of InfluxDB.
  const legacy = await runLegacyImports(rdb, cfg.dataDir, [
    ...(influxUp && store instanceof InfluxScanStore ? [legacyPointsImporter({ store, feverC: cfg.feverThresholdC, eta, log: (day, n) => log.info({ day, scans: n }, 'legacy points imported') })] : []),
    // Per instance: in cluster mode each server imports the aid journal its own DATA_DIR holds.
    aidLegacyImporterFor(cfg.mqttClientId),
    ...LEGACY_IMPORTERS,
    // Alerts, quarantine, then the arrival states (onto the scan rows the points importer brought in).
    ...ALERTS_LEGACY_IMPORTERS,
  ]);
  if (Object.keys(legacy.imported).length > 0) log.info(legacy.imported, 'legacy records imported into the database');
  for (const f of legacy.failed) log.warn({ err: f }, 'legacy import not done yet; tried again at the next start');
  writer.start();
  // The aid HMAC secret must be the one the database's keys were made with (else refuse to start).
  await aid.start();
  aidInflux.start();
  await puskesmas.start();
  retention.start();
  // Cluster mode: alert ids from our own block, so ack/clear by id means the same alert on every instance.
  await alerts.start();
  await features.start();
  if (influxUp) await features.startRollups();
  const influxPoll = setInterval(() => {
    store.ping().then(async (up) => {
      // Create the database now if InfluxDB was down when we started.
      if (up && !influxUp) await store.start().then(() => features.startRollups(), () => {});
      influxUp = up;
    }, () => (influxUp = false));
  }, 2000);

  /** Today's arrivals per checkpoint: the exact in-memory counts when they are up, else an InfluxDB query. */
  function countsToday() {
    const mem = features.rollups.todayByCheckpoint();
    if (mem) return Promise.resolve(CHECKPOINT_IDS.map((checkpointId) => ({ checkpointId, today: mem.get(checkpointId) ?? 0 })));
    return countsByCheckpoint(rdb, new Date(`${todayWib(o.now?.() ?? new Date())}T00:00:00+07:00`).toISOString()).then((m) =>
      CHECKPOINT_IDS.map((checkpointId) => ({ checkpointId, today: m.get(checkpointId) ?? 0 })),
    );
  }

  const registry = createMetrics({
    ingest: stats,
    deadLettersByReason: () => deadLetters.byReason,
    mqttUp: () => ingest.mqttUp,
    influxUp: () => influxUp && writer.storeUp,
    liveClients: () => live.clients,
    devicesOnline: () => devices.online(),
  });

  const arrivals = arrivalHistory({ rdb, live, regions, feverC: cfg.feverThresholdC });

  const app = createApp({
    log: area(log, 'http'),
    users: new UserDirectory(rdb),
    sessions,
    throttle: new LoginThrottle(),
    cookieSecure: cfg.cookieSecure,
    consoleDir: cfg.consoleDir,
    regions,
    health: async () => {
      const up = influxUp && writer.storeUp;
      dbUp = await rdb.ping();
      return {
        status: ingest.mqttUp && up && dbUp && spool.depth === 0 ? 'ok' : 'degraded',
        uptimeSec: Math.round((Date.now() - startedAt) / 1000),
        version: VERSION,
        components: {
          mqtt: { state: ingest.mqttUp ? 'up' : 'down' },
          database: { state: dbUp ? 'up' : 'down', engine: rdb.engine },
          influx: { state: up ? 'up' : 'down' },
          spool: { state: spool.depth > 0 ? 'draining' : 'empty', depth: spool.depth },
          live: { state: 'up', clients: live.clients },
          ingest: { ...stats(), deadLettersByReason: Object.fromEntries(deadLetters.byReason), deadLettersNotRecorded: deadLetters.notRecorded },
          puskesmas: { pendingReports: dbUp ? await puskesmas.pending().catch(() => null) : null },
        },
      };
    },
    metrics: () => registry.metrics(),
    arrivals,
    countsToday: async () => {
      try {
        return await countsToday();
      } catch {
        throw new ApiError('unavailable', 'hitungan hari ini sedang tidak tersedia (basis data tidak terjangkau)');
      }
    },
    devices: () => devices.list(),
    storedScanIds: async (from, to) => {
      try {
        return await storedScanIds(rdb, new Date(from).toISOString(), new Date(to).toISOString());
      } catch {
        throw new ApiError('unavailable', 'basis data tidak terjangkau');
      }
    },
    deadLetters: (limit) => deadLetters.list(limit),
    alerts,
    features: [...features.routes(), aidRoutes(aid, regions), puskesmasRoutes(puskesmas)],
  });

  const http = await new Promise<HttpServer>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: cfg.httpPort, hostname: cfg.host }, () => resolve(s as HttpServer));
    (s as HttpServer).once('error', reject);
  });
  live.start(http);
  if (cluster) {
    cluster.attach(live);
    await cluster.start(); // leases first: the ingest subscribes to the checkpoints it holds
  }
  await ingest.start();
  await featureMqtt.start();
  const timeBeacon = new TimeBeacon({ url: cfg.mqttUrl, failoverUrls: cfg.mqttUrls.slice(1), clientId: `${cfg.mqttClientId}-time`, username: cfg.mqttUsername, password: cfg.mqttPassword, now: o.now && (() => o.now!().getTime()) }, area(log, 'time'));
  timeBeacon.start(); // the clock devices without an RTC take their time from (issue 17)
  const httpPort = (http.address() as AddressInfo).port;
  const url = `http://${cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host}:${httpPort}`;
  log.info({ url, mqtt: cfg.mqttUrl }, 'server started');

  let closing: Promise<void> | undefined;
  return {
    url,
    httpPort,
    stats,
    close: () =>
      (closing ??= (async () => {
        clearInterval(influxPoll);
        await cluster?.stop(); // hand our checkpoints to the other instances at once
        await puskesmas.stop(); // a pending report write finishes (or stays pending in the database)
        await retention.stop();
        await featureMqtt.stop();
        await timeBeacon.stop();
        await aid.stop(); // handouts being committed finish (their copies then go to InfluxDB)
        await aidInflux.stop();
        await features.stop();
        await alerts.stop();
        ingest.pause(); // take no new scans; the broker keeps them for our session
        await writer.stop(); // flush queued scans; their acks go out
        await ingest.stop();
        await deadLetters.stop(); // the last buffered dead letters go to the database
        await spool.stop();
        await rejected.stop();
        await live.stop();
        await new Promise<void>((r) => {
          http.close(() => r());
          http.closeAllConnections?.();
        });
        await store.stop();
        await cluster?.close();
        await rdb.close();
        log.info('server stopped');
      })()),
  };
}
