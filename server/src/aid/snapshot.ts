/**
 * A binary snapshot of the double-aid index, so a restart loads ~1 GB of slots in about a second
 * instead of replaying millions of JSON journal lines (issue 6: the full regency took ≈ 143 s).
 *
 * Layout: a 128-byte header, the hash table's raw slot words, then a small JSON blob (the caller's
 * other state: alarms, audit tail, counters). The header ties the snapshot to the journal: the byte
 * offset it covers and a SHA-256 of the journal's last ≤ 4 KiB before that offset, so a journal that
 * was replaced or truncated is never paired with a stale index. A CRC-32 over slots + JSON catches a
 * torn or corrupted file. Written to a temp file, fsynced, renamed, directory fsynced: a crash leaves
 * the old snapshot or the new one, never half of one. Any doubt → the caller replays the journal.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import type { TableImage } from './hash-table.ts';

const MAGIC = 'SKAIDSNP';
const VERSION = 1;
const HEADER = 128;
/** Written raw in the platform's byte order: a snapshot from another endianness is refused. */
const ENDIAN_MARK = 0x01020304;
const TAIL = 4096;

export interface Snapshot<S> {
  table: TableImage;
  /** Journal bytes the table and state reflect; the tail after it is replayed on load. */
  journalBytes: number;
  /** Hex SHA-256 of the journal's bytes just before `journalBytes` (see {@link journalTailHash}). */
  journalTail: string;
  state: S;
}

/** SHA-256 of the last ≤ 4 KiB of `file` before `offset`: identifies the journal prefix a snapshot covers. */
export function journalTailHash(file: string, offset: number): string {
  const from = Math.max(0, offset - TAIL);
  const buf = Buffer.alloc(offset - from);
  if (buf.length && existsSync(file)) {
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buf, 0, buf.length, from);
    } finally {
      closeSync(fd);
    }
  }
  return createHash('sha256').update(buf).digest('hex');
}

/** Header, slot bytes (not copied) and state of a snapshot, ready to be written. */
function encode<S>(snap: Snapshot<S>, crc: (body: Buffer, json: Buffer) => number): { head: Buffer; body: Buffer; json: Buffer } {
  const words = snap.table.words;
  const body = Buffer.from(words.buffer, words.byteOffset, words.byteLength);
  const json = Buffer.from(JSON.stringify(snap.state), 'utf8');
  const head = Buffer.alloc(HEADER);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(VERSION, 8);
  new Uint32Array(head.buffer, head.byteOffset + 12, 1)[0] = ENDIAN_MARK;
  head.writeUInt32LE(snap.table.capacity, 16);
  head.writeUInt32LE(snap.table.size, 20);
  head.writeUInt32LE(words.length / snap.table.capacity, 24);
  head.writeDoubleLE(snap.table.maxLoad, 32);
  head.writeDoubleLE(snap.journalBytes, 40);
  head.writeDoubleLE(body.length, 48);
  head.writeUInt32LE(json.length, 56);
  head.writeUInt32LE(crc(body, json), 60);
  head.write(snap.journalTail, 64, 32, 'hex');
  return { head, body, json };
}

let tmpSeq = 0;

