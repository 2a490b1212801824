/**
 * The regency's MQTT broker: aedes (MQTT 3.1.1) on TCP (or TLS), optionally MQTT over WebSocket,
 * with credentials, ACL, login throttling, live revocation, optional LevelDB persistence and metrics.
 */
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { basename, dirname } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type AedesOptions, type Client } from 'aedes';
import aedesPersistenceLevel, { type LevelPersistence } from 'aedes-persistence-level';
import { ClassicLevel } from 'classic-level';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { MAX_PAYLOAD_BYTES } from '@sk/protocol';
import { redisBackends, type ClusterBackends } from './cluster.ts';
import { orderEnqueues, type EnqueuePersistence } from './ordered-enqueue.ts';
import { tierPersistence, type PersistenceLike } from './tiered-persistence.ts';
import { clientIp, createAuthHooks, type Admission } from './auth-hooks.ts';
import { loadCredentials, type CredentialStore } from './credentials.ts';
import { createLogger, safe, type BrokerLogger } from './log.ts';
import { LoginThrottle, type ThrottleOptions } from './login-throttle.ts';
import { ConnectRate, type ConnectRateOptions } from './connect-rate.ts';
import { BrokerMetricsRecorder, type BrokerMetrics } from './metrics.ts';

export interface BrokerOptions {
  host?: string;
  /** 0 = a free port. */
  mqttPort: number;
  /** MQTT over WebSocket; omitted = off; 0 = a free port. */
  wsPort?: number;
  credentialsFile: string;
  /** LevelDB directory: sessions, subscriptions and queued QoS 1 messages survive a restart. In memory when absent. */
  persistenceDir?: string;
  maxPayloadBytes?: number;
  /** mqtts + wss when given. */
  tls?: { certFile: string; keyFile: string };
  logger?: BrokerLogger;
  loginThrottle?: Partial<ThrottleOptions>;
  /** Connection attempts per client IP (token bucket, connect-rate.ts); default 30 at once, 2/s after. */
  connectRate?: Partial<ConnectRateOptions>;
  /** false = bare aedes without any hook, for the bench's overhead ratio only. Default true. */
  auth?: boolean;
  /** Watch the credentials file and reload on change. Default true. */
  watchCredentials?: boolean;
  /** Cluster mode: share messages and persistence with every broker on this Redis (replaces persistenceDir). */
  redisUrl?: string;
  /** Cluster heartbeat (ms); a peer silent for 3 of them is dead and its clients' wills fire. */
  clusterHeartbeatMs?: number;
}

export interface RunningBroker {
  mqttPort: number;
  wsPort?: number;
  aedes: Aedes;
  metrics(): BrokerMetrics;
  /** Prometheus text exposition of this broker's own registry. */
  metricsText(): Promise<string>;
  /** Re-reads the credentials file and disconnects clients whose identity was revoked or re-issued. */
  reloadCredentials(): Promise<void>;
  close(): Promise<void>;
}

