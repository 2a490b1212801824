/**
 * MQTT topic scheme, version 1. Every topic starts with `sk/v1/` so a v2 can live beside it.
 *
 *   sk/v1/checkpoints/{checkpointId}/devices/{deviceId}/scans   device → server, QoS 1 (one Scan, or an array: scan-batch.ts)
 *   sk/v1/checkpoints/{checkpointId}/devices/{deviceId}/status  device → all, QoS 1, retained, also the last will
 *   sk/v1/checkpoints/{checkpointId}/devices/{deviceId}/acks    server → device, QoS 1 ("stored", by sequence number)
 *   sk/v1/time                                                   server → devices, QoS 0, every few seconds (TimeBeacon)
 *
 * The device id is in the topic (not only in the payload) so the broker's ACL can check, without
 * parsing the payload, that a device publishes only as itself and only for its own checkpoint.
 */
export const TOPIC_ROOT = 'sk/v1';

/** A checkpoint or device id: lower-case slug, e.g. `ketapang` or `ketapang-01`. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;

export type DeviceTopicKind = 'scans' | 'status' | 'acks';

/** `deviceTopic('ketapang', 'ketapang-01', 'scans')` → `sk/v1/checkpoints/ketapang/devices/ketapang-01/scans` */
export function deviceTopic(checkpointId: string, deviceId: string, kind: DeviceTopicKind): string {
  if (!ID_PATTERN.test(checkpointId)) throw new Error(`invalid checkpoint id: ${JSON.stringify(checkpointId)}`);
  if (!ID_PATTERN.test(deviceId)) throw new Error(`invalid device id: ${JSON.stringify(deviceId)}`);
  return `${TOPIC_ROOT}/checkpoints/${checkpointId}/devices/${deviceId}/${kind}`;
}

/**
 * The server's clock, published live (QoS 0, not retained) every few seconds: a device that booted
 * without a trusted clock (no RTC) takes its time from here before its first ack. Not retained on
 * purpose: a retained copy is as old as the last server that published it, so it proves nothing.
 */
export const TIME_TOPIC = `${TOPIC_ROOT}/time`;

/** Wildcard subscriptions the server uses. */
export const SERVER_SUBSCRIPTIONS = {
  scans: `${TOPIC_ROOT}/checkpoints/+/devices/+/scans`,
  status: `${TOPIC_ROOT}/checkpoints/+/devices/+/status`,
} as const;

export interface ParsedDeviceTopic {
  checkpointId: string;
  deviceId: string;
  kind: DeviceTopicKind;
}

/** `parseDeviceTopic('sk/v1/checkpoints/kalibaru/devices/kalibaru-02/status')` → `{ checkpointId: 'kalibaru', deviceId: 'kalibaru-02', kind: 'status' }`; null when it is not one. */
export function parseDeviceTopic(topic: string): ParsedDeviceTopic | null {
  const parts = topic.split('/');
  if (parts.length !== 7) return null;
  const [root, version, cps, checkpointId, devs, deviceId, kind] = parts;
  if (`${root}/${version}` !== TOPIC_ROOT || cps !== 'checkpoints' || devs !== 'devices') return null;
  if (!checkpointId || !deviceId || !ID_PATTERN.test(checkpointId) || !ID_PATTERN.test(deviceId)) return null;
  if (kind !== 'scans' && kind !== 'status' && kind !== 'acks') return null;
  return { checkpointId, deviceId, kind };
}

/** True when an MQTT topic filter (with + and #) matches a topic name, per MQTT 3.1.1 §4.7. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  // [MQTT-4.7.2-1] wildcards at the first level must not match topics starting with $
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return i === f.length - 1;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * Broker URLs (`mqtt://a:1883`, `mqtts://b`) → mqtt.js `servers` entries: devices and servers list
 * every broker of a cluster, and mqtt.js moves to the next on each reconnect.
 */
export function brokerServers(urls: readonly string[]): { host: string; port: number; protocol: 'mqtt' | 'mqtts' }[] {
  return urls.map((u) => {
    const url = new URL(u);
    const protocol = url.protocol.replace(/:$/, '') as 'mqtt' | 'mqtts';
    return { host: url.hostname, port: Number(url.port) || (protocol === 'mqtts' ? 8883 : 1883), protocol };
  });
}
