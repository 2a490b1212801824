/**
 * Cluster mode for the broker (issue 9): several aedes instances behave as one broker by sharing
 *  - the message bus: mqemitter-redis (every PUBLISH reaches subscribers on every instance), and
 *  - the persistence: aedes-persistence-redis (sessions, subscriptions, queued QoS 1 messages, retained
 *    messages and wills live in Redis, so a device or server can reconnect to any instance and find them).
 * Versions matter: mqemitter-redis 7 + aedes-persistence-redis 11 fit aedes 1.2 (12.x does not).
 *
 * aedes tracks its peers through `$SYS/<id>/heartbeat`; a peer silent for 3 heartbeats is dead and a
 * survivor publishes its clients' wills (their retained "offline" status). The heartbeat is shortened
 * so that happens within seconds, not the default minutes.
 */
import { Redis } from 'ioredis';
import mqemitterRedis from 'mqemitter-redis';
import aedesPersistenceRedis from 'aedes-persistence-redis';
import type { AedesOptions } from 'aedes';
import { queueSubscriptionCalls } from './cluster-subscriptions.ts';

export interface ClusterBackends {
  /** Spread into the AedesOptions. */
  options: Pick<AedesOptions, 'mq' | 'persistence' | 'heartbeatInterval'>;
  /** Closes the persistence connection (aedes.close() already closes the mq). */
  destroy(): Promise<void>;
}

/** Default 2 s: a dead peer is noticed within ~6 s, its clients' wills fire within ~8 s after. */
export const CLUSTER_HEARTBEAT_MS = 2000;

export function redisBackends(redisUrl: string, heartbeatMs = CLUSTER_HEARTBEAT_MS): ClusterBackends {
  // A broker must not crash when Redis blips: ioredis reconnects and queues commands meanwhile.
  const conn = new Redis(redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
  const persistence = aedesPersistenceRedis({ conn, maxSessionDelivery: 10_000 });
  // Without this a multi-filter SUBSCRIBE of a persistent session is never SUBACKed (see the file).
  queueSubscriptionCalls(persistence.asyncPersistence);
  // Our own connections: the subscriber must skip ioredis's ready check, whose INFO is refused once the
  // connection is in subscriber mode ("only (P|S)SUBSCRIBE … allowed") and would crash the broker.
  const mq = mqemitterRedis({
    subConn: new Redis(redisUrl, { enableReadyCheck: false, maxRetriesPerRequest: null }),
    pubConn: new Redis(redisUrl, { maxRetriesPerRequest: null }),
    concurrency: 100,
    matchEmptyLevels: true, // [MQTT-4.7.1-3], as aedes's own default emitter
  } as never);
  return {
    options: { mq: mq as unknown as AedesOptions['mq'], persistence: persistence as unknown as AedesOptions['persistence'], heartbeatInterval: heartbeatMs },
    destroy: () => persistence.destroy(),
  };
}
