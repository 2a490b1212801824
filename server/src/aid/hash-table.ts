/**
 * A compact open-addressing multimap for the double-aid index: one slot = 22 bytes in six typed
 * arrays (64-bit key, 32-bit tag, village, time, aux), no JS object per entry, so 8.7 M entries
 * (1.74 M people × 5 programmes) fit in a few hundred MB and the GC never walks them.
 *
 * Pure: no I/O. Linear probing; deletions leave tombstones (tag = TOMB) that a rehash drops.
 * Several entries may share a (key, tag): a double that was recorded stays until resolved.
 */

const EMPTY = 0;
const TOMB = 0xffffffff;
const MAX_LOAD = 0.75;

export class HashTable {
  private _cap: number;
  private _mask: number;
  private _keyHi: Uint32Array;
  private _keyLo: Uint32Array;
  private _tag: Uint32Array;
  private _village: Uint16Array;
  private _at: Uint32Array;
  private _aux: Uint32Array;
  private _size = 0;
  private _tombs = 0;

  /** `capacityHint` entries fit without a rehash. */
  constructor(capacityHint = 1024) {
    let cap = 16;
    while (cap * MAX_LOAD < capacityHint) cap *= 2;
    this._cap = cap;
    this._mask = cap - 1;
    this._keyHi = new Uint32Array(cap);
    this._keyLo = new Uint32Array(cap);
    this._tag = new Uint32Array(cap);
    this._village = new Uint16Array(cap);
    this._at = new Uint32Array(cap);
    this._aux = new Uint32Array(cap);
  }

  get size(): number {
    return this._size;
  }

  /** Bytes held by the slot arrays. */
  get bytes(): number {
    return this._cap * 22;
  }

  private _start(hi: number, lo: number, tag: number): number {
    // murmur3's fmix32 over key and tag: a multiply alone only carries low bits upwards, so the
    // programme/kind bits (high in the tag) would never reach the slot index and one person's
    // entries would pile up in one probe chain.
    let h = (lo ^ Math.imul(hi, 0x27d4eb2f) ^ Math.imul(tag, 0x165667b1)) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h & this._mask;
  }

  /**
   * Slot of the first entry with this key and tag at or after probe position `from` (-1: none).
   * Iterate with `next = t.seek(hi, lo, tag, slot + 1)`. No callbacks: checks run ≥ 1 M/s and a
   * closure per lookup costs more than the lookup.
   */
  seek(hi: number, lo: number, tag: number, from = -1): number {
    hi >>>= 0;
    lo >>>= 0;
    const mask = this._mask;
    const tags = this._tag;
    let i = from < 0 ? this._start(hi, lo, tag) : from & mask;
    for (let n = 0; n < this._cap; i = (i + 1) & mask, n++) {
      const t = tags[i]!;
      if (t === EMPTY) return -1;
      if (t === tag && this._keyLo[i] === lo && this._keyHi[i] === hi) return i;
    }
    return -1;
  }

  village(slot: number): number {
    return this._village[slot]!;
  }
  at(slot: number): number {
    return this._at[slot]!;
  }
  aux(slot: number): number {
    return this._aux[slot]!;
  }

  /** True when an entry with this key, tag and aux exists. */
  has(hi: number, lo: number, tag: number, aux: number): boolean {
    for (let i = this.seek(hi, lo, tag); i >= 0; i = this.seek(hi, lo, tag, i + 1)) if (this._aux[i] === aux >>> 0) return true;
    return false;
  }

  add(hi: number, lo: number, tag: number, village: number, at: number, aux: number): void {
    if (tag === EMPTY || tag === TOMB) throw new RangeError('tag 0 and 0xffffffff are reserved');
    if ((this._size + this._tombs + 1) > this._cap * MAX_LOAD) this._rehash(this._size + 1 > (this._cap * MAX_LOAD) / 2 ? this._cap * 2 : this._cap);
    const mask = this._mask;
    let i = this._start(hi >>> 0, lo >>> 0, tag);
    while (this._tag[i] !== EMPTY && this._tag[i] !== TOMB) i = (i + 1) & mask;
    if (this._tag[i] === TOMB) this._tombs--;
    this._keyHi[i] = hi;
    this._keyLo[i] = lo;
    this._tag[i] = tag;
    this._village[i] = village;
    this._at[i] = at;
    this._aux[i] = aux;
    this._size++;
  }

  /** Removes one entry with this key, tag and aux; false when there is none. */
  remove(hi: number, lo: number, tag: number, aux: number): boolean {
    hi >>>= 0;
    lo >>>= 0;
    aux >>>= 0;
    const mask = this._mask;
    for (let i = this._start(hi, lo, tag), n = 0; n < this._cap; i = (i + 1) & mask, n++) {
      const t = this._tag[i]!;
      if (t === EMPTY) return false;
      if (t === tag && this._keyLo[i] === lo && this._keyHi[i] === hi && this._aux[i] === aux) {
        this._tag[i] = TOMB;
        this._size--;
        this._tombs++;
        return true;
      }
    }
    return false;
  }

  private _rehash(newCap: number): void {
    const old = { hi: this._keyHi, lo: this._keyLo, tag: this._tag, village: this._village, at: this._at, aux: this._aux, cap: this._cap };
    this._cap = newCap;
    this._mask = newCap - 1;
    this._keyHi = new Uint32Array(newCap);
    this._keyLo = new Uint32Array(newCap);
    this._tag = new Uint32Array(newCap);
    this._village = new Uint16Array(newCap);
    this._at = new Uint32Array(newCap);
    this._aux = new Uint32Array(newCap);
    this._size = 0;
    this._tombs = 0;
    for (let i = 0; i < old.cap; i++) {
      const t = old.tag[i]!;
      if (t !== EMPTY && t !== TOMB) this.add(old.hi[i]!, old.lo[i]!, t, old.village[i]!, old.at[i]!, old.aux[i]!);
    }
  }
}
