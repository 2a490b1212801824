/**
 * sk-server CLI.
 *   tsx server/src/cli.ts [serve]                      start the server (config from the environment)
 *   tsx server/src/cli.ts user add <username> --role command|village|checkpoint [--village CODE] [--checkpoint ID] [--password PW] [--name "Display Name"]
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, loadDataDir } from './config.ts';
import { addUser, type Role } from './auth/users.ts';
import { serverPaths, startServer } from './server.ts';

const HELP = `Smart Kampung Checkpoint — server

Usage:
  sk-server [serve]            Start the server (HTTP API, socket.io, MQTT ingest, InfluxDB writer)
  sk-server user add <username> --role command|village|checkpoint
                               [--village 35.10.21.2001] [--checkpoint ketapang]
                               [--password PW] [--name "Display Name"]
                               Add or replace a staff account; prints a generated password once
  sk-server --help

Environment (serve):
  HTTP_PORT (8080)  HOST (127.0.0.1)  MQTT_URL (mqtt://127.0.0.1:1883)  MQTT_USERNAME / MQTT_PASSWORD
  MQTT_CLIENT_ID (sk-server)  INFLUX_URL (required)  INFLUX_DB (smart_kampung)  INFLUX_RETENTION (400d)
  DATA_DIR (./data)  CONSOLE_DIR (console/dist)  LOG_LEVEL (info)  FEVER_THRESHOLD_C (37.5)
  WATCH_ORIGINS (comma list of province/regency codes)  DEVICE_OFFLINE_SEC (90)  COOKIE_SECURE (false)
  BATCH_MAX_POINTS (5000)  BATCH_MAX_MS (50)  INGEST_MAX_PENDING (3 batches)
  INFLUX_WRITE_CONCURRENCY (2)
  PUSKESMAS_DEADLINE_HOUR (14)  AID_HMAC_SECRET (random, kept in DATA_DIR)
  Alerts and windows: ARRIVAL_OVERDUE_MIN (120: not arrived this long after the ETA → alert)
  OVERDUE_CHECK_SEC (10)  ALERT_DEDUP_MIN (360: repeats within it fold into the open alert)
  SURGE_WINDOW_MIN (10)  SURGE_BASELINE_MIN (60)  SURGE_FACTOR (3)  SURGE_MIN_COUNT (50)
  QUARANTINE_DAYS (14: default quarantine length)
  Cluster (docs/scaling.md): MQTT_URL may list several brokers (comma-separated, failover);
  REDIS_URL turns on cluster mode (checkpoint leases, shared sessions and live channel; give each
  instance its own MQTT_CLIENT_ID and DATA_DIR). INFLUX_TOKEN + INFLUX_ORG + INFLUX_BUCKET: store
  scans in InfluxDB 2.x/3.x at INFLUX_URL instead of 1.x.
Environment (user add): DATA_DIR — the users file is DATA_DIR/server/users.json
`;

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  const [cmd = 'serve', ...rest] = argv;
  if (cmd === 'serve') return serve();
  if (cmd === 'user' && rest[0] === 'add') return userAdd(rest.slice(1));
  process.stderr.write(`unknown command: ${argv.join(' ')}\n\n${HELP}`);
  return 2;
}

async function serve(): Promise<number> {
  let cfg;
  try {
    cfg = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const server = await startServer(cfg);
  process.stdout.write(`sk-server listening on ${server.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}

async function userAdd(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        role: { type: 'string' },
        village: { type: 'string' },
        checkpoint: { type: 'string' },
        password: { type: 'string' },
        name: { type: 'string' },
      },
    });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const username = positionals[0];
  const role = values.role;
  if (!username || positionals.length !== 1 || (role !== 'command' && role !== 'village' && role !== 'checkpoint')) {
    process.stderr.write('usage: sk-server user add <username> --role command|village|checkpoint [--village CODE] [--checkpoint ID] [--password PW]\n');
    return 2;
  }
  const file = serverPaths(loadDataDir(process.env)).users;
  try {
    const { user, password } = await addUser(file, {
      username,
      role: role as Role,
      villageCode: values.village,
      checkpointId: values.checkpoint,
      password: values.password,
      displayName: values.name,
    });
    process.stdout.write(`user ${user.username} (${user.role}) saved in ${file}\n`);
    if (!values.password) process.stdout.write(`password (shown once): ${password}\n`);
    return 0;
  } catch (e) {
    const msg = e instanceof Error && 'issues' in e ? 'username: 3–32 of a-z 0-9 . _ -' : (e as Error).message;
    process.stderr.write(`error: ${msg}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`fatal: ${e.message}\n`);
    process.exit(1);
  },
);
