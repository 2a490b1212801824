/** MQTT entry point for puskesmas devices: `sk/v1/puskesmas/{id}/devices/{dev}/reports`. The topic's puskesmas must match the report's. */
import { describeIssues, parsePuskesmasTopic, PuskesmasReportMessageSchema } from '@sk/protocol';
import type { Logger } from '../log.ts';
import { BadMessage, type TopicHandler } from '../aid/feature-mqtt.ts';
import type { PuskesmasReports } from './puskesmas.ts';

export function puskesmasDeviceHandler(p: PuskesmasReports, log: Logger): TopicHandler {
  return (topic, payload) => {
    const t = parsePuskesmasTopic(topic);
    if (!t) throw new BadMessage('not a puskesmas topic');
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      throw new BadMessage('payload: not JSON');
    }
    const r = PuskesmasReportMessageSchema.safeParse(json);
    if (!r.success) throw new BadMessage(describeIssues(r.error));
    if (r.data.puskesmasId !== t.puskesmasId) throw new BadMessage('puskesmasId: differs from the topic');
    const { v: _v, ...report } = r.data;
    // In the database before the returned promise resolves, and so before the PUBACK (feature-mqtt
    // awaits it); InfluxDB gets it now or, after an outage, from the retry. Nothing the device was told
    // "received" is lost; a database error leaves the message unacknowledged for redelivery.
    return p.accept([report]).then(() => log.debug({ puskesmas: t.puskesmasId, date: report.date }, 'puskesmas report received'));
  };
}
