/**
 * A compact open-addressing multimap for the double-aid index: one slot = 6 words (24 bytes) in ONE
 * interleaved Uint32Array — key hi, key lo, tag, aux, time, village | probe distance << 16 — so a
 * probe reads one place in memory, not six arrays (issue 6: at 24 M entries every extra array is a
 * cache miss). No JS object per entry, so the GC never walks them.
 *
 * The home slot is hashed from the KEY and a caller-chosen 16-bit `group` only, never the tag: all of
 * a person's entries of one group (every programme and period in it) sit side by side, and
 * {@link HashTable.scan} collects every tag of interest in a single pass over them.
 *
 * Robin Hood linear probing: an entry never sits farther from its home than the entry it passed, so
 * entries of one home are contiguous (in insertion order) and a lookup stops as soon as it meets an
 * entry closer to its own home than the lookup is — a miss reads ~2 slots, even though one household
 * key may own 16+ entries (plain linear probing measured 24 slots per miss, runs up to 979, at load
 * 0.6). Deletion shifts the following entries back (no tombstones, so no rebuilds after cancels).
 * The capacity is not a power of two (home = multiply-high), so the load factor can be chosen freely.
 *
 * Pure: no I/O. Several entries may share a (key, tag): a double that was recorded stays until resolved.
 */

import { probeStats, type ProbeStats } from './probe-stats.ts';

const EMPTY = 0;
const RESERVED = 0xffffffff;
/** Words per slot: 0 hi, 1 lo, 2 tag, 3 aux, 4 at, 5 village (low 16) | distance from home (high 16). */
export const STRIDE = 6;
const TWO32 = 4294967296;
/** One home's entries are capped (16-bit distance): far beyond any person, household or name. */
export const MAX_DISTANCE = 0xffff;
/** Words of a run that {@link HashTable.maybe3} pulls into cache ahead of the scan (16 slots). */
const TOUCH_WORDS = 16 * STRIDE;

export type { ProbeStats } from './probe-stats.ts';

export interface TableImage { words: Uint32Array; capacity: number; size: number; maxLoad: number }

export class HashTable {
  private _cap: number;
  private _w: Uint32Array;
  /**
   * The same words as signed 32-bit, for the hot lookups: keys of 2^31 and above read from a
   * Uint32Array are heap numbers in V8 and compare as doubles; as int32 they stay small integers.
   */
  private _wi: Int32Array;
  private _size = 0;
  private _hits: Int32Array = new Int32Array(64);
  /**
   * One bit per slot: "some entry has its home here". A key nobody holds is answered from this 1/192 as
   * large array (≈ 5 MB at the full regency, cache-resident) without touching the slots; a cleared
   * entry leaves its bit set (a false "maybe" only costs the probe), a rehash or image load rebuilds it.
   */
  private _homes: Int32Array;
  /** Written by {@link HashTable.touch} so the loads it issues are not optimised away. */
  private _touched = 0;

  /**
   * `capacityHint` entries fit without a rehash at `maxLoad` (24 B / 0.6 = 40 B per entry at the
   * full load). `groupOfTag` gives back the group an entry was added under (needed only to rehash).
   */
  constructor(capacityHint: number, private readonly groupOfTag: (tag: number) => number, readonly maxLoad = 0.6) {
    if (!(maxLoad > 0.1 && maxLoad < 0.95)) throw new RangeError('maxLoad must be in (0.1, 0.95)');
    this._cap = Math.max(16, Math.ceil(capacityHint / maxLoad));
    this._w = new Uint32Array(this._cap * STRIDE);
    this._wi = new Int32Array(this._w.buffer, this._w.byteOffset, this._w.length);
    this._homes = new Int32Array((this._cap >>> 5) + 1);
  }

  get size(): number {
    return this._size;
  }
  get capacity(): number {
    return this._cap;
  }
  /** Bytes held by the slot array. */
  get bytes(): number {
    return this._w.byteLength + this._homes.byteLength;
  }

  /** murmur3's fmix32 over key and group, reduced to [0, cap) by multiply-high (no modulo, any cap). */
  home(hi: number, lo: number, group: number): number {
    let h = (lo ^ Math.imul(hi, 0x27d4eb2f) ^ Math.imul(group, 0x165667b1)) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    // (h / 2^32) * cap < cap for every 32-bit h: a double's floor, exact enough for cap < 2^31.
    return Math.floor(((h >>> 0) * this._cap) / TWO32);
  }

  /**
   * One pass over the entries of (key, group): for each whose tag is one of `want[from..to)`, writes
   * the slot and the tag's index at `hits[n], hits[n+1]` and returns the new `n` (read them from
   * {@link HashTable.hits}). No callback and no allocation: checks run ≥ 1 M/s.
   */
  scan(hi: number, lo: number, group: number, want: Uint32Array, from: number, to: number, n: number): number {
    return this.scanAt(hi >>> 0, lo >>> 0, this.home(hi >>> 0, lo >>> 0, group), want, from, to, n);
  }

