import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Scan } from '@sk/protocol';
import { createLogger } from '../log.ts';
import { Spool } from '../store/spool.ts';
import { StoreUnavailableError, type ScanStore } from '../store/scan-store.ts';
import { openDatabase, type RecordsDb } from '../db/database.ts';
import { countScans } from '../db/scan-rows.ts';
import { ScanWriter } from './scan-writer.ts';

const scan = (seq: number): Scan => ({
  v: 1, scanId: `01JD${String(seq).padStart(22, '0')}`, checkpointId: 'ketapang', deviceId: 'ketapang-01', seq,
  scannedAt: '2026-11-28T01:02:03.456Z', nik: '3510210107900001', name: 'A', sex: 'L', birthDate: '1990-07-01',
  originAddress: '', destinationVillageCode: '35.10.21.2003', health: { temperatureC: 36.5, symptoms: [], rapidTest: 'negatif', vaccinationDoses: 0 },
});

/** A store whose writes finish when the test says so, in any order (a stand-in for InfluxDB's round trips). */
function controlledStore() {
  const writes: { seqs: number[]; finish: (err?: Error) => void }[] = [];
  const store = {
    // The seq is the point's last digits of its nanosecond timestamp (arrival-point.ts).
    writeLines: (lines: readonly string[]) => new Promise<void>((resolve, reject) => writes.push({ seqs: lines.map((l) => Number(l.slice(-6))), finish: (err) => (err ? reject(err) : resolve()) })),
  } as unknown as ScanStore;
  return { store, writes };
}

const dirs: string[] = [];
const dbs: RecordsDb[] = [];
afterEach(async () => {
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
  for (const db of dbs.splice(0)) await db.close();
});

async function writer(store: ScanStore, concurrency = 2, rdb?: RecordsDb) {
  const dir = mkdtempSync(join(tmpdir(), 'sk-writer-'));
  dirs.push(dir);
  const spool = new Spool(join(dir, 'spool'));
  const rejected = new Spool(join(dir, 'rejected'));
  spool.start();
  rejected.start();
  const acks: number[][] = [];
  const announced: number[] = [];
  const db = rdb ?? (await openDatabase({ sqliteFile: ':memory:' }));
  if (!rdb) dbs.push(db);
  const w = new ScanWriter({
    rdb: db, feverC: 37.5, eta: (s) => s.scannedAt,
    store, spool, rejected, log: createLogger('silent'), maxPoints: 2, maxMs: 1_000, concurrency,
    ack: (_cp, _dev, ranges) => acks.push(ranges.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i))),
    onInserted: (scans) => announced.push(...scans.map((s) => s.seq)),
  });
  return { w, acks, spool, db, announced };
}

const tick = () => new Promise((r) => setTimeout(r, 5));
const entry = (seq: number) => ({ scan: scan(seq), receivedAt: '2026-11-28T01:02:04.000Z' });

describe('ScanWriter', () => {
  it('writes two batches at once but acknowledges them in batch order, a duplicate only after its original is stored', async () => {
    const { store, writes } = controlledStore();
    const { w, acks, announced, db } = await writer(store);
    w.enqueue(entry(1));
    w.enqueue(entry(2)); // batch 1 full: written at once
    w.enqueue(entry(3));
    w.enqueue(entry(1)); // batch 2: a redelivery of seq 1
    await tick();
    expect(writes.map((x) => x.seqs)).toEqual([[1, 2], [3, 1]]); // both in flight; the redelivery's point is written again on its stored time (idempotent)
    writes[1]!.finish(); // the later batch is stored first…
    await tick();
    expect(acks).toEqual([]); // …but nothing is acknowledged before batch 1 is durable
    writes[0]!.finish();
    await w.flush();
    expect(acks).toEqual([[1, 2], [1, 3]]);
    expect(w.counters.stored).toBe(3);
    expect(w.counters.duplicates).toBe(1);
    expect(announced).toEqual([1, 2, 3]); // the redelivery is not announced again
    expect(await countScans(db)).toBe(3);
  });

  it('never has more writes in flight than its concurrency', async () => {
    const { store, writes } = controlledStore();
    const { w } = await writer(store, 2);
    for (let i = 1; i <= 8; i++) w.enqueue(entry(i));
    await tick();
    expect(writes).toHaveLength(2);
    writes[0]!.finish();
    await tick();
    expect(writes).toHaveLength(3);
    for (const x of writes.slice(1)) x.finish();
    await tick();
    writes[3]!.finish();
    await w.flush();
    expect(w.counters.stored).toBe(8);
    expect(w.pending).toBe(0);
  });

  it('a failed batch is spooled and acknowledged in its place, after the batch before it, even when a later one was stored', async () => {
    const { store, writes } = controlledStore();
    const { w, acks, spool } = await writer(store);
    for (let i = 1; i <= 4; i++) w.enqueue(entry(i));
    await tick();
    writes[1]!.finish(); // batch 2 stored
    writes[0]!.finish(new StoreUnavailableError('influxdb unavailable: test')); // batch 1: the store went down
    await w.flush();
    expect(acks).toEqual([[1, 2], [3, 4]]);
    expect(w.counters.stored).toBe(4); // all four rows are in the database…
    expect(spool.depth).toBe(2); // …and batch 1's points wait in the spool
    expect(w.storeUp).toBe(false);
  });

  it('acknowledges nothing when the database refuses a batch, and takes the resend once it is back', async () => {
    const { store, writes } = controlledStore();
    const db = await openDatabase({ sqliteFile: ':memory:' });
    dbs.push(db);
    const { w, acks } = await writer(store, 2, db);
    const raw = db.exclusive!;
    await raw((h) => h.exec('create trigger refuse before insert on scans begin select raise(abort, \'disk full (test)\'); end'));
    w.enqueue(entry(1));
    w.enqueue(entry(2));
    await w.flush();
    expect(acks).toEqual([]);
    expect(writes).toHaveLength(0);
    expect(w.dbUp).toBe(false);
    expect(w.counters.dropped).toBe(2);
    await raw((h) => h.exec('drop trigger refuse'));
    w.enqueue(entry(1));
    w.enqueue(entry(2));
    await tick();
    writes[0]!.finish();
    await w.flush();
    expect(acks).toEqual([[1, 2]]);
    expect(w.dbUp).toBe(true);
    expect(await countScans(db)).toBe(2);
  });
});
