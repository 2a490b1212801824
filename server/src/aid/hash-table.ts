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

export interface Slot { village: number; at: number; aux: number }

export class HashTable {
  #cap: number;
  #mask: number;
  #keyHi: Uint32Array;
  #keyLo: Uint32Array;
  #tag: Uint32Array;
  #village: Uint16Array;
  #at: Uint32Array;
  #aux: Uint32Array;
  #size = 0;
  #tombs = 0;

  /** `capacityHint` entries fit without a rehash. */
  constructor(capacityHint = 1024) {
    let cap = 16;
    while (cap * MAX_LOAD < capacityHint) cap *= 2;
    this.#cap = cap;
    this.#mask = cap - 1;
    this.#keyHi = new Uint32Array(cap);
    this.#keyLo = new Uint32Array(cap);
    this.#tag = new Uint32Array(cap);
    this.#village = new Uint16Array(cap);
    this.#at = new Uint32Array(cap);
    this.#aux = new Uint32Array(cap);
  }

  get size(): number {
    return this.#size;
  }

  /** Bytes held by the slot arrays. */
  get bytes(): number {
    return this.#cap * 22;
  }

  #start(hi: number, lo: number, tag: number): number {
    // The key is already a keyed hash (HMAC): mixing in the tag is enough to spread programmes/periods.
    return (Math.imul(lo ^ tag, 0x9e3779b1) ^ hi) & this.#mask;
  }

  /** Calls `visit` for every entry with this key and tag; stops early when it returns true. */
  find(hi: number, lo: number, tag: number, visit: (village: number, at: number, aux: number) => boolean | void): void {
    hi >>>= 0;
    lo >>>= 0;
    const mask = this.#mask;
    for (let i = this.#start(hi, lo, tag), n = 0; n < this.#cap; i = (i + 1) & mask, n++) {
      const t = this.#tag[i]!;
      if (t === EMPTY) return;
      if (t === tag && this.#keyLo[i] === lo && this.#keyHi[i] === hi) {
        if (visit(this.#village[i]!, this.#at[i]!, this.#aux[i]!) === true) return;
      }
    }
  }

  /** True when an entry with this key, tag and aux exists. */
  has(hi: number, lo: number, tag: number, aux: number): boolean {
    let found = false;
    this.find(hi, lo, tag, (_v, _a, x) => (found = x === aux >>> 0));
    return found;
  }

  add(hi: number, lo: number, tag: number, village: number, at: number, aux: number): void {
    if (tag === EMPTY || tag === TOMB) throw new RangeError('tag 0 and 0xffffffff are reserved');
    if ((this.#size + this.#tombs + 1) > this.#cap * MAX_LOAD) this.#rehash(this.#size + 1 > (this.#cap * MAX_LOAD) / 2 ? this.#cap * 2 : this.#cap);
    const mask = this.#mask;
    let i = this.#start(hi >>> 0, lo >>> 0, tag);
    while (this.#tag[i] !== EMPTY && this.#tag[i] !== TOMB) i = (i + 1) & mask;
    if (this.#tag[i] === TOMB) this.#tombs--;
    this.#keyHi[i] = hi;
    this.#keyLo[i] = lo;
    this.#tag[i] = tag;
    this.#village[i] = village;
    this.#at[i] = at;
    this.#aux[i] = aux;
    this.#size++;
  }

  /** Removes one entry with this key, tag and aux; false when there is none. */
  remove(hi: number, lo: number, tag: number, aux: number): boolean {
    hi >>>= 0;
    lo >>>= 0;
    aux >>>= 0;
    const mask = this.#mask;
    for (let i = this.#start(hi, lo, tag), n = 0; n < this.#cap; i = (i + 1) & mask, n++) {
      const t = this.#tag[i]!;
      if (t === EMPTY) return false;
      if (t === tag && this.#keyLo[i] === lo && this.#keyHi[i] === hi && this.#aux[i] === aux) {
        this.#tag[i] = TOMB;
        this.#size--;
        this.#tombs++;
        return true;
      }
    }
    return false;
  }

  #rehash(newCap: number): void {
    const old = { hi: this.#keyHi, lo: this.#keyLo, tag: this.#tag, village: this.#village, at: this.#at, aux: this.#aux, cap: this.#cap };
    this.#cap = newCap;
    this.#mask = newCap - 1;
    this.#keyHi = new Uint32Array(newCap);
    this.#keyLo = new Uint32Array(newCap);
    this.#tag = new Uint32Array(newCap);
    this.#village = new Uint16Array(newCap);
    this.#at = new Uint32Array(newCap);
    this.#aux = new Uint32Array(newCap);
    this.#size = 0;
    this.#tombs = 0;
    for (let i = 0; i < old.cap; i++) {
      const t = old.tag[i]!;
      if (t !== EMPTY && t !== TOMB) this.add(old.hi[i]!, old.lo[i]!, t, old.village[i]!, old.at[i]!, old.aux[i]!);
    }
  }
}
