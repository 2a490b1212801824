import { describe, expect, it } from 'vitest';
import { HashTable } from './hash-table.ts';

/** A tiny deterministic PRNG (mulberry32): failures replay exactly. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Entry = { tag: number; aux: number; village: number; at: number };

describe('hash table (Robin Hood, key-grouped) against a Map model', () => {
  it.each([1, 2, 3, 4])('random adds, removes, lookups and scans agree with the model (seed %i)', (seed) => {
    const r = rng(seed);
    const keys = Array.from({ length: 40 }, (_, i) => ({ hi: i % 3 === 0 ? 7 : (r() * 2 ** 32) >>> 0, lo: (r() * 2 ** 32) >>> 0 }));
    // Tags carry their group (tag & 3) as the index does: the table finds the group again when it rehashes.
    const groupOfTag = (t: number) => t & 3;
    const t = new HashTable(4, groupOfTag, 0.6);
    const model = new Map<string, Entry[]>();
    const id = (k: number, g: number) => `${k}/${g}`;
    const want = new Uint32Array(4);
    for (let op = 0; op < 20_000; op++) {
      const k = Math.floor(r() * keys.length);
      const tag = 1 + Math.floor(r() * 12);
      const g = groupOfTag(tag);
      const key = keys[k]!;
      const list = model.get(id(k, g)) ?? [];
      const x = r();
      if (x < 0.55) {
        const e = { tag, aux: Math.floor(r() * 5), village: Math.floor(r() * 217), at: op };
        t.add(key.hi, key.lo, g, e.tag, e.village, e.at, e.aux);
        list.push(e);
        model.set(id(k, g), list);
      } else if (x < 0.8) {
        const aux = Math.floor(r() * 5);
        const i = list.findIndex((e) => e.tag === tag && e.aux === aux);
        expect(t.remove(key.hi, key.lo, g, tag, aux)).toBe(i >= 0);
        if (i >= 0) list.splice(i, 1);
      } else if (x < 0.9) {
        const aux = Math.floor(r() * 5);
        expect(t.has(key.hi, key.lo, g, tag, aux)).toBe(list.some((e) => e.tag === tag && e.aux === aux));
      } else {
        // Scan for up to 3 tags of one group at once, as a check does.
        const tags = [tag, ((tag + 4 - 1) % 12) + 1, ((tag + 8 - 1) % 12) + 1].filter((v) => groupOfTag(v) === g);
        tags.forEach((v, i) => (want[i] = v));
        const n = t.scan(key.hi, key.lo, g, want, 0, tags.length, 0);
        const got = [];
        for (let h = 0; h < n; h += 2) {
          const s = t.hits[h]!;
          got.push({ tag: t.tag(s), aux: t.aux(s), village: t.village(s), at: t.at(s), k: t.hits[h + 1] });
        }
        // Same entries, and within one tag in the order they were added (the index reports the earliest first).
        const expected = list.filter((e) => tags.includes(e.tag)).map((e) => ({ ...e, k: tags.indexOf(e.tag) }));
        const byTag = (a: { tag: number; at: number }, b: { tag: number; at: number }) => a.tag - b.tag || a.at - b.at;
        expect(got.sort(byTag)).toEqual(expected.sort(byTag));
      }
    }
    expect(t.size).toBe([...model.values()].reduce((s, l) => s + l.length, 0));
    expect(t.size / t.capacity).toBeLessThanOrEqual(0.6);
  });

  it('many entries under one key stay findable through growth, and removal shifts the rest back', () => {
    const t = new HashTable(16, () => 0);
    for (let i = 0; i < 2_000; i++) t.add(1, 2, 0, 1 + (i % 7), i % 217, i, i);
    for (let i = 0; i < 2_000; i += 2) expect(t.remove(1, 2, 0, 1 + (i % 7), i)).toBe(true);
    for (let i = 0; i < 2_000; i++) expect(t.has(1, 2, 0, 1 + (i % 7), i)).toBe(i % 2 === 1);
    expect(t.size).toBe(1_000);
    const s = t.probeStats();
    expect(s.load).toBeLessThanOrEqual(0.6);
    expect(s.maxDistance).toBeLessThan(2_000);
  });

  it('an image round-trips; an inconsistent image is refused', () => {
    const t = new HashTable(100, () => 0);
    for (let i = 0; i < 50; i++) t.add(i, i * 3, 0, 5, 1, i, i);
    const img = t.image();
    const u = HashTable.fromImage({ ...img, words: img.words.slice() }, () => 0);
    for (let i = 0; i < 50; i++) expect(u.has(i, i * 3, 0, 5, i)).toBe(true);
    expect(u.size).toBe(50);
    expect(() => HashTable.fromImage({ ...img, capacity: img.capacity + 1 }, () => 0)).toThrow(RangeError);
  });

  it('the home bitmap never says "absent" for a key that has entries: after growth, removals and an image load', () => {
    const r = rng(9);
    const t = new HashTable(8, (tag) => tag & 3);
    const keys = Array.from({ length: 3_000 }, () => ({ hi: (r() * 2 ** 32) >>> 0, lo: (r() * 2 ** 32) >>> 0, g: Math.floor(r() * 4) }));
    keys.forEach((k, i) => i % 3 !== 0 && t.add(k.hi, k.lo, k.g, 4 + k.g, 1, i, i));
    keys.forEach((k, i) => i % 6 === 1 && t.remove(k.hi, k.lo, k.g, 4 + k.g, i));
    const img = t.image();
    const u = HashTable.fromImage({ ...img, words: img.words.slice() }, (tag) => tag & 3);
    const want = new Uint32Array([4, 5, 6, 7]);
    let absent = 0;
    for (const table of [t, u]) {
      keys.forEach((k, i) => {
        const h = table.home(k.hi, k.lo, k.g);
        const may = table.maybe3(h, -1, h);
        const held = i % 3 !== 0 && i % 6 !== 1;
        if (held) expect(may).toBe(5);
        if (may === 0) absent++;
        // Whatever the bitmap says, a scan from the home finds exactly the held entry.
        expect(table.scanAt(k.hi, k.lo, h, want, 0, 4, 0)).toBe(held ? 2 : 0);
      });
    }
    // Most never-added keys are answered by the bitmap alone (their home holds nobody).
    expect(absent).toBeGreaterThan(keys.length / 3);
  });
});
