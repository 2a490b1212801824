/**
 * Who may publish and subscribe where. Pure: no broker, no I/O, so every rule is unit-tested.
 *
 * Devices get exactly their own three topics (publish scans + status, subscribe acks), so a stolen
 * device secret cannot forge another checkpoint's scans or read anyone else's acks. Servers read
 * everything under sk/v1/ and write acks, but never scans: the server must not be able to forge a
 * traveller's arrival either. Nobody publishes to $SYS (aedes trusts `$SYS/+/heartbeat` to decide
 * which brokers are alive, so a forged one would suppress last wills).
 */
import { deviceTopic, ID_PATTERN, TOPIC_ROOT } from '@sk/protocol';
import type { Identity } from './credentials.ts';

// MQTT 3.1.1 §4.7.3: topic names and filters are 1..65535 bytes of UTF-8 and never contain U+0000.
function wellFormed(topic: string): boolean {
  return topic.length > 0 && Buffer.byteLength(topic) <= 65535 && !topic.includes('\u0000');
}

function hasWildcard(topic: string): boolean {
  return topic.includes('+') || topic.includes('#');
}

/** §4.7.1: `#` only as the whole last level, `+` only as a whole level. */
function validFilter(filter: string): boolean {
  const levels = filter.split('/');
  return levels.every((l, i) => (l.includes('#') ? l === '#' && i === levels.length - 1 : !l.includes('+') || l === '+'));
}

function isDevice(identity: Identity): identity is Identity & { checkpointId: string } {
  return identity.kind === 'device' && typeof identity.checkpointId === 'string' && ID_PATTERN.test(identity.checkpointId) && ID_PATTERN.test(identity.id);
}

/**
 * True for `sk/v1/checkpoints/<anything>/devices/<anything>/scans`, whatever the ids look like:
 * the server's `+` subscription would deliver a malformed-id topic too, so it must not be writable.
 */
function isScansTopic(topic: string): boolean {
  const l = topic.split('/');
  return l.length === 7 && `${l[0]}/${l[1]}` === TOPIC_ROOT && l[2] === 'checkpoints' && l[4] === 'devices' && l[6] === 'scans';
}

/** `canPublish({ id: 'ketapang-01', kind: 'device', checkpointId: 'ketapang' }, 'sk/v1/checkpoints/ketapang/devices/ketapang-01/scans')` → true */
export function canPublish(identity: Identity, topic: string): boolean {
  // [MQTT-3.3.2-2] a topic name must not contain wildcards
  if (!wellFormed(topic) || hasWildcard(topic) || topic.startsWith('$')) return false;
  if (isDevice(identity)) {
    return topic === deviceTopic(identity.checkpointId, identity.id, 'scans') || topic === deviceTopic(identity.checkpointId, identity.id, 'status');
  }
  if (identity.kind === 'server') {
    return topic.startsWith(`${TOPIC_ROOT}/`) && !isScansTopic(topic);
  }
  return false;
}

/** `canSubscribe({ id: 'ingest', kind: 'server' }, 'sk/v1/checkpoints/+/devices/+/scans')` → true */
export function canSubscribe(identity: Identity, filter: string): boolean {
  if (!wellFormed(filter) || !validFilter(filter)) return false;
  if (isDevice(identity)) {
    // Exact topic only: `…/devices/+/acks` would let a device read every other device's acks.
    return filter === deviceTopic(identity.checkpointId, identity.id, 'acks');
  }
  if (identity.kind === 'server') {
    // `#` never matches $-topics [MQTT-4.7.2-1], so it reads sk/v1/ and nothing private to the broker.
    if (filter === '#') return true;
    // Shared subscriptions ($share/…) are MQTT 5; $SYS is the broker's own business.
    if (filter.startsWith('$')) return false;
    return filter.startsWith(`${TOPIC_ROOT}/`) || filter === `${TOPIC_ROOT}/#`;
  }
  return false;
}
