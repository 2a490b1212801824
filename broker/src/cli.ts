#!/usr/bin/env -S npx tsx
/**
 * sk-broker: run the regency's MQTT broker and manage its identities.
 *   npx tsx broker/src/cli.ts --help
 */
import { loadRegions } from '@sk/protocol/regions';
import { addDevice, addPuskesmasDevice, addServer, addVillageDevice, CredentialsError, list, revoke } from './credentials.ts';
import { dataPaths, readConfig } from './config.ts';
import { createServer as createHttpServer } from 'node:http';
import { startBroker } from './broker.ts';
import { createLogger } from './log.ts';

const HELP: Record<string, string> = {
  main: `Usage: sk-broker <command> [options]

Commands:
  start                              run the broker
  device add <checkpointId> <deviceId>  enrol a checkpoint device; prints its secret once
  device list                        list identities (no secrets)
  device revoke <deviceId>           revoke an identity; a connected one is disconnected at once
  server add <id>                    enrol a server (ingest) identity; prints its secret once
  village-device add <villageCode> <deviceId>    enrol a bansos distribution-point device of one desa
  puskesmas-device add <puskesmasId> <deviceId>  enrol a puskesmas reporting device

Environment: DATA_DIR (default ./data; credentials at $DATA_DIR/broker/credentials.json)
Run "sk-broker <command> --help" for details.`,
  start: `Usage: sk-broker start

Environment:
  MQTT_HOST      listen address (default 127.0.0.1)
  MQTT_PORT      MQTT port (default 1883)
  MQTT_WS_PORT   MQTT over WebSocket port (default 8083, "off" to disable)
  DATA_DIR       data directory (default ./data): broker/credentials.json, broker/db (sessions, queued QoS 1)
  TLS_CERT_FILE, TLS_KEY_FILE   serve mqtts and wss instead of plain MQTT and ws
  LOG_LEVEL      fatal|error|warn|info|debug|trace|silent (default info)
  REDIS_URL      cluster mode: share messages, sessions and queued QoS 1 with every broker on this
                 Redis (mqemitter-redis + aedes-persistence-redis) instead of broker/db; e.g. redis://127.0.0.1:6379
  BROKER_METRICS_PORT  serve Prometheus text on http://MQTT_HOST:PORT/metrics (default off; npm start uses 9883)
  BROKER_CONNECT_BURST, BROKER_CONNECT_PER_SEC   connection attempts per client IP: a burst, then a
                 sustained rate (default 30 at once, 2 per second after); over it a CONNECT is refused
                 (loopback clients, i.e. the server and local tools, are not limited)
Stops cleanly on SIGINT/SIGTERM.`,
  'device add': `Usage: sk-broker device add <checkpointId> <deviceId>
  Enrols a device at a checkpoint (ids: lower-case a-z, 0-9, -). The secret is printed once; only its
  hash is kept. The device connects with username = client id = <deviceId> and password = the secret.`,
  'device list': `Usage: sk-broker device list
  Lists every identity (devices and servers) with its checkpoint, creation and revocation time.`,
  'device revoke': `Usage: sk-broker device revoke <deviceId>
  Revokes an identity. A running broker notices the change and disconnects it.`,
  'village-device add': `Usage: sk-broker village-device add <villageCode> <deviceId>
  Enrols a bansos distribution-point device of one Banyuwangi desa (Kemendagri code, e.g. 35.10.21.2001).
  It may publish only sk/v1/villages/<villageCode>/devices/<deviceId>/aid and subscribe only to its own
  …/aid-result. The secret is printed once; the device connects with username = client id = <deviceId>.`,
  'puskesmas-device add': `Usage: sk-broker puskesmas-device add <puskesmasId> <deviceId>
  Enrols a puskesmas reporting device (puskesmas id, e.g. sobo). It may publish only
  sk/v1/puskesmas/<puskesmasId>/devices/<deviceId>/reports and subscribe to nothing. The secret is printed once.`,
  'server add': `Usage: sk-broker server add <id>
  Enrols a server identity: may read everything under sk/v1/ and publish acks, never scans.`,
};

class UsageError extends Error {}

function usage(key: string, why?: string): never {
  throw new UsageError(`${why ? `${why}\n\n` : ''}${HELP[key]}`);
}

