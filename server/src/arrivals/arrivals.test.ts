import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ArrivalEvent } from '@sk/protocol';
import type { AlertCandidate } from '../alerts/rules.ts';
import { DEFAULT_TRAVEL_TIMES, travelMinutes } from './eta.ts';
import { EXPECTED_CODEC, ExpectedArrivals, type ExpectedArrival } from './expected-arrivals.ts';
import { Journal } from './journal.ts';
import { runs } from '../store/rollups.ts';

const dirs: string[] = [];
const temp = () => { const d = mkdtempSync(join(tmpdir(), 'sk-arr-')); dirs.push(d); return d; };
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const event = (scanId: string, village = '35.10.21.2003'): ArrivalEvent => ({
  eventId: 1, scanId, checkpointId: 'ketapang', deviceId: 'ketapang-01', scannedAt: '2026-11-28T01:00:00.000Z', receivedAt: '2026-11-28T01:00:00.000Z',
  nikMasked: '351021••••••0001', name: 'Siti', sex: 'P', birthDate: '1990-07-01', originAddress: '', originRegencyCode: '35.10', originRegencyName: 'Banyuwangi',
  destinationVillageCode: village, destinationVillageName: 'Ketapang', destinationDistrictCode: village.slice(0, 8), destinationDistrictName: 'Kalipuro',
  health: { temperatureC: 36.5, symptoms: [], rapidTest: 'negatif', vaccinationDoses: 2 }, healthStatus: 'sehat',
});

describe('travel time', () => {
  it.each([
    ['ketapang', '35.10.21', 20], // same district
    ['ketapang', '35.10.01', 150], // Pesanggaran, ~65 km south
    ['kalibaru', '35.10.11', 20],
    ['ketapang', '35.99.99', 120], // unknown district: the default
  ])('%s → %s ≈ %i min', (cp, d, min) => expect(travelMinutes(cp, d, DEFAULT_TRAVEL_TIMES)).toBe(min));
  it('an operator table wins', () => expect(travelMinutes('ketapang', '35.10.16', { defaultMin: 120, checkpoints: { ketapang: { '35.10.16': 45 } } })).toBe(45));
});

describe('journal', () => {
  it('keeps the last record per key across reopen and skips a torn final line', () => {
    const file = join(temp(), 'j.jsonl');
    const j = new Journal<{ id: string; v: number }>(file, (r) => r.id);
    j.load();
    j.append({ id: 'a', v: 1 });
    j.append({ id: 'b', v: 1 });
    j.append({ id: 'a', v: 2 });
    j.close();
    appendFileSync(file, '{"id":"c","v"');
    expect(new Journal<{ id: string; v: number }>(file, (r) => r.id).load()).toEqual([{ id: 'a', v: 2 }, { id: 'b', v: 1 }]);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2); // compacted
  });

  it('reads a flushed group (one array line) and the older one-record lines alike, last record winning', () => {
    const file = join(temp(), 'g.jsonl');
    type R = { id: string; v: number };
    writeFileSync(file, '{"id":"a","v":1}\n[{"id":"b","v":1},{"id":"a","v":2}]\n{"id":"b","v":2}\n');
    const j = new Journal<R>(file, (r) => r.id);
    expect(j.load()).toEqual([{ id: 'a', v: 2 }, { id: 'b', v: 2 }]);
    j.append({ id: 'c', v: 1 });
    j.append({ id: 'a', v: 3 });
    j.close();
    expect(readFileSync(file, 'utf8').trim().split('\n').at(-1)).toBe('[{"id":"c","v":1},{"id":"a","v":3}]');
    expect(new Journal<R>(file, (r) => r.id).load()).toEqual([{ id: 'a', v: 3 }, { id: 'b', v: 2 }, { id: 'c', v: 1 }]);
  });

  it('writes a large flush as lines of at most 64 records, in order, last record winning', () => {
    const file = join(temp(), 'big.jsonl');
    type R = { id: string; v: number };
    const j = new Journal<R>(file, (r) => r.id);
    j.load();
    for (let i = 0; i < 150; i++) j.append({ id: `k${i % 140}`, v: i });
    j.close();
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as R[]);
    expect(lines.map((l) => l.length)).toEqual([64, 64, 22]);
    expect(lines.flat().map((r) => r.v)).toEqual(Array.from({ length: 150 }, (_, i) => i));
    const loaded = new Journal<R>(file, (r) => r.id).load();
    expect(loaded).toHaveLength(140);
    expect(loaded.find((r) => r.id === 'k3')).toEqual({ id: 'k3', v: 143 });
  });

  it('compacts in the background without losing a change made meanwhile', async () => {
    const file = join(temp(), 'k.jsonl');
    type R = { id: string; v: number };
    const j = new Journal<R>(file, (r) => r.id, { compactAboveBytes: 10_000 });
    j.load();
    const live = new Map<string, R>();
    const put = (r: R) => {
      live.set(r.id, r);
      j.append(r);
    };
    for (let i = 0; i < 5000; i++) put({ id: `k${i % 500}`, v: i }); // 500 keys, 10 versions each
    j.flush();
    j.compactIfLarge(() => [...live.values()]);
    // While the rewrite runs in slices: new keys, newer versions of old ones, and a flush.
    for (let i = 0; i < 300; i++) put({ id: `k${(i * 7) % 700}`, v: 10_000 + i });
    j.flush();
    await j.idle();
    put({ id: 'last', v: 1 });
    j.close();
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.length).toBeLessThan(1000); // rewritten: 5,000 + 300 lines would be there otherwise
    expect(new Journal<R>(file, (r) => r.id).load().sort((a, b) => a.id.localeCompare(b.id))).toEqual([...live.values()].sort((a, b) => a.id.localeCompare(b.id)));
  });
});

