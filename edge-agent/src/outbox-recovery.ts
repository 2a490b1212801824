/**
 * Outbox recovery and bookkeeping, apart from the write path: reads every segment, applies
 * DATA/ACK/BASE records in order, and reports torn tails (see outbox-format.ts).
 */
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSegment, RecordType } from './outbox-format.ts';

/** A pending scan as held in memory. */
export interface PendingScan {
  seq: number;
  /** Device clock (ms) when it was appended. */
  appendedAt: number;
  payload: Buffer;
}

export interface Segment { id: number; path: string; size: number; unacked: number }
export interface Entry extends PendingScan { segment: Segment }
const SEGMENT_RE = /^(\d{12})\.seg$/;
export const segmentPath = (dir: string, id: number) => join(dir, `${String(id).padStart(12, '0')}.seg`);

export function fsyncDir(dir: string): void {
  // Makes a created or deleted segment's directory entry durable (POSIX leaves it to the caller).
  const fd = openSync(dir, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
}

/** Pure recovery: reads every segment, applies DATA/ACK/BASE records, reports torn tails. */
export function recover(dir: string) {
  const ids = (existsSync(dir) ? readdirSync(dir) : []).map((f) => SEGMENT_RE.exec(f)?.[1]).filter((x): x is string => !!x).map(Number).sort((a, b) => a - b);
  const segments: Segment[] = [];
  const pending = new Map<number, Entry>();
  let nextSeq = 1;
  let droppedTailBytes = 0;
  for (const id of ids) {
    const path = segmentPath(dir, id);
    const buf = readFileSync(path);
    const { records, validBytes } = decodeSegment(buf);
    droppedTailBytes += buf.length - validBytes;
    const segment: Segment = { id, path, size: validBytes, unacked: 0 };
    segments.push(segment);
    for (const rec of records) {
      if (rec.type === RecordType.Data) {
        pending.set(rec.seq, { seq: rec.seq, appendedAt: rec.appendedAt, payload: rec.payload, segment });
        segment.unacked++;
        nextSeq = Math.max(nextSeq, rec.seq + 1);
      } else if (rec.type === RecordType.Ack) {
        for (const seq of seqsIn(pending, rec.ranges)) removeEntry(pending, seq);
      } else {
        nextSeq = Math.max(nextSeq, rec.nextSeq);
      }
    }
  }
  return { segments, pending, nextSeq, droppedTailBytes };
}

/** The pending seqs inside inclusive ranges, cheaply whether the ranges are narrow or huge. */
export function seqsIn(pending: Map<number, Entry>, ranges: readonly (readonly [number, number])[]): number[] {
  const out: number[] = [];
  for (const [from, to] of ranges) {
    if (!(to >= from)) continue;
    if (to - from + 1 <= pending.size) {
      for (let s = from; s <= to; s++) if (pending.has(s)) out.push(s);
    } else {
      for (const s of pending.keys()) if (s >= from && s <= to) out.push(s);
    }
  }
  return out;
}

export function removeEntry(pending: Map<number, Entry>, seq: number): boolean {
  const e = pending.get(seq);
  if (!e) return false;
  pending.delete(seq);
  e.segment.unacked--;
  return true;
}