async function runStart(): Promise<void> {
  const result = readConfig(process.env);
  if (!result.ok) {
    for (const e of result.errors) console.error(`config: ${e}`);
    process.exit(1);
  }
  const c = result.config;
  const logger = createLogger(c.logLevel);
  const broker = await startBroker({ host: c.host, mqttPort: c.mqttPort, wsPort: c.wsPort, credentialsFile: c.credentialsFile, persistenceDir: c.persistenceDir, redisUrl: c.redisUrl, tls: c.tls, connectRate: c.connectRate, logger });
  // Prometheus scrape endpoint: connected clients, messages in/out, refusals by reason (no personal data).
  const metricsServer = c.metricsPort === undefined ? undefined : createHttpServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') return void res.writeHead(404).end('not found\n');
    broker.metricsText().then(
      (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text),
      () => res.writeHead(500).end('metrics unavailable\n'),
    );
  }).listen(c.metricsPort, c.host, () => logger.info({ metricsPort: c.metricsPort }, 'broker metrics on /metrics'));
  const stop = () => {
    metricsServer?.close();
    broker.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function main(argv: string[]): Promise<void> {
  const help = argv.includes('--help') || argv.includes('-h');
  const args = argv.filter((a) => a !== '--help' && a !== '-h');
  const [cmd, sub, ...rest] = args;
  const { credentialsFile } = dataPaths(process.env);
  const key = cmd === 'device' || cmd === 'server' || cmd === 'village-device' || cmd === 'puskesmas-device' ? `${cmd} ${sub ?? ''}`.trim() : (cmd ?? 'main');
  if (help) return void console.log(HELP[key] ?? HELP.main);
  switch (key) {
    case 'start':
      if (sub !== undefined) usage('start', `unexpected argument: ${sub}`);
      return runStart();
    case 'device add': {
      if (rest.length !== 2) usage('device add', 'expected <checkpointId> <deviceId>');
      const { id, secret } = await addDevice(credentialsFile, { checkpointId: rest[0]!, deviceId: rest[1]! });
      console.log(`device ${id} enrolled at ${rest[0]}.\nsecret (shown once, store it on the device): ${secret}`);
      return;
    }
    case 'device list': {
      if (rest.length) usage('device list', `unexpected argument: ${rest[0]}`);
      const all = await list(credentialsFile);
      if (!all.length) return void console.log(`no identities in ${credentialsFile}`);
      for (const i of all) console.log([i.id.padEnd(24), i.kind.padEnd(16), (i.checkpointId ?? i.villageCode ?? i.puskesmasId ?? '-').padEnd(14), i.createdAt, i.revokedAt ? `revoked ${i.revokedAt}` : 'active'].join(' '));
      return;
    }
    case 'device revoke': {
      if (rest.length !== 1) usage('device revoke', 'expected <deviceId>');
      const r = await revoke(credentialsFile, rest[0]!);
      console.log(`${r.id} revoked at ${r.revokedAt}`);
      return;
    }
    case 'village-device add': {
      if (rest.length !== 2) usage('village-device add', 'expected <villageCode> <deviceId>');
      // The credentials module checks the code's shape; only the CLI loads the region list to check it exists.
      if (/^\d{2}\.\d{2}\.\d{2}\.\d{4}$/.test(rest[0]!) && !loadRegions().village(rest[0]!)) {
        throw new CredentialsError(`village ${rest[0]} is not a desa or kelurahan of Banyuwangi`);
      }
      const { id, secret } = await addVillageDevice(credentialsFile, { villageCode: rest[0]!, deviceId: rest[1]! });
      console.log(`distribution-point device ${id} enrolled for desa ${rest[0]}.\nsecret (shown once, store it on the device): ${secret}`);
      return;
    }
    case 'puskesmas-device add': {
      if (rest.length !== 2) usage('puskesmas-device add', 'expected <puskesmasId> <deviceId>');
      const { id, secret } = await addPuskesmasDevice(credentialsFile, { puskesmasId: rest[0]!, deviceId: rest[1]! });
      console.log(`puskesmas device ${id} enrolled for ${rest[0]}.\nsecret (shown once, store it on the device): ${secret}`);
      return;
    }
    case 'server add': {
      if (rest.length !== 1) usage('server add', 'expected <id>');
      const { id, secret } = await addServer(credentialsFile, rest[0]!);
      console.log(`server ${id} enrolled.\nsecret (shown once): ${secret}`);
      return;
    }
    default:
      usage('main', cmd ? `unknown command: ${args.join(' ')}` : undefined);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError || err instanceof CredentialsError) console.error(err.message);
  else console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
});
