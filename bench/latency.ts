/**
 * latency (issue 5): the whole pipeline (as in e2e) at a fixed open-loop rate; latency from publish
 * (scannedAt is set at publish time) to the signed-in socket.io client's `arrival` event. Both ends
 * read the same machine clock, so no skew. Goal: p99 < 100 ms at 1,000 scans/s.
 */
import { CHECKPOINT_IDS } from '@sk/protocol';
import type { BenchResult } from './run.ts';
import { opt, percentile, round } from './stats.ts';
import { devicePlan, startPublishers } from './lib/load.ts';
import { monitor, startPipeline } from './lib/pipeline.ts';
import { cpuMeter, peakRssMiB, progress } from './lib/proc.ts';

export const help = `Usage: npm run bench -- latency [options]

Options (defaults):
  --rate 1000        scans per second in total (open loop: sent on schedule, not waiting for acks)
  --seconds 20       how long to send
  --devices 8        simulated devices (mqtt.js), spread over the 4 checkpoints
  --workers 2        publisher worker processes
  --window 1000      cap of in-flight QoS 1 publishes per device (only a safety bound at this rate)
Goal: publish → socket p99 < 100 ms; with --seconds 300 (the sustained run) the last minute's p99
within 20 % of the first minute's.`;

export async function run(args: string[]): Promise<BenchResult> {
  const rate = opt(args, 'rate', 1000);
  const seconds = opt(args, 'seconds', 20);
  const devices = opt(args, 'devices', 8);
  const workers = opt(args, 'workers', 2);
  const window = opt(args, 'window', 1000);
  if (rate <= 0 || seconds <= 0 || seconds > 600 || rate * seconds > 2_000_000) throw new Error('--rate and --seconds must be > 0, seconds <= 600, rate*seconds <= 2,000,000');
  const total = Math.round(rate * seconds);
  const plan = devicePlan(CHECKPOINT_IDS, devices, total);
  progress(`latency: ${rate} scans/s for ${seconds} s from ${devices} devices`);
  const p = await startPipeline({ devices: plan });
  try {
    const pubs = await startPublishers({ url: p.mqttUrl, window, ratePerClient: rate / devices, serverAcks: true, seed: 7, clients: p.devices, workers });
    try {
      const cpu = cpuMeter({ broker: p.broker.pid, server: p.server.pid, influxd: p.influxd.process.pid });
      const stopMonitor = monitor(p);
      const r = await pubs.go((seconds + 60) * 1000).finally(stopMonitor);
      const c = cpu();
      const until = Date.now() + 10_000;
      while (p.live.unique.size < r.published && Date.now() < until) await new Promise((res) => setTimeout(res, 100));
      const lat = p.live.latenciesMs;
      const sendSeconds = (r.lastPuback - r.firstPub) / 1000;
      // A long run (issue 15: 5 minutes) compares its first and last minute: latency must not creep up
      // as the database grows. Arrivals come in order at a steady rate, so a minute is rate × 60 of them.
      const minute = Math.round(rate * 60);
      const drift: Record<string, number> = {};
      if (lat.length >= 2 * minute) {
        drift.firstMinuteP99Ms = round(percentile(lat.slice(0, minute), 99));
        drift.lastMinuteP99Ms = round(percentile(lat.slice(-minute), 99));
        drift.lastToFirstMinuteP99 = round(drift.lastMinuteP99Ms / drift.firstMinuteP99Ms, 2);
      }
      return {
        bench: 'latency',
        metrics: {
          p50Ms: round(percentile(lat, 50)), p95Ms: round(percentile(lat, 95)), p99Ms: round(percentile(lat, 99)), maxMs: round(percentile(lat, 100)),
          targetRate: rate, achievedRate: Math.round(r.published / sendSeconds), sent: r.published, socketUnique: p.live.unique.size,
          serverAcked: r.serverAcked, complete: r.complete,
          cpuBrokerPct: c.broker!, cpuServerPct: c.server!, cpuInfluxdPct: c.influxd!, devices,
          peakRssServerMiB: peakRssMiB(p.server.pid), ...drift,
        },
        goal: { p99Ms: '< 100', lastToFirstMinuteP99: '<= 1.2 (runs of 2 minutes or more)' },
        notes: ['latency = socket.io arrival event time − scannedAt (set when the device publishes); ms resolution'],
      };
    } finally {
      await pubs.stop();
    }
  } finally {
    await p.stop();
  }
}
