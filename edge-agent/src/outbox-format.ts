/**
 * On-disk record format of the outbox segments (pure: buffers in, buffers out).
 *
 *   [u32 bodyLength][u32 crc32(body)][body]          all big-endian
 *   body = [u8 type][…]
 *     DATA  (1): [f64 seq][f64 appendedAtMs][payload bytes]
 *     ACK   (2): [u32 n][n × (f64 from, f64 to)]       seqs the server has durably stored
 *     BASE  (3): [f64 nextSeq]                         first record of every segment, so the sequence
 *                                                      survives even when every data segment is deleted
 *
 * A record whose length runs past the end of the file or whose CRC does not match is a torn or corrupt
 * write; recovery stops the segment there (see outbox.ts).
 */
import { crc32 } from 'node:zlib';

export const HEADER_BYTES = 8;
/** A sanity cap: no body is bigger (payloads are ≤ 16 KiB; an ACK holds ≤ 10k ranges). */
export const MAX_BODY_BYTES = 1 << 20;

export const RecordType = { Data: 1, Ack: 2, Base: 3 } as const;

export type OutboxRecord =
  | { type: typeof RecordType.Data; seq: number; appendedAt: number; payload: Buffer }
  | { type: typeof RecordType.Ack; ranges: [number, number][] }
  | { type: typeof RecordType.Base; nextSeq: number };

function frame(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  out.writeUInt32BE(body.length, 0);
  out.writeUInt32BE(crc32(body), 4);
  body.copy(out, HEADER_BYTES);
  return out;
}

export function encodeData(seq: number, appendedAt: number, payload: Buffer): Buffer {
  const body = Buffer.allocUnsafe(17 + payload.length);
  body.writeUInt8(RecordType.Data, 0);
  body.writeDoubleBE(seq, 1);
  body.writeDoubleBE(appendedAt, 9);
  payload.copy(body, 17);
  return frame(body);
}

export function encodeAck(ranges: [number, number][]): Buffer {
  const body = Buffer.allocUnsafe(5 + ranges.length * 16);
  body.writeUInt8(RecordType.Ack, 0);
  body.writeUInt32BE(ranges.length, 1);
  ranges.forEach(([from, to], i) => {
    body.writeDoubleBE(from, 5 + i * 16);
    body.writeDoubleBE(to, 13 + i * 16);
  });
  return frame(body);
}

export function encodeBase(nextSeq: number): Buffer {
  const body = Buffer.allocUnsafe(9);
  body.writeUInt8(RecordType.Base, 0);
  body.writeDoubleBE(nextSeq, 1);
  return frame(body);
}

export interface DecodedSegment {
  records: OutboxRecord[];
  /** Bytes of valid records from the start; anything after is a torn or corrupt tail. */
  validBytes: number;
}

/** Decodes every intact record of a segment, stopping at the first torn or corrupt one. */
export function decodeSegment(buf: Buffer): DecodedSegment {
  const records: OutboxRecord[] = [];
  let off = 0;
  while (off + HEADER_BYTES <= buf.length) {
    const len = buf.readUInt32BE(off);
    if (len < 1 || len > MAX_BODY_BYTES || off + HEADER_BYTES + len > buf.length) break;
    const body = buf.subarray(off + HEADER_BYTES, off + HEADER_BYTES + len);
    if (crc32(body) !== buf.readUInt32BE(off + 4)) break;
    const rec = decodeBody(body);
    if (!rec) break;
    records.push(rec);
    off += HEADER_BYTES + len;
  }
  return { records, validBytes: off };
}

function decodeBody(body: Buffer): OutboxRecord | null {
  const type = body.readUInt8(0);
  if (type === RecordType.Data && body.length >= 17) {
    // Copy: the segment buffer is dropped after recovery, the payload lives on until acked.
    return { type: RecordType.Data, seq: body.readDoubleBE(1), appendedAt: body.readDoubleBE(9), payload: Buffer.from(body.subarray(17)) };
  }
  if (type === RecordType.Ack && body.length >= 5) {
    const n = body.readUInt32BE(1);
    if (body.length !== 5 + n * 16) return null;
    const ranges: [number, number][] = [];
    for (let i = 0; i < n; i++) ranges.push([body.readDoubleBE(5 + i * 16), body.readDoubleBE(13 + i * 16)]);
    return { type: RecordType.Ack, ranges };
  }
  if (type === RecordType.Base && body.length === 9) return { type: RecordType.Base, nextSeq: body.readDoubleBE(1) };
  return null;
}
