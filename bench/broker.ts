/**
 * broker (issue 4): QoS 1 msgs/s through our broker (credentials, ACL, throttling: startBroker with
 * auth) vs bare aedes (startBroker auth:false, no hooks), same publishers and subscriber, same run.
 * Each broker runs in its own process. Goal: our hooks cost < 10 %.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { addDevice, addServer } from '@sk/broker';
import { CHECKPOINT_IDS } from '@sk/protocol';
import type { BenchResult } from './run.ts';
import { opt, round } from './stats.ts';
import { devicePlan } from './lib/load.ts';
import { mqttRun } from './lib/mqtt-run.ts';
import { startBrokerChild, tempDir } from './lib/pipeline.ts';
import { progress, stopChild } from './lib/proc.ts';

export const help = `Usage: npm run bench -- broker [options]

Options (defaults):
  --messages 100000  QoS 1 scans per run
  --devices 16       publishing devices (mqtt.js), spread over the 4 checkpoints
  --workers 2        publisher worker processes
  --window 100       in-flight QoS 1 publishes per device
  --runs 1           alternating runs of each broker; the median is reported
  --persist          give our broker LevelDB persistence as in production (default: in memory, like bare)
  --timeout 60       hard deadline in seconds per run
Goal: our broker >= 90 % of bare aedes (hooks cost < 10 %).`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(args: string[]): Promise<BenchResult> {
  const messages = opt(args, 'messages', 100_000);
  const devices = opt(args, 'devices', 16);
  const workers = opt(args, 'workers', 2);
  const window = opt(args, 'window', 100);
  const runs = Math.max(1, Math.min(9, opt(args, 'runs', 1)));
  const timeoutMs = opt(args, 'timeout', 60) * 1000;
  const persist = args.includes('--persist');
  const dir = tempDir('broker');
  try {
    const cred = join(dir, 'credentials.json');
    const srv = await addServer(cred, 'bench-sub');
    const plan = devicePlan(CHECKPOINT_IDS, devices, messages);
    for (const d of plan) Object.assign(d, { username: d.deviceId, password: (await addDevice(cred, d)).secret });
    const ours: Awaited<ReturnType<typeof mqttRun>>[] = [];
    const bare: Awaited<ReturnType<typeof mqttRun>>[] = [];
    for (let i = 0; i < runs; i++) {
      // Alternate, so drift in the machine's load hits both alike.
      progress(`run ${i + 1}/${runs}: our broker (auth + ACL${persist ? ' + LevelDB' : ''})`);
      const b = await startBrokerChild({ auth: true, credentials: cred, persistDir: persist ? join(dir, `db${i}`) : undefined });
      try {
        ours.push(await mqttRun({ name: 'ours', url: b.url, broker: b.child, plan, sub: { username: srv.id, password: srv.secret }, workers, window, timeoutMs }));
      } finally {
        await stopChild(b.child);
      }
      progress(`run ${i + 1}/${runs}: bare aedes`);
      const bb = await startBrokerChild({ auth: false });
      try {
        bare.push(await mqttRun({ name: 'bare', url: bb.url, broker: bb.child, plan, workers, window, timeoutMs }));
      } finally {
        await stopChild(bb.child);
      }
    }
    const pick = (rs: typeof ours) => rs.find((r) => r.msgsPerSec === median(rs.map((x) => x.msgsPerSec)))!;
    const o = pick(ours);
    const l = pick(bare);
    return {
      bench: 'broker',
      metrics: { ...o, runs, persistence: persist, allRuns: ours.map((r) => r.msgsPerSec).join(','), messages, devices, window },
      limit: { name: 'bare aedes (startBroker auth:false, in memory), same load', metrics: { ...l, allRuns: bare.map((r) => r.msgsPerSec).join(',') } },
      ratio: { msgsPerSec: round(o.msgsPerSec / l.msgsPerSec, 3) },
      goal: { ratio: '>= 0.90' },
      notes: ['publishers (mqtt.js), subscriber and broker share the 2 cores: the generator is a co-bottleneck (see peer-bench)'],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
