/** Public API of @sk/broker. */
export { startBroker, type BrokerOptions, type RunningBroker } from './broker.ts';
export { canPublish, canSubscribe } from './acl.ts';
export {
  addDevice,
  addServer,
  addVillageDevice,
  addPuskesmasDevice,
  revoke,
  list,
  verify,
  loadCredentials,
  CredentialsError,
  type Identity,
  type IdentityKind,
  type PublicIdentity,
  type StoredIdentity,
  type CredentialStore,
} from './credentials.ts';
export { LoginThrottle, DEFAULT_THROTTLE, type ThrottleOptions } from './login-throttle.ts';
export { REFUSAL_REASONS, type BrokerMetrics, type RefusalReason } from './metrics.ts';
export { createLogger, type BrokerLogger } from './log.ts';
