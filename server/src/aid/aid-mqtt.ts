/** MQTT entry point for distribution-point devices: `…/villages/{v}/devices/{d}/aid` → result on `…/aid-result`. */
import { AidDeviceHandoutSchema, describeIssues, parseVillageDeviceTopic, villageDeviceTopic, type AidDeviceResult } from '@sk/protocol';
import type { Regions } from '@sk/protocol/regions';
import type { Aid } from './aid.ts';
import { semanticProblem } from './csv-import.ts';
import { BadMessage, type TopicHandler } from './feature-mqtt.ts';

/** Another instance stored the same message this long ago at most: it answered the device, we stay silent. */
const OTHER_INSTANCE_ANSWERS_MS = 30_000;

/**
 * Stored (committed) before the PUBACK. `cluster`: every instance receives each device message (MQTT
 * 3.1.1, no shared subscriptions) and records it; the database lets one store it, and the others, seeing
 * it stored a moment ago by another instance, drop their "redelivered" reply (one answer per message).
 */
export function aidDeviceHandler(aid: Aid, regions: Regions, cluster?: { instanceId: string; now?: () => number }): TopicHandler {
  return async (topic, payload, reply) => {
    const t = parseVillageDeviceTopic(topic);
    if (!t || t.kind !== 'aid') throw new BadMessage('not an aid topic');
    const back = (body: unknown) => reply(villageDeviceTopic(t.villageCode, t.deviceId, 'aid-result'), body);
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      return back({ v: 1, error: 'payload: not JSON' });
    }
    const p = AidDeviceHandoutSchema.safeParse(json);
    if (!p.success) return back({ v: 1, error: describeIssues(p.error) });
    // The broker ACL already pins the device to its village; check the payload agrees with the topic.
    if (p.data.deviceId !== t.deviceId) return back({ v: 1, error: 'deviceId: differs from the topic' });
    const problem = semanticProblem(p.data, regions, t.villageCode);
    if (problem) return back({ v: 1, handoutId: p.data.handoutId, error: problem });
    const { v: _v, deviceId: _d, ...handout } = p.data;
    const [r] = await aid.recordDetailed([handout], `device:${t.deviceId}`);
    const by = r!.storedBy;
    if (cluster && by && by.instance !== null && by.instance !== cluster.instanceId && (cluster.now?.() ?? Date.now()) - Date.parse(by.at) < OTHER_INSTANCE_ANSWERS_MS) return;
    back({ v: 1, ...r!.result } satisfies AidDeviceResult);
  };
}
