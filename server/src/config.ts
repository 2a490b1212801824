/**
 * The server's configuration: read from the environment once, validated, every error listed at once,
 * frozen. Nothing else in server/ reads `process.env`.
 */
import { z } from 'zod';
import { ALERT_RULES, type AlertRule } from '@sk/protocol';

const csv = z
  .string()
  .default('')
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

const EnvSchema = z.object({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** One broker URL, or several (comma-separated) of one broker cluster: tried in turn on a lost connection. */
  MQTT_URL: z.string().regex(/^(mqtts?|wss?|tcp):\/\/[^,\s]+(,\s*(mqtts?|wss?|tcp):\/\/[^,\s]+)*$/, 'must be an mqtt://, mqtts://, ws:// or wss:// URL, or a comma list of them').default('mqtt://127.0.0.1:1883'),
  /** Cluster mode (issue 9): checkpoint leases, sessions, live channel and cluster-wide dedup in Redis. */
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
  /** The database of record on PostgreSQL (cluster mode: every server of the cluster shares it); unset = SQLite in DATA_DIR/server/records.sqlite. */
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  /**
   * Days a traveller's personal data (NIK, name, birth date, address) is kept after the scan: 28 =
   * two 14-day incubation/quarantine periods, long enough for contact tracing of a case found at the
   * end of a quarantine, then the purge clears those columns; the non-personal series stay.
   */
  PII_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(28),
  /** SQLite: insert scans on a worker thread with its own connection (the main thread keeps reading MQTT). */
  SQLITE_INSERT_THREAD: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  MQTT_USERNAME: z.string().min(1).optional(),
  MQTT_PASSWORD: z.string().min(1).optional(),
  /** Stable so the broker keeps our persistent session (clean:false) across restarts. */
  MQTT_CLIENT_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('sk-server'),
  INFLUX_URL: z.url({ protocol: /^https?$/, error: 'required: the InfluxDB 1.x URL, e.g. http://127.0.0.1:8086' }),
  /** InfluxDB 2.x/3.x for scans (issue 9): all three, or none for InfluxDB 1.x. */
  INFLUX_TOKEN: z.string().min(1).optional(),
  INFLUX_ORG: z.string().min(1).optional(),
  INFLUX_BUCKET: z.string().min(1).optional(),
  INFLUX_DB: z.string().regex(/^[A-Za-z0-9_]{1,64}$/).default('smart_kampung'),
  /** How long arrivals are kept (InfluxDB retention policy duration). */
  INFLUX_RETENTION: z.string().regex(/^(\d+[hdw]|INF)$/).default('400d'),
  DATA_DIR: z.string().min(1).default('./data'),
  CONSOLE_DIR: z.string().min(1).default('console/dist'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  FEVER_THRESHOLD_C: z.coerce.number().min(35).max(42).default(37.5),
  /** Province or regency codes (e.g. `51`, `35.09`) whose travellers raise an origin alert. */
  WATCH_ORIGINS: csv,
  DEVICE_OFFLINE_SEC: z.coerce.number().int().min(5).max(86_400).default(90),
  COOKIE_SECURE: z.enum(['true', 'false']).default('false').transform((s) => s === 'true'),
  BATCH_MAX_POINTS: z.coerce.number().int().min(1).max(5000).default(5000),
  /** A batch commits after this long at the latest: a scan is announced when its batch commits, so at low rates this is most of the scan → console latency (docs/benchmarks.md finding 27). */
  BATCH_MAX_MS: z.coerce.number().int().min(1).max(1000).default(15),
  /** Scans accepted but not yet durable before the ingest stops reading (backpressure); default 3 batches. */
  INGEST_MAX_PENDING: z.coerce.number().int().min(1).max(100_000).optional(),
  /** Batches written to InfluxDB at the same time (acks and spooling stay in batch order). */
  INFLUX_WRITE_CONCURRENCY: z.coerce.number().int().min(1).max(8).default(2),
  /** The double-aid index's HMAC secret (issue 6); unset = a random one kept in DATA_DIR/server/aid/secret (0600). */
  AID_HMAC_SECRET: z.string().min(16, 'at least 16 characters').optional(),
  /** Hour (WIB, 0–23) by which every puskesmas must have sent today's report. */
  PUSKESMAS_DEADLINE_HOUR: z.coerce.number().int().min(0).max(23).default(14),
  /** An expected arrival not marked arrived this long after its ETA raises an `arrival_overdue` alert. */
  ARRIVAL_OVERDUE_MIN: z.coerce.number().int().min(1).max(7 * 24 * 60).default(120),
  /** How often expected arrivals are checked for overdue ones. */
  OVERDUE_CHECK_SEC: z.coerce.number().int().min(1).max(3600).default(10),
  /** A repeat of an open alert (same subject and rule) within this window folds into it (count + 1). */
  ALERT_DEDUP_MIN: z.coerce.number().int().min(1).max(7 * 24 * 60).default(360),
  /** Surge rule: arrivals in the last SURGE_WINDOW_MIN ≥ SURGE_FACTOR × the average window of the SURGE_BASELINE_MIN before, and ≥ SURGE_MIN_COUNT. */
  SURGE_WINDOW_MIN: z.coerce.number().int().min(1).max(240).default(10),
  SURGE_BASELINE_MIN: z.coerce.number().int().min(1).max(24 * 60).default(60),
  SURGE_FACTOR: z.coerce.number().min(1).max(100).default(3),
  SURGE_MIN_COUNT: z.coerce.number().int().min(1).max(1_000_000).default(50),
  /** Default quarantine length when the officer gives none. */
  QUARANTINE_DAYS: z.coerce.number().int().min(1).max(60).default(14),
  /** Alert triage (issue 17): symptoms without fever, and a watched origin, are `follow_up` (village + puskesmas list), `alert`, or `off`. */
  TRIAGE_SYMPTOMS: z.enum(['follow_up', 'alert', 'off']).default('follow_up'),
  TRIAGE_WATCH_ORIGIN: z.enum(['follow_up', 'alert', 'off']).default('follow_up'),
  /** Alert rules the command centre answers itself; every other alert is answered by its village (the command centre sees it counted). */
  ALERT_COMMAND_RULES: z
    .string()
    .default('device_offline,device_backlog,arrival_surge,quarantine_full,follow_up_overdue')
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.enum(ALERT_RULES, { error: (i) => `unknown alert rule ${JSON.stringify(i.input)} (known: ${ALERT_RULES.join(', ')})` }))),
  /** Minutes to first contact of a fever or positive traveller's follow-up, and of the others'; past it, still `baru` = overdue. */
  FOLLOW_UP_URGENT_MIN: z.coerce.number().int().min(1).max(7 * 24 * 60).default(120),
  FOLLOW_UP_DUE_MIN: z.coerce.number().int().min(1).max(14 * 24 * 60).default(1440),
});