  /**
   * Which of up to three homes (-1: none) may hold entries, as bits 1, 2, 4 — from the home bitmap,
   * no slot read. For those that may, it reads their first slot now, all together: the three cache
   * misses then overlap instead of each {@link HashTable.scanAt} waiting for its own in turn.
   */
  maybe3(a: number, b: number, c: number): number {
    const hm = this._homes;
    const m = (a >= 0 ? (hm[a >>> 5]! >>> (a & 31)) & 1 : 0) | (b >= 0 ? ((hm[b >>> 5]! >>> (b & 31)) & 1) << 1 : 0) | (c >= 0 ? ((hm[c >>> 5]! >>> (c & 31)) & 1) << 2 : 0);
    if (m !== 0) {
      // One read per cache line of the first TOUCH_WORDS words of each run: the run's later lines are
      // then on their way too (measured +6 % hit checks at 9.8 M entries; 160 words gained nothing).
      const w = this._wi;
      const last = w.length - 1;
      let x = 0;
      if (m & 1) for (let o = a * STRIDE, e = o + TOUCH_WORDS; o < e; o += 16) x ^= w[o < last ? o : last]!;
      if (m & 2) for (let o = b * STRIDE, e = o + TOUCH_WORDS; o < e; o += 16) x ^= w[o < last ? o : last]!;
      if (m & 4) for (let o = c * STRIDE, e = o + TOUCH_WORDS; o < e; o += 16) x ^= w[o < last ? o : last]!;
      this._touched = x;
    }
    return m;
  }

  /** {@link HashTable.scan} from a home slot already computed (keys as unsigned 32-bit). */
  scanAt(hi: number, lo: number, home: number, want: Uint32Array, from: number, to: number, n: number): number {
    const w = this._wi;
    const cap = this._cap;
    hi |= 0;
    lo |= 0;
    let hits = this._hits;
    let i = home;
    for (let d = 0; d <= MAX_DISTANCE; d++) {
      const o = i * STRIDE;
      // The distance word first: an empty slot reads as distance 0, so it ends the scan here for any
      // d > 0 (and at d = 0 below), and an entry of an earlier home (sd > d) costs this one read.
      const sd = w[o + 5]! >>> 16;
      if (sd < d) return n; // Robin Hood: our home's entries would have been here
      if (sd === d && w[o + 1] === lo && w[o] === hi) {
        const t = w[o + 2]!;
        if (t === EMPTY) return n;
        for (let k = from; k < to; k++) {
          if (want[k] === t) {
            if (n + 2 > hits.length) hits = this._growHits();
            hits[n] = i;
            hits[n + 1] = k;
            n += 2;
            break;
          }
        }
      }
      if (++i === cap) i = 0;
    }
    return n;
  }

  /** Scan results: slot, want index, slot, want index… (valid until the next scan that writes them). */
  get hits(): Int32Array {
    return this._hits;
  }
  private _growHits(): Int32Array {
    const h = new Int32Array(this._hits.length * 2);
    h.set(this._hits);
    return (this._hits = h);
  }

  /** Slot of the first entry with this key, tag and aux (-1: none). */
  find(hi: number, lo: number, group: number, tag: number, aux: number): number {
    hi >>>= 0;
    lo >>>= 0;
    aux >>>= 0;
    const w = this._w;
    const cap = this._cap;
    let i = this.home(hi, lo, group);
    for (let d = 0; d <= MAX_DISTANCE; d++) {
      const o = i * STRIDE;
      const t = w[o + 2]!;
      if (t === EMPTY) return -1;
      const sd = w[o + 5]! >>> 16;
      if (sd < d) return -1;
      if (sd === d && t === tag && w[o + 1] === lo && w[o] === hi && w[o + 3] === aux) return i;
      if (++i === cap) i = 0;
    }
    return -1;
  }

  tag(slot: number): number {
    return this._w[slot * STRIDE + 2]!;
  }
  aux(slot: number): number {
    return this._w[slot * STRIDE + 3]!;
  }
  /** {@link HashTable.aux} as signed 32-bit (compares as a small integer: the hot path's form). */
  auxInt(slot: number): number {
    return this._wi[slot * STRIDE + 3]!;
  }
  at(slot: number): number {
    return this._w[slot * STRIDE + 4]!;
  }
  village(slot: number): number {
    return this._w[slot * STRIDE + 5]! & 0xffff;
  }

  /** True when an entry with this key, tag and aux exists. */
  has(hi: number, lo: number, group: number, tag: number, aux: number): boolean {
    return this.find(hi, lo, group, tag, aux) >= 0;
  }

  add(hi: number, lo: number, group: number, tag: number, village: number, at: number, aux: number): void {
    if (tag === EMPTY || tag === RESERVED) throw new RangeError('tag 0 and 0xffffffff are reserved');
    if (this._size + 1 > this._cap * this.maxLoad) this._rehash(this._cap * 2);
    this._put(hi >>> 0, lo >>> 0, tag >>> 0, aux >>> 0, at >>> 0, village & 0xffff, this.home(hi >>> 0, lo >>> 0, group & 0xffff));
  }

