import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox, OutboxFullError, OutboxLockedError } from './outbox.ts';
import { writeFileSync } from 'node:fs';

const dirs: string[] = [];
const freshDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'sk-outbox-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const payload = (i: number) => Buffer.from(JSON.stringify({ i, pad: 'x'.repeat(100) }));
const seqsOf = (o: Outbox) => [...o.pending()].map((p) => p.seq);
const segFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.seg')).sort();

describe('Outbox', () => {
  it('numbers appends from 1 and keeps them in order', async () => {
    const o = await Outbox.open({ dir: freshDir() });
    const seqs = await Promise.all(Array.from({ length: 50 }, (_, i) => o.append(payload(i))));
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(seqsOf(o)).toEqual(seqs);
    expect(JSON.parse(o.get(7)!.payload.toString()).i).toBe(6);
    await o.close();
  });

  it('lets the payload carry its own seq', async () => {
    const o = await Outbox.open({ dir: freshDir() });
    const seq = await o.append((s) => Buffer.from(JSON.stringify({ seq: s })));
    expect(JSON.parse(o.get(seq)!.payload.toString())).toEqual({ seq: 1 });
    await o.close();
  });

  it('keeps pending scans and the sequence across a reopen', async () => {
    const dir = freshDir();
    let o = await Outbox.open({ dir });
    for (let i = 0; i < 10; i++) await o.append(payload(i));
    await o.ack([[1, 4]]);
    await o.close();
    o = await Outbox.open({ dir });
    expect(seqsOf(o)).toEqual([5, 6, 7, 8, 9, 10]);
    expect(await o.append(payload(10))).toBe(11);
    await o.close();
  });

  it('never brings acknowledged scans back, and remembers the seq after everything is compacted away', async () => {
    const dir = freshDir();
    let o = await Outbox.open({ dir, maxBytes: 64 * 1024, segmentBytes: 4096 });
    for (let i = 0; i < 200; i++) await o.append(payload(i));
    expect(segFiles(dir).length).toBeGreaterThan(3);
    expect(await o.ack([[1, 150], [160, 160]])).toBe(151);
    await o.close();
    o = await Outbox.open({ dir, maxBytes: 64 * 1024, segmentBytes: 4096 });
    expect(seqsOf(o)).toEqual([...Array.from({ length: 9 }, (_, i) => 151 + i), ...Array.from({ length: 40 }, (_, i) => 161 + i)]);
    await o.ack([[1, 1_000_000]]);
    // Roll the last segment away too, then reopen: the seq goes on from 201.
    for (let i = 0; i < 5; i++) await o.ack([[201 + i, 201 + i]]);
    await o.close();
    o = await Outbox.open({ dir, maxBytes: 64 * 1024, segmentBytes: 4096 });
    expect(o.depth).toBe(0);
    expect(await o.append(payload(0))).toBe(201);
    await o.close();
  });

  it('deletes fully acknowledged segments', async () => {
    const dir = freshDir();
    const o = await Outbox.open({ dir, maxBytes: 64 * 1024, segmentBytes: 4096 });
    for (let i = 0; i < 200; i++) await o.append(payload(i));
    const before = segFiles(dir).length;
    await o.ack([[1, 200]]);
    await o.append(payload(0)); // a later write lets pending unlinks settle
    await o.close();
    expect(segFiles(dir).length).toBeLessThan(before);
    expect(o.stats().diskBytes).toBeLessThan(4096);
  });

  it('recovers from a torn write by dropping only the torn record', async () => {
    const dir = freshDir();
    let o = await Outbox.open({ dir });
    for (let i = 0; i < 5; i++) await o.append(payload(i));
    await o.close();
    const file = join(dir, segFiles(dir).at(-1)!);
    truncateSync(file, statSync(file).size - 7); // the crash cut the last record mid-way
    o = await Outbox.open({ dir });
    expect(seqsOf(o)).toEqual([1, 2, 3, 4]);
    expect(o.droppedTailBytes).toBeGreaterThan(0);
    // The torn scan was never confirmed to anyone, so its seq may be reused; what follows is intact.
    expect(await o.append(payload(9))).toBe(5);
    await o.close();
    o = await Outbox.open({ dir });
    expect(seqsOf(o)).toEqual([1, 2, 3, 4, 5]);
    expect(o.droppedTailBytes).toBe(0);
    await o.close();
  });

  it('drops a corrupt tail (garbage after the last record)', async () => {
    const dir = freshDir();
    let o = await Outbox.open({ dir });
    await o.append(payload(1));
    await o.close();
    appendFileSync(join(dir, segFiles(dir).at(-1)!), Buffer.from([0, 0, 0, 40, 1, 2, 3, 4, 9, 9, 9]));
    o = await Outbox.open({ dir });
    expect(seqsOf(o)).toEqual([1]);
    await o.close();
  });

  it('refuses new scans when the disk budget is used up, keeps the old ones, and accepts again after acks', async () => {
    const dir = freshDir();
    const o = await Outbox.open({ dir, maxBytes: 32 * 1024, segmentBytes: 4096 });
    let accepted = 0;
    let error: unknown;
    for (let i = 0; i < 1000 && !error; i++) {
      try {
        await o.append(payload(i));
        accepted++;
      } catch (err) {
        error = err;
      }
    }
    expect(error).toBeInstanceOf(OutboxFullError);
    expect((error as Error).message).toMatch(/penuh/);
    expect(o.depth).toBe(accepted);
    expect(o.stats().warning).toBe(true);
    expect(o.stats().diskBytes).toBeLessThanOrEqual(32 * 1024 + 1024);
    await o.ack([[1, accepted]]);
    await o.ack([[1, accepted]]);
    expect(await o.append(payload(0))).toBe(accepted + 1);
    await o.close();
  });

  it('reports stats in the protocol shape with the age of the oldest scan', async () => {
    let now = 1_000_000;
    const o = await Outbox.open({ dir: freshDir(), maxBytes: 1 << 20, now: () => now });
    expect(o.stats()).toMatchObject({ depth: 0, oldestAgeSec: null, diskLimitBytes: 1 << 20, warning: false });
    await o.append(payload(1));
    now += 42_000;
    await o.append(payload(2));
    expect(o.stats()).toMatchObject({ depth: 2, oldestAgeSec: 42 });
    await o.close();
  });

  it('replays 100k records in order after a reopen', async () => {
    const dir = freshDir();
    let o = await Outbox.open({ dir, maxBytes: 512 * 1024 * 1024 });
    const batch: Promise<number>[] = [];
    for (let i = 0; i < 100_000; i++) batch.push(o.append(Buffer.from(`{"i":${i}}`)));
    await Promise.all(batch);
    await o.close();
    o = await Outbox.open({ dir, maxBytes: 512 * 1024 * 1024 });
    let expected = 1;
    for (const p of o.pending()) {
      expect(p.seq).toBe(expected);
      expected++;
    }
    expect(expected).toBe(100_001);
    await o.close();
  });

  it('rejects appends after close', async () => {
    const o = await Outbox.open({ dir: freshDir() });
    await o.close();
    await expect(o.append(payload(1))).rejects.toThrow(/closed/);
  });

  it('refuses a second writer on the same outbox, but takes over a lock left by a dead process', async () => {
    const dir = freshDir();
    const o = await Outbox.open({ dir });
    await expect(Outbox.open({ dir })).rejects.toBeInstanceOf(OutboxLockedError);
    await o.close();
    writeFileSync(join(dir, 'LOCK'), '2147483646'); // no such process
    const again = await Outbox.open({ dir });
    await again.close();
  });
});
