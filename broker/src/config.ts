/**
 * The broker's configuration, read once from the environment. Every problem is reported together.
 *
 *   MQTT_HOST      default 127.0.0.1 (0.0.0.0 to serve the checkpoints' network)
 *   MQTT_PORT      default 1883
 *   MQTT_WS_PORT   default 8083 ("off" disables MQTT over WebSocket)
 *   DATA_DIR       default ./data → $DATA_DIR/broker/credentials.json and $DATA_DIR/broker/db
 *   TLS_CERT_FILE, TLS_KEY_FILE   both or neither: mqtts + wss
 *   LOG_LEVEL      default info
 *   REDIS_URL      cluster mode (redis:// or rediss://); unset = single node
 *   BROKER_METRICS_PORT  Prometheus /metrics over HTTP on this port; default off
 *   BROKER_CONNECT_BURST, BROKER_CONNECT_PER_SEC  connection attempts per client IP (default 30 at once, 2/s after)
 */
import { join, resolve } from 'node:path';

export interface BrokerConfig {
  host: string;
  mqttPort: number;
  wsPort: number | undefined;
  dataDir: string;
  credentialsFile: string;
  persistenceDir: string;
  tls: { certFile: string; keyFile: string } | undefined;
  logLevel: string;
  redisUrl: string | undefined;
  /** Prometheus text at http://{host}:{port}/metrics; undefined = off. */
  metricsPort: number | undefined;
  /** Connection attempts per client IP: a burst, then a sustained rate (connect-rate.ts). */
  connectRate: { burst: number; perSecond: number };
}

export type ConfigResult = { ok: true; config: Readonly<BrokerConfig> } | { ok: false; errors: string[] };

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function positive(name: string, raw: string | undefined, fallback: number, errors: string[]): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || n > 100_000) errors.push(`${name} must be a number above 0 (at most 100000), got ${JSON.stringify(raw)}`);
  return n;
}

function port(name: string, raw: string | undefined, fallback: number, errors: string[]): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) errors.push(`${name} must be a port number 0-65535, got ${JSON.stringify(raw)}`);
  return n;
}

/** Paths only (credentials file location) for the admin commands, which need no ports. */
export function dataPaths(env: NodeJS.ProcessEnv): { credentialsFile: string; persistenceDir: string; dataDir: string } {
  const dataDir = resolve(env.DATA_DIR || './data');
  return { dataDir, credentialsFile: join(dataDir, 'broker', 'credentials.json'), persistenceDir: join(dataDir, 'broker', 'db') };
}

export function readConfig(env: NodeJS.ProcessEnv): ConfigResult {
  const errors: string[] = [];
  const mqttPort = port('MQTT_PORT', env.MQTT_PORT, 1883, errors);
  const wsOff = env.MQTT_WS_PORT === 'off';
  const wsPort = wsOff ? undefined : port('MQTT_WS_PORT', env.MQTT_WS_PORT, 8083, errors);
  const cert = env.TLS_CERT_FILE;
  const key = env.TLS_KEY_FILE;
  if (Boolean(cert) !== Boolean(key)) errors.push('TLS_CERT_FILE and TLS_KEY_FILE must be given together');
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LEVELS.includes(logLevel)) errors.push(`LOG_LEVEL must be one of ${LEVELS.join(', ')}`);
  const redisUrl = env.REDIS_URL || undefined;
  const metricsPort = !env.BROKER_METRICS_PORT || env.BROKER_METRICS_PORT === 'off' ? undefined : port('BROKER_METRICS_PORT', env.BROKER_METRICS_PORT, 9883, errors);
  const connectRate = { burst: positive('BROKER_CONNECT_BURST', env.BROKER_CONNECT_BURST, 30, errors), perSecond: positive('BROKER_CONNECT_PER_SEC', env.BROKER_CONNECT_PER_SEC, 2, errors) };
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) errors.push(`REDIS_URL must start with redis:// or rediss://, got ${JSON.stringify(redisUrl)}`);
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    config: Object.freeze({
      host: env.MQTT_HOST || '127.0.0.1',
      mqttPort,
      wsPort,
      ...dataPaths(env),
      tls: cert && key ? { certFile: resolve(cert), keyFile: resolve(key) } : undefined,
      logLevel,
      redisUrl,
      metricsPort,
      connectRate,
    }),
  };
}