  /**
   * Robin Hood insert that keeps order: walk from home past entries at least as far from their homes;
   * at the first nearer one (or an empty slot) shift the rest of the cluster up one slot and settle
   * there. Entries of one home therefore stay contiguous and in insertion order (earliest match first).
   */
  private _put(hi: number, lo: number, tag: number, aux: number, at: number, village: number, home: number): void {
    const w = this._w;
    const cap = this._cap;
    let i = home;
    let d = 0;
    while (w[i * STRIDE + 2] !== EMPTY && w[i * STRIDE + 5]! >>> 16 >= d) {
      if (++i === cap) i = 0;
      if (++d > MAX_DISTANCE) throw new RangeError('hash table: one key holds too many entries');
    }
    // Find the empty slot ending this cluster, then move each entry up one (its distance + 1).
    let j = i;
    while (w[j * STRIDE + 2] !== EMPTY) {
      if (w[j * STRIDE + 5]! >>> 16 >= MAX_DISTANCE) throw new RangeError('hash table: one key holds too many entries');
      if (++j === cap) j = 0;
    }
    while (j !== i) {
      const p = j === 0 ? cap - 1 : j - 1;
      w.copyWithin(j * STRIDE, p * STRIDE, p * STRIDE + STRIDE);
      w[j * STRIDE + 5] = w[j * STRIDE + 5]! + 0x10000;
      j = p;
    }
    this._homes[home >>> 5]! |= 1 << (home & 31);
    const o = i * STRIDE;
    w[o] = hi; w[o + 1] = lo; w[o + 2] = tag; w[o + 3] = aux; w[o + 4] = at; w[o + 5] = village | (d << 16);
    this._size++;
  }

  /** Removes one entry with this key, tag and aux; false when there is none. */
  remove(hi: number, lo: number, group: number, tag: number, aux: number): boolean {
    let i = this.find(hi, lo, group, tag, aux);
    if (i < 0) return false;
    // Backward shift: pull each following displaced entry one slot nearer its home.
    const w = this._w;
    const cap = this._cap;
    for (;;) {
      const j = i + 1 === cap ? 0 : i + 1;
      const oj = j * STRIDE;
      const oi = i * STRIDE;
      if (w[oj + 2] === EMPTY || w[oj + 5]! >>> 16 === 0) {
        w.fill(0, oi, oi + STRIDE);
        break;
      }
      w.copyWithin(oi, oj, oj + STRIDE);
      w[oi + 5] = w[oi + 5]! - 0x10000; // distance − 1
      i = j;
    }
    this._size--;
    return true;
  }

  private _rehash(newCap: number): void {
    const old = this._w;
    const oldCap = this._cap;
    this._cap = newCap;
    this._w = new Uint32Array(newCap * STRIDE);
    this._wi = new Int32Array(this._w.buffer);
    this._homes = new Int32Array((newCap >>> 5) + 1);
    this._size = 0;
    // Start after an empty slot so a cluster that wraps past the end is re-added in its own order.
    let start = 0;
    while (old[start * STRIDE + 2] !== EMPTY) start++;
    for (let n = 0, i = start; n < oldCap; n++, i = i + 1 === oldCap ? 0 : i + 1) {
      const o = i * STRIDE;
      const t = old[o + 2]!;
      if (t !== EMPTY) this._put(old[o]!, old[o + 1]!, t, old[o + 3]!, old[o + 4]!, old[o + 5]! & 0xffff, this.home(old[o]!, old[o + 1]!, this.groupOfTag(t) & 0xffff));
    }
  }

  /** Probe health at the current load (one O(capacity) pass; for benchmarks and tests). */
  probeStats(): ProbeStats {
    return probeStats(this.image());
  }

  /** The raw state for a snapshot: the slot words (shared, not copied) and the counters. */
  image(): TableImage {
    return { words: this._w, capacity: this._cap, size: this._size, maxLoad: this.maxLoad };
  }

  /** A table over words loaded from a snapshot (taken over, not copied). Throws on an inconsistent image. */
  static fromImage(img: TableImage, groupOfTag: (tag: number) => number): HashTable {
    if (img.words.length !== img.capacity * STRIDE || img.size > img.capacity) throw new RangeError('hash table image: inconsistent sizes');
    const t = new HashTable(16, groupOfTag, img.maxLoad);
    t._cap = img.capacity;
    t._w = img.words;
    t._wi = new Int32Array(img.words.buffer, img.words.byteOffset, img.words.length);
    t._size = img.size;
    t._homes = new Int32Array((img.capacity >>> 5) + 1);
    t._rebuildHomes();
    return t;
  }

  /** The home bitmap from the slots: an entry at slot i and distance d has its home at i − d. */
  private _rebuildHomes(): void {
    const w = this._w;
    const cap = this._cap;
    const hm = this._homes;
    for (let i = 0; i < cap; i++) {
      const o = i * STRIDE;
      if (w[o + 2] === EMPTY) continue;
      let h = i - (w[o + 5]! >>> 16);
      if (h < 0) h += cap;
      hm[h >>> 5]! |= 1 << (h & 31);
    }
  }
}
