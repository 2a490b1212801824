import { describe, expect, it } from 'vitest';
import { HashTable } from './hash-table.ts';
import { MemoryDoubleAidIndex, type IndexedHandout } from './double-index.ts';
import { AidKeys, handoutHash } from './keys.ts';

const keys = new AidKeys(Buffer.alloc(32, 7));
let n = 0;
function handout(over: Partial<{ nik: string; kk: string; name: string; birth: string; programmeId: string; date: string; village: number; id: string }> = {}): IndexedHandout {
  const o = { nik: '3510214107900001', kk: '3510212304150007', name: 'Siti Aminah', birth: '1990-07-01', programmeId: 'bst', date: '2026-11-28', village: 1, id: `h${++n}`, ...over };
  return { programmeId: o.programmeId, date: o.date, village: o.village, at: 1_790_000_000 + n, handout: handoutHash(o.id), person: keys.person(o.nik), household: keys.household(o.kk), name: keys.nameBirth(o.name, o.birth) };
}

describe('double-aid index', () => {
  it('a first handout is clean; the same NIK, programme and period anywhere is a critical double', () => {
    const ix = new MemoryDoubleAidIndex();
    expect(ix.record(handout({ village: 3 })).matches).toEqual([]);
    const r = ix.record(handout({ village: 9, kk: '3510212304150099' }));
    expect(r.matches).toMatchObject([{ kind: 'same_nik', severity: 'critical', programmeId: 'bst', period: '2026-11', village: 3 }]);
  });

  it('the same handout redelivered is not a double', () => {
    const ix = new MemoryDoubleAidIndex();
    const h = handout({ id: 'same' });
    ix.record(h);
    expect(ix.record({ ...h })).toEqual({ redelivered: true, matches: [] });
    expect(ix.entries).toBe(3);
  });

  it('another period is not a double; another month of a quarterly programme in the same quarter is', () => {
    const ix = new MemoryDoubleAidIndex();
    ix.record(handout({ date: '2026-10-05' }));
    expect(ix.record(handout({ date: '2026-11-05' })).matches).toEqual([]);
    ix.record(handout({ programmeId: 'pkh', date: '2026-10-05' }));
    expect(ix.record(handout({ programmeId: 'pkh', date: '2026-12-30' })).matches.map((m) => m.kind)).toEqual(['same_nik']);
  });

  it('one earlier handout is one match, though its person and household entries both match; its hash stays unsigned', () => {
    const ix = new MemoryDoubleAidIndex();
    // Ids picked so the handout hashes cover both halves of the 32-bit range (the index compares them as int32).
    const ids = Array.from({ length: 64 }, (_, i) => `h-big-${i}`);
    const big = ids.find((id) => handoutHash(id) >= 2 ** 31)!;
    const first = handout({ id: big });
    ix.record(first);
    const second = handout({ village: 5 });
    const r = ix.record(second);
    expect(r.matches.map((m) => [m.kind, m.handout])).toEqual([['same_nik', first.handout]]);
    expect(first.handout).toBeGreaterThanOrEqual(2 ** 31);
    // The handout itself, checked with its own hash excluded (as record does), matches only the later one.
    expect(ix.check(first, first.handout).map((m) => m.handout)).toEqual([second.handout]);
  });

  it('same KK, different person, household programme → same_kk; person programme → nothing', () => {
    const ix = new MemoryDoubleAidIndex();
    ix.record(handout({ nik: '3510214107900001', programmeId: 'bst' }));
    expect(ix.record(handout({ nik: '3510210107900002', name: 'Budi', programmeId: 'bst' })).matches.map((m) => m.kind)).toEqual(['same_kk']);
    ix.record(handout({ nik: '3510214107900001', programmeId: 'bansos-bwi' }));
    expect(ix.record(handout({ nik: '3510210107900002', name: 'Budi', programmeId: 'bansos-bwi' })).matches).toEqual([]);
  });

  it.each([
    ['bpnt', 'bst'],
    ['bst', 'bpnt'],
    ['blt-dd', 'pkh'],
    ['pkh', 'blt-dd'],
  ])('conflicting programmes %s then %s → major conflict, both directions', (first, second) => {
    const ix = new MemoryDoubleAidIndex();
    ix.record(handout({ programmeId: first }));
    expect(ix.record(handout({ programmeId: second, nik: '3510210107900003', name: 'Lain' })).matches).toMatchObject([{ kind: 'conflict', severity: 'major', programmeId: first }]);
  });

  it('same normalised name and birth date with a different NIK → minor possible double', () => {
    const ix = new MemoryDoubleAidIndex();
    ix.record(handout({ name: 'Hj. SITI  aminah', kk: '3510212304150001' }));
    const r = ix.record(handout({ nik: '3510214107900077', name: 'Siti Aminah, S.Pd', kk: '3510212304150002' }));
    expect(r.matches).toMatchObject([{ kind: 'possible_double', severity: 'minor' }]);
  });

  it('a cancelled handout leaves the index', () => {
    const ix = new MemoryDoubleAidIndex();
    const a = handout();
    ix.record(a);
    const b = handout();
    expect(ix.record(b).matches).toHaveLength(1);
    expect(ix.cancel(b)).toBe(true);
    expect(ix.cancel(b)).toBe(false);
    expect(ix.check({ ...handout() }).map((m) => m.kind)).toEqual(['same_nik']);
    expect(ix.cancel(a)).toBe(true);
    expect(ix.check(handout())).toEqual([]);
  });

  it('stays correct through growth, tombstones and rehashes (10k people × 5 programmes)', () => {
    const ix = new MemoryDoubleAidIndex(16);
    const people = 10_000;
    const progs = ['blt-dd', 'bst', 'pkh', 'bpnt', 'bansos-bwi'];
    const keyOf = (i: number) => ({ hi: i * 2654435761, lo: i });
    for (let i = 0; i < people; i++)
      for (const p of ['pkh', 'bansos-bwi'])
        expect(ix.record({ programmeId: p, date: '2026-11-01', village: i % 217, at: i, handout: i * 10 + p.length, person: keyOf(i), household: keyOf(i + 1e6), name: null }).matches).toEqual([]);
    for (let i = 0; i < people; i += 2) ix.cancel({ programmeId: 'pkh', date: '2026-11-01', village: 0, at: 0, handout: i * 10 + 3, person: keyOf(i), household: keyOf(i + 1e6), name: null });
    for (let i = 0; i < people; i++) {
      const m = ix.check({ programmeId: 'pkh', date: '2026-11-20', person: keyOf(i), household: keyOf(i + 1e6) });
      expect(m.length).toBe(i % 2 === 0 ? 0 : 1);
    }
    expect(progs).toHaveLength(5);
  });

  it('hash table rejects reserved tags and counts bytes', () => {
    const t = new HashTable(10, () => 0, 0.5);
    expect(() => t.add(1, 2, 0, 0, 0, 0, 0)).toThrow(RangeError);
    expect(() => t.add(1, 2, 0, 0xffffffff, 0, 0, 0)).toThrow(RangeError);
    expect(t.bytes).toBe(20 * 24 + 4); // slots + the home bitmap (one bit per slot)
  });
});
