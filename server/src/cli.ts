/**
 * sk-server CLI: the server, and the operating commands on its database of record. Every command
 * finds the database as the server does (DATABASE_URL, else DATA_DIR/server/records.sqlite), so it
 * may run while the server runs. Exit codes: 0 done, 1 failed (the reason on stderr), 2 usage error.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { validateNik } from '@sk/protocol/nik';
import { ConfigError, loadConfig, loadRecordsConfig, type RecordsConfig } from './config.ts';
import { addUser, listUsers, removeUser, type Role } from './auth/users.ts';
import { startServer } from './server.ts';
import { backup, OpsError, restore } from './ops/backup.ts';
import { eraseAidPersonData, erasePerson, purgePersonalData } from './ops/personal-data.ts';
import { openRecords, recordsFile } from './ops/records-location.ts';
import { redactUrl } from './db/database.ts';

const WHERE = `The database: DATABASE_URL (PostgreSQL) if set, else DATA_DIR/server/records.sqlite (DATA_DIR default ./data).`;

const HELP = `Smart Kampung Checkpoint — server

Usage:
  sk-server [serve]              Start the server (HTTP API, socket.io, MQTT ingest, InfluxDB writer)
  sk-server user add <username> --role command|village|checkpoint
                                 [--village 35.10.21.2003] [--checkpoint ketapang]
                                 [--password PW] [--name "Display Name"]
                                 Add or replace a staff account; prints a generated password once
  sk-server user list            List staff accounts (never a password or hash)
  sk-server user remove <username>
                                 Remove an account and end its sessions
  sk-server backup <file>        Online, consistent backup of the database of record
  sk-server restore <file>       Restore a backup into a fresh DATA_DIR (or an empty PostgreSQL database)
  sk-server purge                Clear personal data of scans older than PII_RETENTION_DAYS (the server does it hourly)
  sk-server person erase <NIK>   Clear one person's personal data from the database
  sk-server <command> --help     Details of one command

${WHERE}

Environment (serve):
  HTTP_PORT (8080)  HOST (127.0.0.1)  MQTT_URL (mqtt://127.0.0.1:1883)  MQTT_USERNAME / MQTT_PASSWORD
  MQTT_CLIENT_ID (sk-server)  INFLUX_URL (required)  INFLUX_DB (smart_kampung)  INFLUX_RETENTION (400d)
  DATA_DIR (./data)  DATABASE_URL (unset: SQLite)  PII_RETENTION_DAYS (28)
  CONSOLE_DIR (console/dist)  LOG_LEVEL (info)  FEVER_THRESHOLD_C (37.5)
  WATCH_ORIGINS (comma list of province/regency codes)  DEVICE_OFFLINE_SEC (90)  COOKIE_SECURE (false)
  BATCH_MAX_POINTS (5000)  BATCH_MAX_MS (50)  INGEST_MAX_PENDING (3 batches)
  INFLUX_WRITE_CONCURRENCY (2)
  PUSKESMAS_DEADLINE_HOUR (14)  AID_HMAC_SECRET (random, kept in DATA_DIR)
  Alerts and windows: ARRIVAL_OVERDUE_MIN (120: not arrived this long after the ETA → alert)
  OVERDUE_CHECK_SEC (10)  ALERT_DEDUP_MIN (360: repeats within it fold into the open alert)
  SURGE_WINDOW_MIN (10)  SURGE_BASELINE_MIN (60)  SURGE_FACTOR (3)  SURGE_MIN_COUNT (50)
  QUARANTINE_DAYS (14: default quarantine length)
  Cluster (docs/scaling.md): MQTT_URL may list several brokers (comma-separated, failover);
  DATABASE_URL: every instance shares one PostgreSQL; REDIS_URL turns on cluster mode (checkpoint
  leases and the live channel; give each instance its own MQTT_CLIENT_ID and DATA_DIR).
  INFLUX_TOKEN + INFLUX_ORG + INFLUX_BUCKET: store scans in InfluxDB 2.x/3.x at INFLUX_URL instead of 1.x.
`;

const COMMAND_HELP: Record<string, string> = {
  'user add': `sk-server user add <username> --role command|village|checkpoint [--village CODE] [--checkpoint ID] [--password PW] [--name "Display Name"]

Adds a staff account, or replaces one of the same name. Without --password a readable password is
generated and printed once; only its scrypt hash is stored. A village officer needs --village (a
Banyuwangi village code), a checkpoint supervisor --checkpoint. In cluster mode the account signs in
on every instance at once. ${WHERE}
`,
  'user list': `sk-server user list\n\nLists the staff accounts: username, role, village or checkpoint. ${WHERE}\n`,
  'user remove': `sk-server user remove <username>\n\nRemoves the account and ends its sessions at once. ${WHERE}\n`,
  backup: `sk-server backup <file>

Writes an online, consistent backup while the server runs: SQLite through its online backup API (one
read snapshot), PostgreSQL through pg_dump --format=custom (its credentials are passed in the
environment, never on the command line). Never overwrites a file. The backup holds personal data:
keep it as you keep the server (encrypted, access-controlled). ${WHERE}
`,
  restore: `sk-server restore <file>

Restores a backup made by \`backup\` into a fresh DATA_DIR (refused when it is not empty), or, for a
PostgreSQL backup, into the empty database at DATABASE_URL. An older backup is migrated to this
version; a newer one is refused. Then start the server on that DATA_DIR / DATABASE_URL. ${WHERE}
`,
  purge: `sk-server purge [--days N]

Clears the personal columns (NIK, name, sex, birth date, address) of every scan older than
PII_RETENTION_DAYS (default 28: two 14-day incubation/quarantine periods), or --days N, in bounded
batches. The rest of each scan (checkpoint, destination, screening, times) and the InfluxDB series stay.
The server runs the same purge every hour. ${WHERE}
`,
  'person erase': `sk-server person erase <NIK>

Clears one person's personal data (NIK, name, sex, birth date, address) from every scan that holds
their NIK, and prints what it did as counts only. Their alerts, follow-ups and quarantine assignments
keep only scan ids (the link by an HMAC of the NIK is cut). Aid keeps only an HMAC of the NIK; the
masked NIK and name its alarms show are blanked (needs the aid secret: AID_HMAC_SECRET as the server
has it, else DATA_DIR/server/aid/secret). The InfluxDB series and the server's InfluxDB outage spool
hold no personal data (checkpoint, destination and screening figures only), so nothing there names
the person. ${WHERE}
`,
};

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [cmd = 'serve', ...rest] = argv;
  const sub = cmd === 'user' || cmd === 'person' ? `${cmd} ${rest[0] ?? ''}` : cmd;
  const args = cmd === 'user' || cmd === 'person' ? rest.slice(1) : rest;
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') return out(HELP);
  if (argv.includes('--help') || argv.includes('-h')) return out(COMMAND_HELP[sub] ?? HELP);
  try {
    switch (sub) {
      case 'serve':
        return await serve();
      case 'user add':
        return await userAdd(args);
      case 'user list':
        return await userList(args);
      case 'user remove':
        return await userRemove(args);
      case 'backup':
        return await backupCmd(args);
      case 'restore':
        return await restoreCmd(args);
      case 'purge':
        return await purgeCmd(args);
      case 'person erase':
        return await personErase(args);
      default:
        process.stderr.write(`unknown command: ${argv.join(' ')}\n\n${HELP}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\nusage: ${(COMMAND_HELP[sub] ?? HELP).split('\n')[0]}\n`);
      return 2;
    }
    if (e instanceof ConfigError || e instanceof OpsError) {
      process.stderr.write(`error: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

function out(text: string): number {
  process.stdout.write(text);
  return 0;
}

function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O, positionals: number) {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (parsed.positionals.length !== positionals) throw new UsageError(positionals === 0 ? 'this command takes no arguments' : `expected ${positionals} argument${positionals > 1 ? 's' : ''}`);
  return parsed;
}

const records = (): RecordsConfig => loadRecordsConfig(process.env);
const whereText = (c: RecordsConfig) => (c.databaseUrl ? redactUrl(c.databaseUrl) : recordsFile(c.dataDir));

async function serve(): Promise<number> {
  const cfg = loadConfig(process.env);
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
  const { values, positionals } = parse(args, { role: { type: 'string' }, village: { type: 'string' }, checkpoint: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' } }, 1);
  const role = values.role;
  if (role !== 'command' && role !== 'village' && role !== 'checkpoint') throw new UsageError('--role must be command, village or checkpoint');
  const c = records();
  try {
    const { user, password } = await addUser(c, { username: positionals[0]!, role: role as Role, villageCode: values.village, checkpointId: values.checkpoint, password: values.password, displayName: values.name });
    process.stdout.write(`user ${user.username} (${user.role}) saved in ${whereText(c)}\n`);
    if (!values.password) process.stdout.write(`password (shown once): ${password}\n`);
    return 0;
  } catch (e) {
    const msg = e instanceof Error && 'issues' in e ? 'username: 3–32 of a-z 0-9 . _ -' : (e as Error).message;
    process.stderr.write(`error: ${msg}\n`);
    return 1;
  }
}

async function userList(args: string[]): Promise<number> {
  parse(args, {}, 0);
  for (const u of await listUsers(records())) process.stdout.write(`${u.username}\t${u.role}\t${u.villageCode ?? u.checkpointId ?? ''}\t${u.displayName}\n`);
  return 0;
}

async function userRemove(args: string[]): Promise<number> {
  const { positionals } = parse(args, {}, 1);
  if (!(await removeUser(records(), positionals[0]!))) {
    process.stderr.write(`error: no user ${positionals[0]}\n`);
    return 1;
  }
  process.stdout.write(`user ${positionals[0]} removed; its sessions ended\n`);
  return 0;
}

async function backupCmd(args: string[]): Promise<number> {
  const { positionals } = parse(args, {}, 1);
  const c = records();
  const r = await backup(c, positionals[0]!);
  process.stdout.write(`backup of ${whereText(c)} (${r.engine}) written to ${r.file} (${r.bytes} bytes)\n`);
  return 0;
}

async function restoreCmd(args: string[]): Promise<number> {
  const { positionals } = parse(args, {}, 1);
  const c = records();
  const r = await restore(c, positionals[0]!);
  process.stdout.write(`restored ${r.engine} backup into ${whereText(c)}${r.migrated.length ? `; migrated: ${r.migrated.join(', ')}` : ''}\n`);
  return 0;
}

async function purgeCmd(args: string[]): Promise<number> {
  const { values } = parse(args, { days: { type: 'string' } }, 0);
  const c = records();
  const days = values.days === undefined ? c.piiRetentionDays : Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new UsageError('--days: a whole number of days, 1–3650');
  const rdb = await openRecords(c);
  try {
    let total = 0;
    // Bounded: each call clears at most maxBatches × batch rows; a large backlog takes a few calls.
    for (let round = 0; round < 1000; round++) {
      const r = await purgePersonalData(rdb, { retentionDays: days });
      total += r.cleared;
      if (!r.more) {
        process.stdout.write(`personal data cleared from ${total} scans kept before ${r.cutoff} (retention ${days} days)\n`);
        return 0;
      }
    }
    process.stdout.write(`personal data cleared from ${total} scans; more remain: run purge again\n`);
    return 0;
  } finally {
    await rdb.close();
  }
}

async function personErase(args: string[]): Promise<number> {
  const { positionals } = parse(args, {}, 1);
  const nik = positionals[0]!;
  const v = validateNik(nik);
  // Only the form is required: a NIK never changes, so one whose region code has since been
  // reorganised away is still a real person's (it is not repeated in the message).
  if (!v.ok && v.error === 'format') {
    process.stderr.write('error: a NIK is 16 digits\n');
    return 1;
  }
  const c = records();
  const rdb = await openRecords(c);
  try {
    const r = await erasePerson(rdb, nik);
    process.stdout.write(
      r.scans === 0
        ? 'no scan holds this NIK (already erased, purged by retention, or never scanned)\n'
        : `personal data cleared from ${r.scans} scans; ${r.alerts} alerts, ${r.followUps} follow-ups and ${r.quarantineAssignments} quarantine assignments refer to them by scan id only\n`,
    );
    const aid = await eraseAidPersonData(rdb, nik, { fromEnv: c.aidHmacSecret, dataDir: c.dataDir });
    if ('alarms' in aid) process.stdout.write(`aid: masked NIK and name blanked on ${aid.alarms} alarms (handouts keep only the HMAC key)\n`);
    else if (aid.skipped === 'no-aid') process.stdout.write('aid: no aid records in this database\n');
    else {
      process.stderr.write(`error: aid alarms not checked: ${aid.skipped === 'no-secret' ? 'no aid secret here (set AID_HMAC_SECRET as the server has it)' : 'AID_HMAC_SECRET is not the secret the aid records were made with'}\n`);
      return 1;
    }
    return 0;
  } finally {
    await rdb.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`fatal: ${e.message}\n`);
    process.exit(1);
  },
);