function listen(server: NetServer | HttpServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: NetServer | HttpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function startBroker(opts: BrokerOptions): Promise<RunningBroker> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.logger ?? createLogger();
  const auth = opts.auth ?? true;
  const maxPayloadBytes = opts.maxPayloadBytes ?? MAX_PAYLOAD_BYTES;

  let store: CredentialStore = auth ? await loadCredentials(opts.credentialsFile) : { byId: new Map() };
  const admitted = new WeakMap<Client, Admission>();

  let db: ClassicLevel | undefined;
  let persistence: LevelPersistence | undefined;
  let cluster: ClusterBackends | undefined;
  if (opts.redisUrl) {
    cluster = redisBackends(opts.redisUrl, opts.clusterHeartbeatMs);
  } else if (opts.persistenceDir) {
    await mkdir(opts.persistenceDir, { recursive: true, mode: 0o700 });
    db = new ClassicLevel(opts.persistenceDir);
    await db.open();
    persistence = aedesPersistenceLevel(db);
    // QoS 1 traffic to connected sessions in memory, the rest in LevelDB (why: tiered-persistence.ts).
    tierPersistence(persistence as unknown as PersistenceLike, (id) => Boolean(aedes && (aedes as unknown as { clients: Record<string, unknown> }).clients[id]));
    // LevelDB writes finish out of order; aedes would then drop PUBACKed packets (see ordered-enqueue.ts).
    orderEnqueues(persistence as unknown as EnqueuePersistence);
  }

  let aedes: Aedes | undefined;
  const metrics = new BrokerMetricsRecorder(() => aedes?.connectedClients ?? 0);
  const aedesOpts: AedesOptions = {
    persistence,
    ...cluster?.options,
    // Device ids (which are also client ids) may be 32 characters; 3.1.1's 23 is only a minimum servers must accept.
    maxClientsIdLength: 64,
  };
  if (auth) {
    Object.assign(aedesOpts, createAuthHooks({ store: () => store, throttle: new LoginThrottle(opts.loginThrottle), metrics, log, maxPayloadBytes, admitted }));
    // Before any credential work: a client reconnecting in a loop is refused at its CONNECT.
    const rate = new ConnectRate(opts.connectRate);
    let lastWarn = 0;
    aedesOpts.preConnect = (client, _packet, done) => {
      const ip = clientIp(client);
      if (rate.take(ip)) return done(null, true);
      metrics.refused('rate_limited');
      if (Date.now() - lastWarn > 10_000) {
        lastWarn = Date.now();
        log.warn({ area: 'auth', ip }, 'connection attempts over the per-address rate; refusing for now');
      }
      done(null, false);
    };
    aedesOpts.authorizeForward = (_client, packet) => {
      if (!packet.topic.startsWith('$')) metrics.messageOut();
      return packet;
    };
  }
  aedes = await Aedes.createBroker(aedesOpts);
  aedes.on('publish', (packet, client) => {
    if (client) metrics.messageIn();
  });
  aedes.on('clientError', (client, err) => log.warn({ area: 'mqtt', clientId: safe(client.id), err: safe(err.message) }, 'client error'));
  aedes.on('connectionError', (_client, err) => log.warn({ area: 'mqtt', err: safe(err.message) }, 'connection error'));

  const tlsOpts = opts.tls ? { cert: await readFile(opts.tls.certFile), key: await readFile(opts.tls.keyFile) } : undefined;
  const handle = aedes.handle;
  // No per-turn corking of client sockets here: tried (one writev per turn instead of per message), it
  // made the latency bench's p95 2.5 s instead of 0.19 s; aedes already writes each packet in one call
  // through mqtt-packet's own cork.
  const mqttServer = tlsOpts ? createTlsServer(tlsOpts, (s) => handle(s)) : createNetServer((s) => handle(s));
  const mqttPort = await listen(mqttServer, opts.mqttPort, host);

  let httpServer: HttpServer | undefined;
  let wss: WebSocketServer | undefined;
  let wsPort: number | undefined;
  if (opts.wsPort !== undefined) {
    httpServer = tlsOpts ? createHttpsServer(tlsOpts) : createHttpServer();
    // One WebSocket message carries one MQTT packet from mqtt.js; bound it well above our payload cap.
    wss = new WebSocketServer({ server: httpServer, maxPayload: maxPayloadBytes + 64 * 1024 });
    wss.on('connection', (socket, req) => handle(createWebSocketStream(socket), req));
    wsPort = await listen(httpServer, opts.wsPort, host);
  }

  async function reloadCredentials(): Promise<void> {
    if (!auth) return;
    store = await loadCredentials(opts.credentialsFile);
    const clients = (aedes as unknown as { clients: Record<string, Client> }).clients;
    for (const client of Object.values(clients)) {
      const admission = admitted.get(client);
      if (!admission) continue;
      const current = store.byId.get(admission.identity.id);
      if (!current || current.revokedAt || current.secretHash !== admission.secretHash) {
        metrics.refused('revoked');
        log.warn({ area: 'auth', reason: 'revoked', clientId: safe(client.id) }, 'disconnecting a client whose identity was revoked');
        client.close();
      }
    }
  }

  // Watch the directory, not the file: credentials are replaced by rename, which a file watch misses.
  let watcher: FSWatcher | undefined;
  let debounce: NodeJS.Timeout | undefined;
  if (auth && (opts.watchCredentials ?? true)) {
    await mkdir(dirname(opts.credentialsFile), { recursive: true, mode: 0o700 });
    watcher = watch(dirname(opts.credentialsFile), (_event, name) => {
      if (name !== basename(opts.credentialsFile)) return;
      clearTimeout(debounce);
      debounce = setTimeout(() => {
        reloadCredentials().then(
          () => log.info({ area: 'auth', identities: store.byId.size }, 'credentials reloaded'),
          (err: Error) => log.error({ area: 'auth', err: err.message }, 'credentials reload failed; keeping the previous ones'),
        );
      }, 50);
    });
    watcher.on('error', (err) => log.error({ area: 'auth', err: err.message }, 'credentials watch failed'));
  }

  log.info({ area: 'broker', host, mqttPort, wsPort, tls: Boolean(tlsOpts), persistent: Boolean(db), cluster: Boolean(cluster), auth }, 'broker listening');

  let closing: Promise<void> | undefined;
  async function close(): Promise<void> {
    watcher?.close();
    clearTimeout(debounce);
    const a = aedes!;
    // Stop accepting first, then close every client, then the stores they write to.
    const servers = [closeServer(mqttServer), ...(httpServer ? [closeServer(httpServer)] : [])];
    for (const ws of wss?.clients ?? []) ws.terminate();
    wss?.close();
    await new Promise<void>((resolve) => a.close(() => resolve()));
    await Promise.all(servers);
    if (persistence) await persistence.destroy();
    if (cluster) await cluster.destroy();
    log.info({ area: 'broker' }, 'broker closed');
  }

  return {
    mqttPort,
    wsPort,
    aedes,
    metrics: () => metrics.snapshot(),
    metricsText: () => metrics.text(),
    reloadCredentials,
    close: () => (closing ??= close()),
  };
}