export interface ServerConfig {
  readonly httpPort: number;
  readonly host: string;
  /** The first broker URL (every MQTT client of the server starts there). */
  readonly mqttUrl: string;
  /** Every broker URL given in MQTT_URL; the ingest and the feature client fail over between them. */
  readonly mqttUrls: readonly string[];
  readonly redisUrl?: string;
  readonly databaseUrl?: string;
  readonly piiRetentionDays: number;
  readonly sqliteInsertThread: boolean;
  /** Set when scans go to InfluxDB 2.x/3.x (v2 API) instead of 1.x. */
  readonly influx2?: { readonly token: string; readonly org: string; readonly bucket: string };
  readonly mqttUsername?: string;
  readonly mqttPassword?: string;
  readonly mqttClientId: string;
  readonly influxUrl: string;
  readonly influxDb: string;
  readonly influxRetention: string;
  readonly dataDir: string;
  readonly consoleDir: string;
  readonly logLevel: string;
  readonly feverThresholdC: number;
  readonly watchOrigins: readonly string[];
  readonly deviceOfflineSec: number;
  readonly cookieSecure: boolean;
  readonly batchMaxPoints: number;
  readonly batchMaxMs: number;
  readonly ingestMaxPending: number;
  readonly influxWriteConcurrency: number;
  readonly aidHmacSecret?: string;
  readonly puskesmasDeadlineHour: number;
  /** Alert and feature windows (issue 5); tests may still override them with `ServerOverrides.tuning`. */
  readonly arrivalOverdueMin: number;
  readonly overdueCheckSec: number;
  readonly alertDedupMin: number;
  readonly surge: { readonly windowMin: number; readonly baselineMin: number; readonly factor: number; readonly minCount: number };
  readonly quarantineDays: number;
  /** Alert triage (issue 17), see TRIAGE_*, ALERT_COMMAND_RULES, FOLLOW_UP_*. */
  readonly triage: {
    readonly symptoms: 'follow_up' | 'alert' | 'off';
    readonly watchOrigin: 'follow_up' | 'alert' | 'off';
    readonly commandRules: readonly AlertRule[];
    readonly followUpUrgentMin: number;
    readonly followUpDueMin: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

/** `loadConfig({ INFLUX_URL: 'http://127.0.0.1:8086' }).httpPort` → 8080. Throws {@link ConfigError} listing every problem. */
export function loadConfig(env: Record<string, string | undefined>): ServerConfig {
  // Empty strings mean "unset" (a blank line in an env file must not override a default).
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(clean);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  if ((e.MQTT_USERNAME === undefined) !== (e.MQTT_PASSWORD === undefined)) {
    problems.push('MQTT_USERNAME and MQTT_PASSWORD: give both or neither');
  }
  const v2 = [e.INFLUX_TOKEN, e.INFLUX_ORG, e.INFLUX_BUCKET];
  if (v2.some((x) => x !== undefined) && !v2.every((x) => x !== undefined)) problems.push('INFLUX_TOKEN, INFLUX_ORG and INFLUX_BUCKET: give all three (InfluxDB 2.x/3.x) or none (1.x)');
  if (problems.length) throw new ConfigError(problems);
  return Object.freeze({
    httpPort: e.HTTP_PORT,
    host: e.HOST,
    mqttUrl: e.MQTT_URL.split(',')[0]!.trim(),
    mqttUrls: Object.freeze(e.MQTT_URL.split(',').map((u) => u.trim())),
    redisUrl: e.REDIS_URL,
    databaseUrl: e.DATABASE_URL,
    piiRetentionDays: e.PII_RETENTION_DAYS,
    sqliteInsertThread: e.SQLITE_INSERT_THREAD,
    influx2: e.INFLUX_TOKEN && e.INFLUX_ORG && e.INFLUX_BUCKET ? Object.freeze({ token: e.INFLUX_TOKEN, org: e.INFLUX_ORG, bucket: e.INFLUX_BUCKET }) : undefined,
    mqttUsername: e.MQTT_USERNAME,
    mqttPassword: e.MQTT_PASSWORD,
    mqttClientId: e.MQTT_CLIENT_ID,
    influxUrl: e.INFLUX_URL.replace(/\/+$/, ''),
    influxDb: e.INFLUX_DB,
    influxRetention: e.INFLUX_RETENTION,
    dataDir: e.DATA_DIR,
    consoleDir: e.CONSOLE_DIR,
    logLevel: e.LOG_LEVEL,
    feverThresholdC: e.FEVER_THRESHOLD_C,
    watchOrigins: Object.freeze(e.WATCH_ORIGINS),
    deviceOfflineSec: e.DEVICE_OFFLINE_SEC,
    cookieSecure: e.COOKIE_SECURE,
    batchMaxPoints: e.BATCH_MAX_POINTS,
    batchMaxMs: e.BATCH_MAX_MS,
    ingestMaxPending: e.INGEST_MAX_PENDING ?? e.BATCH_MAX_POINTS * 3,
    influxWriteConcurrency: e.INFLUX_WRITE_CONCURRENCY,
    aidHmacSecret: e.AID_HMAC_SECRET,
    puskesmasDeadlineHour: e.PUSKESMAS_DEADLINE_HOUR,
    arrivalOverdueMin: e.ARRIVAL_OVERDUE_MIN,
    overdueCheckSec: e.OVERDUE_CHECK_SEC,
    alertDedupMin: e.ALERT_DEDUP_MIN,
    surge: Object.freeze({ windowMin: e.SURGE_WINDOW_MIN, baselineMin: e.SURGE_BASELINE_MIN, factor: e.SURGE_FACTOR, minCount: e.SURGE_MIN_COUNT }),
    quarantineDays: e.QUARANTINE_DAYS,
    triage: Object.freeze({
      symptoms: e.TRIAGE_SYMPTOMS, watchOrigin: e.TRIAGE_WATCH_ORIGIN, commandRules: Object.freeze(e.ALERT_COMMAND_RULES),
      followUpUrgentMin: e.FOLLOW_UP_URGENT_MIN, followUpDueMin: e.FOLLOW_UP_DUE_MIN,
    }),
  });
}

export interface RecordsConfig {
  readonly dataDir: string;
  readonly databaseUrl?: string;
  readonly piiRetentionDays: number;
  /** For `person erase`: the aid keys are HMACs with it (else DATA_DIR/server/aid/secret). */
  readonly aidHmacSecret?: string;
}

/**
 * What the operating commands (user, backup, restore, purge, person erase) need: where the database of
 * record is, found exactly as the server finds it (DATABASE_URL, else DATA_DIR/server/records.sqlite).
 * Throws {@link ConfigError} listing every problem.
 */
export function loadRecordsConfig(env: Record<string, string | undefined>): RecordsConfig {
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.pick({ DATA_DIR: true, DATABASE_URL: true, PII_RETENTION_DAYS: true, AID_HMAC_SECRET: true }).safeParse(clean);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  const e = parsed.data;
  return Object.freeze({ dataDir: e.DATA_DIR, databaseUrl: e.DATABASE_URL, piiRetentionDays: e.PII_RETENTION_DAYS, aidHmacSecret: e.AID_HMAC_SECRET });
}
