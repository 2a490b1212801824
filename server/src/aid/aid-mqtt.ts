/** MQTT entry point for distribution-point devices: `…/villages/{v}/devices/{d}/aid` → result on `…/aid-result`. */
import { AidDeviceHandoutSchema, describeIssues, parseVillageDeviceTopic, villageDeviceTopic, type AidDeviceResult } from '@sk/protocol';
import type { Regions } from '@sk/protocol/regions';
import type { Aid } from './aid.ts';
import { semanticProblem } from './csv-import.ts';
import { BadMessage, type TopicHandler } from './feature-mqtt.ts';

/**
 * `claim` (cluster mode): every instance receives each device message (MQTT 3.1.1, no shared
 * subscriptions); only the instance whose claim succeeds handles it, the others drop it silently.
 */
export function aidDeviceHandler(aid: Aid, regions: Regions, claim?: (handoutId: string) => Promise<boolean>): TopicHandler {
  return (topic, payload, reply) => {
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
    if (!claim) {
      const [r] = aid.record([handout], `device:${t.deviceId}`);
      return back({ v: 1, ...r! } satisfies AidDeviceResult);
    }
    void (async () => {
      if (!(await claim(handout.handoutId))) return;
      const [r] = await aid.recordAsync([handout], `device:${t.deviceId}`);
      back({ v: 1, ...r! } satisfies AidDeviceResult);
    })().catch(() => back({ v: 1, handoutId: handout.handoutId, error: 'server: sementara tidak tersedia, kirim ulang' }));
  };
}