/** Writes the snapshot atomically (temp + fsync + rename + directory fsync). Returns the bytes written. */
export function writeSnapshot<S>(file: string, snap: Snapshot<S>): number {
  const { head, body, json } = encode(snap, (b, j) => crc32(j, crc32(b)));
  const tmp = `${file}.tmp-${process.pid}-${++tmpSeq}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    for (const part of [head, body, json]) {
      // writeSync may write less than asked for large buffers: loop until all is out.
      for (let off = 0; off < part.length; ) off += writeSync(fd, part, off, Math.min(part.length - off, 1 << 30));
    }
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, file);
  syncDir(file);
  return HEADER + body.length + json.length;
}

function syncDir(file: string): void {
  const dfd = openSync(dirname(file), 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

const SLICE = 64 * 1024 * 1024;
const turn = () => new Promise<void>((r) => setImmediate(r));

/**
 * The same file as {@link writeSnapshot}, written without holding the event loop: the checksum in
 * 64 MiB slices between turns, the writes and fsync on libuv's thread pool. `snap.table.words` must be
 * a copy that nothing changes meanwhile. `keep()` is asked before the rename: false (the server is
 * stopping and wrote a newer one) discards the file.
 */
export async function writeSnapshotInBackground<S>(file: string, snap: Snapshot<S>, keep: () => boolean = () => true): Promise<number> {
  const parts = encode(snap, () => 0);
  let crc = 0;
  for (let off = 0; off < parts.body.length; off += SLICE) {
    crc = crc32(parts.body.subarray(off, off + SLICE), crc);
    await turn();
  }
  parts.head.writeUInt32LE(crc32(parts.json, crc), 60);
  const tmp = `${file}.tmp-${process.pid}-${++tmpSeq}`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    let pos = 0;
    for (const part of [parts.head, parts.body, parts.json]) {
      for (let off = 0; off < part.length; ) {
        const { bytesWritten } = await fh.write(part, off, Math.min(part.length - off, SLICE), pos);
        off += bytesWritten;
        pos += bytesWritten;
      }
    }
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  if (!keep()) {
    await rm(tmp, { force: true });
    return 0;
  }
  renameSync(tmp, file);
  syncDir(file);
  return HEADER + parts.body.length + parts.json.length;
}

export type SnapshotRead<S> = { ok: true; snap: Snapshot<S> } | { ok: false; reason: string };

/** Reads and verifies a snapshot; `ok: false` with the reason (missing, torn, corrupt…), never a throw. */
export function readSnapshot<S>(file: string, stride: number): SnapshotRead<S> {
  if (!existsSync(file)) return { ok: false, reason: 'missing' };
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(HEADER);
    if (size < HEADER || readSync(fd, head, 0, HEADER, 0) !== HEADER) return { ok: false, reason: 'torn header' };
    if (head.toString('latin1', 0, 8) !== MAGIC) return { ok: false, reason: 'not a snapshot' };
    if (head.readUInt32LE(8) !== VERSION) return { ok: false, reason: `version ${head.readUInt32LE(8)}` };
    if (new Uint32Array(head.buffer.slice(head.byteOffset + 12, head.byteOffset + 16))[0] !== ENDIAN_MARK) return { ok: false, reason: 'other byte order' };
    const capacity = head.readUInt32LE(16);
    const tableSize = head.readUInt32LE(20);
    if (head.readUInt32LE(24) !== stride) return { ok: false, reason: 'other slot layout' };
    const maxLoad = head.readDoubleLE(32);
    const journalBytes = head.readDoubleLE(40);
    const bodyBytes = head.readDoubleLE(48);
    const jsonBytes = head.readUInt32LE(56);
    const crc = head.readUInt32LE(60);
    if (bodyBytes !== capacity * stride * 4 || HEADER + bodyBytes + jsonBytes !== size) return { ok: false, reason: 'length mismatch' };
    // Read straight into the table's future array: no second copy of ~1 GB.
    const words = new Uint32Array(capacity * stride);
    const body = Buffer.from(words.buffer);
    for (let off = 0; off < bodyBytes; ) {
      const n = readSync(fd, body, off, Math.min(bodyBytes - off, 1 << 30), HEADER + off);
      if (n === 0) return { ok: false, reason: 'torn body' };
      off += n;
    }
    const json = Buffer.alloc(jsonBytes);
    if (readSync(fd, json, 0, jsonBytes, HEADER + bodyBytes) !== jsonBytes) return { ok: false, reason: 'torn state' };
    if (crc32(json, crc32(body)) !== crc) return { ok: false, reason: 'checksum mismatch' };
    const state = JSON.parse(json.toString('utf8')) as S;
    return { ok: true, snap: { table: { words, capacity, size: tableSize, maxLoad }, journalBytes, journalTail: head.toString('hex', 64, 96), state } };
  } catch (e) {
    return { ok: false, reason: `unreadable: ${(e as Error).message}` };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
