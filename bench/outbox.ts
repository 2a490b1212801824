/**
 * outbox (issue 4): the device's durable outbox — appends/s with fsync (group commit, concurrent
 * producers, plus the one-producer floor of one fsync per scan) and the time to reopen and replay
 * 100k pending scans. Drives the edge agent's own runOutboxBench (edge-agent/src/bench-outbox.ts).
 */
import { runOutboxBench } from '../edge-agent/src/bench-outbox.ts';
import type { BenchResult } from './run.ts';
import { opt, progress, round } from './stats.ts';

export const help = `Usage: npm run bench -- outbox [options]

Options (defaults):
  --appends 50000      durable appends to time
  --concurrency 256    producers appending at once (they share fsyncs: group commit)
  --replay 100000      pending scans to recover and replay after a reopen
  --dir <tmpdir>       parent directory of the temp outboxes (put it on the device's real disk)
  --max-seconds 120    bound on each timed phase
Goals: >= 5,000 durable appends/s; replay of 100k < 30 s.`;

export async function run(args: string[]): Promise<BenchResult> {
  const n = opt(args, 'appends', 50_000);
  const concurrency = opt(args, 'concurrency', 256);
  const replayN = opt(args, 'replay', 100_000);
  const dir = opt(args, 'dir', '') || undefined;
  const maxMs = opt(args, 'max-seconds', 120) * 1000;
  progress(`outbox: ${n} fsynced appends with ${concurrency} producers, then replay of ${replayN}`);
  const r = await runOutboxBench({ n, concurrency, replayN, dir, maxMs });
  return {
    bench: 'outbox',
    metrics: {
      appendsPerSec: Math.round(r.appendsPerSec),
      sequentialAppendsPerSec: Math.round(r.sequentialAppendsPerSec),
      replayRecords: r.replayRecords,
      replay100kMs: Math.round(r.replay100kMs),
      diskMiBFor100k: round(r.diskBytesFor100k / 2 ** 20),
      payloadBytes: r.payloadBytes,
      concurrency: r.concurrency,
      appends: r.n,
    },
    goal: { appendsPerSec: '>= 5000', replay100kMs: '< 30000' },
    notes: [`disk: ${dir ?? 'OS temp dir'}; fsync cost depends on the device's storage`],
  };
}
