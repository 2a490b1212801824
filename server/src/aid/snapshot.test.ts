import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { loadRegions } from '@sk/protocol/regions';
import type { HandoutInput } from '@sk/protocol';
import { Aid } from './aid.ts';

const regions = loadRegions();
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const aidAt = (dataDir: string) => new Aid({ dataDir, regions, secret: 'snapshot-test-secret-0123', emit: () => {}, capacityHint: 64, snapshotEvery: 0 });
let serial = 1;
/** Every 3rd handout repeats an earlier person: doubles, alarms and audit rows are part of the state. */
function handouts(n: number): HandoutInput[] {
  return Array.from({ length: n }, (_, i) => {
    const p = i % 3 === 2 ? serial - 2 : serial++;
    return { handoutId: ulid(), programmeId: ['bst', 'pkh', 'bst'][i % 3]!, nik: `35102112079${String(p).padStart(5, '0')}`, kk: `35102123041${String(p >> 1).padStart(5, '0')}`, name: `Warga ${p}`, birthDate: '1990-07-12', villageCode: regions.villages[i % 200]!.code, date: '2026-11-28' };
  });
}
/** Everything a restart must reproduce: the matches of every handout, the alarms and the audit. */
function observe(aid: Aid, hs: HandoutInput[]) {
  return {
    entries: aid.index.entries,
    checks: hs.map((h) => aid.index.check({ programmeId: h.programmeId, date: h.date, person: { hi: 0, lo: 0 }, name: null }).length + JSON.stringify(aid.check({ ...h, kk: h.kk }, 'probe').matches)),
    alarms: aid.alarms(null, false),
  };
}

describe('aid index snapshot', () => {
  it('snapshot + journal tail rebuilds exactly what a full journal replay does; a corrupt snapshot falls back to the full replay', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sk-aid-snap-'));
    dirs.push(dir);
    const all = handouts(300);
    const a = aidAt(dir);
    a.start();
    expect(a.rebuild).toMatchObject({ from: 'journal', reason: 'missing' });
    a.record(all.slice(0, 200), 'test');
    a.stop(); // clean stop: snapshot written
    expect(a.lastSnapshot).toMatchObject({ ok: true });
    const snap = join(dir, 'server', 'aid', 'index.snap');
    const good = readFileSync(snap);

    const b = aidAt(dir);
    b.start();
    expect(b.rebuild.from).toBe('snapshot');
    b.record(all.slice(200), 'test'); // the tail, after the snapshot
    const tailSnap = readFileSync(snap);
    expect(tailSnap.equals(good)).toBe(true); // b has not stopped: its tail is only in the journal
    // b "crashes" here (no stop). c: old snapshot + tail; d: full replay.
    const c = aidAt(dir);
    c.start();
    expect(c.rebuild).toMatchObject({ from: 'snapshot', lines: expect.any(Number) });
    expect(c.rebuild.lines).toBeLessThan(200);
    const viaSnapshot = observe(c, all);
    c.stop();

    writeFileSync(snap, good); // the snapshot from before the tail again
    const bytes = Buffer.from(good);
    bytes.writeUInt8(bytes[200]! ^ 0xff, 200); // flipped bits in the slots
    writeFileSync(snap, bytes);
    const d = aidAt(dir);
    d.start();
    expect(d.rebuild).toMatchObject({ from: 'journal', reason: 'checksum mismatch' });
    const viaJournal = observe(d, all);
    d.stop();
    expect(viaSnapshot.checks).toEqual(viaJournal.checks);
    expect(viaSnapshot.entries).toBe(viaJournal.entries);
    expect(viaSnapshot.alarms).toEqual(viaJournal.alarms);
    expect(viaJournal.alarms.length).toBeGreaterThan(50);
  });

  it.each([
    ['a truncated snapshot', (snap: string) => writeFileSync(snap, readFileSync(snap).subarray(0, 1000)), 'length mismatch'],
    ['a shorter journal', (_: string, journal: string) => writeFileSync(journal, readFileSync(journal).subarray(0, 100)), 'journal shorter than the snapshot'],
    ['another journal of the same length', (_: string, journal: string) => writeFileSync(journal, Buffer.alloc(readFileSync(journal).length + 10, 0x0a)), 'journal does not match the snapshot'],
    ['not a snapshot', (snap: string) => writeFileSync(snap, Buffer.alloc(4096, 1)), 'not a snapshot'],
  ])('%s → full replay, never a crash', (_name, spoil, reason) => {
    const dir = mkdtempSync(join(tmpdir(), 'sk-aid-snap-'));
    dirs.push(dir);
    const a = aidAt(dir);
    a.start();
    a.record(handouts(30), 'test');
    a.stop();
    const snap = join(dir, 'server', 'aid', 'index.snap');
    expect(existsSync(snap)).toBe(true);
    spoil(snap, join(dir, 'server', 'aid', 'journal.jsonl'));
    const b = aidAt(dir);
    b.start();
    expect(b.rebuild).toMatchObject({ from: 'journal', reason });
    b.stop();
  });

  it('a background snapshot taken while handouts go on is the state of its own instant: snapshot + tail = full replay', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sk-aid-snap-'));
    dirs.push(dir);
    const all = handouts(300);
    const a = aidAt(dir);
    a.start();
    a.record(all.slice(0, 150), 'test');
    const writing = a.snapshotInBackground();
    a.record(all.slice(150), 'test'); // while the copy is written: must land in the journal tail, not in the snapshot
    await writing;
    expect(a.lastSnapshot).toMatchObject({ ok: true });
    const before = observe(a, all);
    // a crashes (no stop): the next start reads the background snapshot plus the journal after it.
    const b = aidAt(dir);
    b.start();
    expect(b.rebuild).toMatchObject({ from: 'snapshot' });
    expect(b.rebuild.lines).toBeGreaterThanOrEqual(150); // the tail: the second half and what it raised
    const after = observe(b, all);
    b.stop();
    expect(after).toEqual(before);
  });

  it('a background snapshot still being written when the server stops is discarded, not renamed over the newer one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sk-aid-snap-'));
    dirs.push(dir);
    const a = aidAt(dir);
    a.start();
    a.record(handouts(40), 'test');
    const writing = a.snapshotInBackground();
    a.record(handouts(10), 'test');
    a.stop(); // synchronous snapshot of all 50
    await writing;
    const b = aidAt(dir);
    b.start();
    expect(b.rebuild).toMatchObject({ from: 'snapshot', lines: 0 });
    b.stop();
  });
});
