/**
 * One MQTT throughput run: the publisher workers send every scan (QoS 1, window per device) to a
 * broker, one plain mqtt.js QoS 1 subscriber counts them. msgs/s = first publish → last receipt.
 * Used for e2e's bare-broker limit and for the broker bench (ours vs bare, same load).
 */
import type { ChildProcess } from 'node:child_process';
import { startPublishers, startSubscriber, type SubReport } from './load.ts';
import { cpuMeter, peakRssMiB, progress } from './proc.ts';
import type { PubClientPlan } from './pub-worker.ts';

export interface MqttRunOptions {
  name: string;
  url: string;
  broker: ChildProcess;
  plan: PubClientPlan[];
  sub?: { username: string; password: string };
  workers: number;
  window: number;
  timeoutMs: number;
  /** Scans per message (default 1). */
  batch?: number;
}

export async function mqttRun(o: MqttRunOptions) {
  const expected = o.plan.reduce((n, c) => n + c.count, 0);
  const sub = await startSubscriber({ url: o.url, expected, ...o.sub });
  try {
    const pubs = await startPublishers({ url: o.url, window: o.window, ratePerClient: 0, serverAcks: false, seed: 5, clients: o.plan, workers: o.workers, batch: o.batch });
    try {
      const cpu = cpuMeter({ broker: o.broker.pid, sub: sub.pid, pub0: pubs.pids[0], pub1: pubs.pids[1] });
      const r = await pubs.go(o.timeoutMs);
      let s: SubReport;
      try {
        s = await sub.done(r.complete ? 30_000 : 1000);
      } catch {
        s = await sub.report(); // not everything arrived in time: report what did
      }
      const c = cpu();
      // With batches these are scans/s (each scan counted once), not MQTT messages/s.
      const msgsPerSec = Math.round(s.unique / ((s.last - r.firstPub) / 1000));
      progress(`${o.name}: ${msgsPerSec} msgs/s, ${s.unique}/${expected} arrived`);
      return {
        msgsPerSec,
        pubackPerSec: Math.round(r.pubacked / ((r.lastPuback - r.firstPub) / 1000)),
        sent: r.published, arrivedUnique: s.unique, arrivedTotal: s.total, allArrived: s.unique === expected,
        cpuBrokerPct: c.broker!, cpuSubscriberPct: c.sub!, cpuPublishersPct: (c.pub0 ?? 0) + (c.pub1 ?? 0),
        peakRssBrokerMiB: peakRssMiB(o.broker.pid),
      };
    } finally {
      await pubs.stop();
    }
  } finally {
    await sub.stop();
  }
}
