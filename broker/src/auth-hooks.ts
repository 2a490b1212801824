/**
 * aedes's authenticate / authorizePublish / authorizeSubscribe hooks, wired to the credentials store,
 * the pure ACL and the login throttle. Every refusal is counted and logged (never the secret, never
 * the payload).
 */
import type { AedesOptions, Client, PublishPacket, Subscription } from 'aedes';
import { canPublish, canSubscribe } from './acl.ts';
import { toIdentity, verify, type CredentialStore, type Identity } from './credentials.ts';
import { safe, type BrokerLogger } from './log.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { BrokerMetricsRecorder, RefusalReason } from './metrics.ts';

/** What a connected client was admitted as; the hash tells a reload that its secret was re-issued. */
export interface Admission {
  identity: Identity;
  secretHash: string;
}

export interface HookDeps {
  store: () => CredentialStore;
  throttle: LoginThrottle;
  metrics: BrokerMetricsRecorder;
  log: BrokerLogger;
  maxPayloadBytes: number;
  admitted: WeakMap<Client, Admission>;
}

// MQTT 3.1.1 §3.2.2.3 CONNACK return codes.
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

/** The peer address: the TCP socket's, or for MQTT over WebSocket the HTTP upgrade request's. */
export function clientIp(client: Client): string {
  const conn = client.conn as { remoteAddress?: string };
  return client.req?.socket?.remoteAddress ?? conn.remoteAddress ?? 'unknown';
}

export function createAuthHooks(deps: HookDeps): Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe'> {
  const { throttle, metrics, log, admitted } = deps;
  /** The last topic each connection was allowed to publish to (scans: the same topic every time). */
  const allowedTopic = new WeakMap<Client, string>();

  function logRefusal(reason: RefusalReason, client: Client | null, extra: Record<string, unknown>): void {
    metrics.refused(reason);
    log.warn({ area: 'auth', reason, clientId: safe(client?.id), ip: client ? clientIp(client) : undefined, ...extra }, 'refused');
  }

  /** Identity for a publish. `client` is null for a will left over from before a restart. */
  function identityFor(client: Client | null, packet: PublishPacket): Identity | null {
    if (client) return admitted.get(client)?.identity ?? null;
    // A device's client id is its identity id (enforced at connect), so its orphaned will can be
    // checked: aedes stores wills with the client id they belonged to.
    const willClientId = (packet as { clientId?: string }).clientId;
    const stored = willClientId ? deps.store().byId.get(willClientId) : undefined;
    return stored && !stored.revokedAt && stored.kind === 'device' ? toIdentity(stored) : null;
  }

  return {
    authenticate(client, username, password, done) {
      const ip = clientIp(client);
      const refuse = (reason: RefusalReason, code: number, countsAsGuess: boolean) => {
        if (countsAsGuess && throttle.fail(ip)) log.warn({ area: 'auth', ip }, 'too many failed logins; address blocked for a while');
        logRefusal(reason, client, { username: safe(username) });
        done(Object.assign(new Error(reason), { returnCode: code }), false);
      };
      // Blocked addresses are refused before any scrypt work.
      if (throttle.isBlocked(ip)) return refuse('throttled', NOT_AUTHORIZED, false);
      if (!username) return refuse('anonymous', NOT_AUTHORIZED, true);
      if (deps.store().byId.get(username)?.revokedAt) return refuse('revoked', NOT_AUTHORIZED, false);
      verify(deps.store(), username, password).then(
        (identity) => {
          // Re-read the store: it may have been reloaded (a revocation) while scrypt ran.
          const current = identity ? deps.store().byId.get(identity.id) : undefined;
          if (!identity || !current) return refuse('bad_credentials', BAD_USERNAME_OR_PASSWORD, true);
          if (current.revokedAt) return refuse('revoked', NOT_AUTHORIZED, false);
          // [MQTT-3.1.4-2] a CONNECT with an existing client id takes over that session and its queued
          // messages, so a device may only use its own id, and nobody may use a device's id.
          const ownId = client.id === identity.id;
          if (identity.kind !== 'server' ? !ownId : !ownId && deps.store().byId.has(client.id)) {
            return refuse('client_id', NOT_AUTHORIZED, false);
          }
          admitted.set(client, { identity, secretHash: current.secretHash });
          throttle.succeed(ip);
          log.info({ area: 'auth', clientId: safe(client.id), kind: identity.kind, ip }, 'connected');
          done(null, true);
        },
        (err: Error) => {
          log.error({ area: 'auth', err: err.message }, 'credential check failed');
          done(Object.assign(new Error('server unavailable'), { returnCode: 3 }), false);
        },
      );
    },

    authorizePublish(client, packet, done) {
      const size = packet.payload?.length ?? 0;
      // Hot path: a device publishes scan after scan to the one topic it was already allowed on this
      // connection (the identity is fixed per connection; a revocation closes the connection).
      if (client && size <= deps.maxPayloadBytes && allowedTopic.get(client) === packet.topic) return done(null);
      const identity = identityFor(client, packet);
      const topic = safe(packet.topic);
      // MQTT 3.1.1 has no way to refuse one PUBLISH: aedes closes the connection without a PUBACK
      // [MQTT-3.3.5-2], and the message goes nowhere.
      if (!identity) {
        logRefusal('publish_acl', client, { topic, why: 'unknown identity' });
        return done(new Error('not authorized'));
      }
      if (size > deps.maxPayloadBytes) {
        logRefusal('payload_too_large', client, { topic, bytes: size, limit: deps.maxPayloadBytes });
        return done(new Error('payload too large'));
      }
      if (!canPublish(identity, packet.topic)) {
        logRefusal('publish_acl', client, { topic });
        return done(new Error('not authorized'));
      }
      if (client) allowedTopic.set(client, packet.topic);
      done(null);
    },

    authorizeSubscribe(client, sub: Subscription, done) {
      const identity = admitted.get(client)?.identity;
      if (!identity || !canSubscribe(identity, sub.topic)) {
        logRefusal('subscribe_acl', client, { filter: safe(sub.topic) });
        // A null subscription makes aedes answer this filter with SUBACK 0x80 (§3.9.3) and keep the rest.
        return done(null, null);
      }
      done(null, sub);
    },
  };
}
