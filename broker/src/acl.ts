/**
 * Who may publish and subscribe where. Pure: no broker, no I/O, so every rule is unit-tested.
 *
 * Every device gets exactly its own topics and nothing else, so a stolen device secret cannot forge
 * another checkpoint's scans, another desa's handouts or another puskesmas's report, nor read
 * anyone else's replies:
 *   checkpoint device   publish …/checkpoints/{cp}/devices/{id}/scans + status, subscribe …/acks
 *   every device        subscribe sk/v1/time (the server's clock, issue 17), publish it never
 *   village device      publish …/villages/{desa}/devices/{id}/aid, subscribe …/aid-result (issue 6)
 *   puskesmas device    publish …/puskesmas/{pk}/devices/{id}/reports, subscribe nothing
 * Servers read everything under sk/v1/ and write acks and results, but never what a device reports
 * (scans, handouts, health reports): the server must not be able to forge those either. Nobody
 * publishes to $SYS (aedes trusts `$SYS/+/heartbeat` to decide which brokers are alive, so a forged
 * one would suppress last wills).
 */
import { deviceTopic, ID_PATTERN, puskesmasTopic, TIME_TOPIC, TOPIC_ROOT, VillageCodeSchema, villageDeviceTopic } from '@sk/protocol';
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

/** The topics an identity may publish to and the one filter it may subscribe to; null = none. */
interface DeviceTopics {
  publish: string[];
  subscribe: string | null;
}

/** A device's own topics, or null when it is not a well-formed device identity (then it gets nothing). */
function deviceTopics(identity: Identity): DeviceTopics | null {
  if (!ID_PATTERN.test(identity.id)) return null;
  switch (identity.kind) {
    case 'device': {
      const cp = identity.checkpointId;
      if (typeof cp !== 'string' || !ID_PATTERN.test(cp)) return null;
      return { publish: [deviceTopic(cp, identity.id, 'scans'), deviceTopic(cp, identity.id, 'status')], subscribe: deviceTopic(cp, identity.id, 'acks') };
    }
    case 'village-device': {
      const v = identity.villageCode;
      if (typeof v !== 'string' || !VillageCodeSchema.safeParse(v).success) return null;
      return { publish: [villageDeviceTopic(v, identity.id, 'aid')], subscribe: villageDeviceTopic(v, identity.id, 'aid-result') };
    }
    case 'puskesmas-device': {
      const p = identity.puskesmasId;
      if (typeof p !== 'string' || !ID_PATTERN.test(p)) return null;
      return { publish: [puskesmasTopic(p, identity.id)], subscribe: null };
    }
    default:
      return null;
  }
}

/** What devices report, by the last level of `sk/v1/{checkpoints|villages|puskesmas}/<any>/devices/<any>/{kind}`. */
const DEVICE_REPORTS: Record<string, string> = { checkpoints: 'scans', villages: 'aid', puskesmas: 'reports' };

/**
 * True for a device's report topic, whatever the ids look like: the server's `+` subscriptions would
 * deliver a malformed-id topic too, so none of them may be writable by the server.
 */
function isDeviceReportTopic(topic: string): boolean {
  const l = topic.split('/');
  return l.length === 7 && `${l[0]}/${l[1]}` === TOPIC_ROOT && l[4] === 'devices' && DEVICE_REPORTS[l[2]!] !== undefined && DEVICE_REPORTS[l[2]!] === l[6];
}

/** `canPublish({ id: 'ketapang-01', kind: 'device', checkpointId: 'ketapang' }, 'sk/v1/checkpoints/ketapang/devices/ketapang-01/scans')` → true */
export function canPublish(identity: Identity, topic: string): boolean {
  // [MQTT-3.3.2-2] a topic name must not contain wildcards
  if (!wellFormed(topic) || hasWildcard(topic) || topic.startsWith('$')) return false;
  if (identity.kind === 'server') {
    return topic.startsWith(`${TOPIC_ROOT}/`) && !isDeviceReportTopic(topic);
  }
  return deviceTopics(identity)?.publish.includes(topic) ?? false;
}

/** `canSubscribe({ id: 'ingest', kind: 'server' }, 'sk/v1/checkpoints/+/devices/+/scans')` → true */
export function canSubscribe(identity: Identity, filter: string): boolean {
  if (!wellFormed(filter) || !validFilter(filter)) return false;
  if (identity.kind === 'server') {
    // `#` never matches $-topics [MQTT-4.7.2-1], so it reads sk/v1/ and nothing private to the broker.
    if (filter === '#') return true;
    // Shared subscriptions ($share/…) are MQTT 5; $SYS is the broker's own business.
    if (filter.startsWith('$')) return false;
    return filter.startsWith(`${TOPIC_ROOT}/`) || filter === `${TOPIC_ROOT}/#`;
  }
  // Exact topic only: `…/devices/+/acks` would let a device read every other device's replies.
  const topics = deviceTopics(identity);
  if (!topics) return false;
  // The server's clock is no secret: every device may read it (issue 17); only servers publish it.
  if (filter === TIME_TOPIC) return true;
  return topics.subscribe !== null && filter === topics.subscribe;
}