describe('expected arrivals', () => {
  it('goes expected → overdue (one alert) → arrived (alert cleared), and survives a restart', () => {
    const file = join(temp(), 'e.jsonl');
    let now = new Date('2026-11-28T00:00:00.000Z');
    const raised: AlertCandidate[] = [];
    const cleared: string[] = [];
    const make = () => new ExpectedArrivals({ travelTimes: DEFAULT_TRAVEL_TIMES, overdueAfterMs: 3600_000, now: () => now, journalFile: file, raise: (c) => raised.push(c), clearAlert: (k) => cleared.push(k) });
    const book = make();
    book.start(3600_000);
    book.add(event('01JD0000000000000000000001'));
    book.add(event('01JD0000000000000000000001')); // a replay changes nothing
    const r = book.get('01JD0000000000000000000001')!;
    expect(r.eta).toBe('2026-11-28T01:20:00.000Z');
    expect(book.statusOf(r)).toBe('expected');
    now = new Date('2026-11-28T02:20:01.000Z');
    expect([book.checkOverdue(), book.checkOverdue()]).toEqual([1, 0]);
    expect(raised[0]).toMatchObject({ rule: 'arrival_overdue', villageCode: '35.10.21.2003' });
    expect(JSON.stringify(raised)).not.toContain('Siti');
    book.markArrived(r.scanId, 'desa');
    expect(cleared).toEqual(['arrival_overdue|01JD0000000000000000000001']);
    book.stop();
    const again = make();
    again.start(3600_000);
    expect(again.get(r.scanId)).toMatchObject({ arrivedBy: 'desa' });
    again.stop();
  });

  it('journals arrivals in the compact form, and still reads the object lines an older server wrote', () => {
    const file = join(temp(), 'c.jsonl');
    const now = new Date('2026-11-28T00:00:00.000Z');
    const make = () => new ExpectedArrivals({ travelTimes: DEFAULT_TRAVEL_TIMES, overdueAfterMs: 3600_000, now: () => now, journalFile: file, raise: () => {}, clearAlert: () => {} });
    const book = make();
    book.start(3600_000);
    book.add(event('01JD0000000000000000000001'));
    book.add(event('01JD0000000000000000000002'));
    book.markArrived('01JD0000000000000000000002', 'desa');
    book.setHomeUnfit('01JD0000000000000000000002', true);
    const [a, b] = [book.get('01JD0000000000000000000001')!, book.get('01JD0000000000000000000002')!];
    book.stop();
    const last = JSON.parse(readFileSync(file, 'utf8').trim().split('\n').at(-1)!) as unknown[][];
    expect(last.every((v) => Array.isArray(v) && v[0] === 1)).toBe(true);
    expect(readFileSync(file, 'utf8')).not.toContain('"scanId"');
    // An older server's object line for a third arrival, and a line of an unknown later layout.
    const old: ExpectedArrival = { ...a, scanId: '01JD0000000000000000000003' };
    appendFileSync(file, `${JSON.stringify(old)}\n[[9,"01JD0000000000000000000004"]]\n`);
    const again = make();
    again.start(3600_000);
    expect([again.get(a.scanId), again.get(b.scanId), again.get(old.scanId), again.get('01JD0000000000000000000004')]).toEqual([a, b, old, undefined]);
    again.stop();
    for (const r of [a, b, { ...b, overdueAt: '2026-11-28T02:20:01.000Z', homeUnfit: false }]) expect(EXPECTED_CODEC.decode(JSON.parse(JSON.stringify(EXPECTED_CODEC.encode(r))))).toEqual(r);
  });
});

describe('expected arrivals ETA', () => {
  it('follows the server clock from scan to scan, in whole seconds, per route', () => {
    let now = new Date('2026-11-28T03:00:00.000Z');
    const book = new ExpectedArrivals({ travelTimes: DEFAULT_TRAVEL_TIMES, overdueAfterMs: 3600_000, now: () => now, raise: () => {}, clearAlert: () => {} });
    book.add(event('01JD0000000000000000000001'));
    book.add(event('01JD0000000000000000000002', '35.10.01.2001')); // Pesanggaran: a longer trip
    now = new Date('2026-11-28T03:00:00.999Z');
    book.add(event('01JD0000000000000000000003'));
    now = new Date('2026-11-28T03:00:01.000Z');
    book.add(event('01JD0000000000000000000004', '35.10.01.2001'));
    book.add(event('01JD0000000000000000000005'));
    expect(['1', '2', '3', '4', '5'].map((n) => book.get(`01JD000000000000000000000${n}`)?.eta)).toEqual([
      '2026-11-28T03:20:00.000Z', '2026-11-28T05:30:00.000Z', '2026-11-28T03:20:00.000Z', '2026-11-28T05:30:01.000Z', '2026-11-28T03:20:01.000Z',
    ]);
  });
});

describe('rollup ranges', () => {
  it('merges consecutive buckets', () => expect(runs([0, 1, 2, 5], 1)).toEqual([[0, 3], [5, 6]]));
});
