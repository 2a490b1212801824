/**
 * Outbox benchmark (issue 4), called by bench/run.ts: durable appends/s (every append awaited until
 * fsynced; group commit lets concurrent appends share an fsync) and the time to recover and replay
 * 100k pending scans after a restart. Goals: ≥ 5,000 appends/s, replay of 100k < 30 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Outbox } from './outbox.ts';
import { validScanInput } from './fixtures.ts';

export interface OutboxBenchOptions {
  /** Durable appends to time (default 50,000). */
  n?: number;
  /** Parent directory for the temp outboxes (default the OS temp dir); use the device's real disk. */
  dir?: string;
  /** Producers appending at once (default 256). */
  concurrency?: number;
  /** Pending scans to replay (default 100,000). */
  replayN?: number;
  /** Bound on the timed phases (default 120 s each). */
  maxMs?: number;
}

export interface OutboxBenchResult {
  n: number;
  concurrency: number;
  payloadBytes: number;
  appendsPerSec: number;
  /** One producer, each append awaited before the next: one fsync per scan. */
  sequentialAppendsPerSec: number;
  replayRecords: number;
  replay100kMs: number;
  diskBytesFor100k: number;
}

/** A realistic Scan payload (~450 B of JSON). */
function scanPayload(seq: number): Buffer {
  const scan = { v: 1, scanId: '01JDQ6X7Y8Z9ABCDEFGHJKMNPQ', checkpointId: 'ketapang', deviceId: 'ketapang-01', seq, scannedAt: new Date(0).toISOString(), ...validScanInput(seq) };
  return Buffer.from(JSON.stringify(scan));
}

async function appendConcurrently(o: Outbox, n: number, concurrency: number, deadline: number): Promise<number> {
  let issued = 0;
  const producer = async () => {
    while (issued < n && Date.now() < deadline) {
      issued++;
      await o.append(scanPayload);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, producer));
  return issued;
}

export async function runOutboxBench(opts: OutboxBenchOptions = {}): Promise<OutboxBenchResult> {
  const n = opts.n ?? 50_000;
  const concurrency = opts.concurrency ?? 256;
  const replayN = opts.replayN ?? 100_000;
  const maxMs = opts.maxMs ?? 120_000;
  const root = mkdtempSync(join(opts.dir ?? tmpdir(), 'sk-outbox-bench-'));
  try {
    const big = 1024 * 1024 * 1024;
    // 1. Durable appends/s with concurrent producers (group commit).
    let o = await Outbox.open({ dir: join(root, 'a'), maxBytes: big });
    let t0 = performance.now();
    const done = await appendConcurrently(o, n, concurrency, Date.now() + maxMs);
    const appendsPerSec = done / ((performance.now() - t0) / 1000);
    await o.close();

    // 2. One producer: the floor, one fsync per scan (bounded to 3 s).
    o = await Outbox.open({ dir: join(root, 'b'), maxBytes: big });
    t0 = performance.now();
    let seqDone = 0;
    while (seqDone < 2000 && performance.now() - t0 < 3000) {
      await o.append(scanPayload);
      seqDone++;
    }
    const sequentialAppendsPerSec = seqDone / ((performance.now() - t0) / 1000);
    await o.close();

    // 3. Replay: 100k pending scans on disk, then open (recover) and walk them in order.
    o = await Outbox.open({ dir: join(root, 'c'), maxBytes: big });
    await appendConcurrently(o, replayN, 1024, Date.now() + maxMs);
    const written = o.depth;
    await o.close();
    t0 = performance.now();
    o = await Outbox.open({ dir: join(root, 'c'), maxBytes: big });
    let replayed = 0;
    let last = 0;
    for (const p of o.pending()) {
      if (p.seq <= last) throw new Error('replay out of order');
      last = p.seq;
      replayed++;
    }
    const replayMs = performance.now() - t0;
    const diskBytes = o.diskBytes;
    await o.close();
    if (replayed !== written) throw new Error(`replayed ${replayed} of ${written}`);

    return {
      n: done,
      concurrency,
      payloadBytes: scanPayload(1).length,
      appendsPerSec: Math.round(appendsPerSec),
      sequentialAppendsPerSec: Math.round(sequentialAppendsPerSec),
      replayRecords: replayed,
      replay100kMs: Math.round(replayMs * (100_000 / Math.max(1, replayed))),
      diskBytesFor100k: Math.round(diskBytes * (100_000 / Math.max(1, replayed))),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

// `npx tsx edge-agent/src/bench-outbox.ts [n]` prints the result as one JSON line.
if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--help')) {
    process.stdout.write('Usage: tsx edge-agent/src/bench-outbox.ts [n]   durable outbox appends/s and 100k replay time (one JSON line)\n');
  } else {
    runOutboxBench({ n: Number(process.argv[2] ?? 50_000) }).then((r) => process.stdout.write(`${JSON.stringify(r)}\n`));
  }
}
