/**
 * Several scans in one MQTT message. A `…/scans` message carries either one scan (a JSON object) or,
 * when a device has a backlog to drain, a JSON array of 2…{@link MAX_SCANS_PER_MESSAGE} scans, the
 * whole message at most MAX_PAYLOAD_BYTES. Each scan in it is validated, stored, acknowledged (by seq)
 * or dead-lettered on its own, exactly as if it had come alone: batching changes the cost per scan
 * (one PUBLISH, PUBACK, ACL check and session-queue entry for up to 64 scans), not the meaning.
 * A live scan (no backlog) still travels alone, at once.
 *
 * Deploy order: servers first. A server older than this change dead-letters an array as `schema`.
 */
import { MAX_PAYLOAD_BYTES, type Scan } from './schemas.ts';
import { checkScanValue, type Checked, type RejectReason, type Rejection } from './validate.ts';

export const MAX_SCANS_PER_MESSAGE = 64;

const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');

/** Bytes of the message that would carry these payloads (an array from two on). */
export function batchBytes(count: number, payloadBytes: number): number {
  return count <= 1 ? payloadBytes : payloadBytes + count + 1;
}

/** One scan payload as it is; several as a JSON array (the payloads are JSON objects already). */
export function joinScanPayloads(payloads: readonly Uint8Array[]): Uint8Array {
  if (payloads.length === 1) return payloads[0]!;
  const parts: Uint8Array[] = [OPEN];
  payloads.forEach((p, i) => parts.push(...(i ? [COMMA, p] : [p])));
  parts.push(CLOSE);
  return Buffer.concat(parts);
}

/**
 * Splits items (in order) into groups that each fit one message: at most `maxScans` per group and
 * `maxBytes` per message. An item too big to share a message goes alone (the broker and server judge it).
 */
export function groupForMessages<T>(items: Iterable<T>, sizeOf: (item: T) => number, maxScans = MAX_SCANS_PER_MESSAGE, maxBytes = MAX_PAYLOAD_BYTES): T[][] {
  const groups: T[][] = [];
  let group: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (group.length > 0 && (group.length >= maxScans || batchBytes(group.length + 1, bytes + size) > maxBytes)) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(item);
    bytes += size;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** One scan of a message, checked; `release` = the seqs to acknowledge as rejected (a resend would be rejected again). */
export interface CheckedMessageScan {
  result: Checked<Scan>;
  release: readonly number[];
}

/** Shared by every accepted scan (one array less per scan on the hot path). */
const NONE: readonly number[] = Object.freeze([]);

/**
 * Checks a `…/scans` message (one scan or an array of them) against the topic's identity, scan by
 * scan. A message that is not readable at all (too big, not JSON, an empty or over-long array) is one
 * rejection, releasing whatever seqs it names.
 */
export function checkScanMessage(payload: Uint8Array, expected: { checkpointId: string; deviceId: string }): CheckedMessageScan[] {
  const size = payload.byteLength;
  let json: unknown;
  try {
    // Parsed even when too big (up to 1 MiB) only to find seqs to release; the scans are rejected anyway.
    json = size <= 1024 * 1024 ? JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, size).toString('utf8')) : undefined;
  } catch {
    if (size <= MAX_PAYLOAD_BYTES) return [{ result: rejection('not_json', 'payload is not JSON'), release: NONE }];
  }
  if (size > MAX_PAYLOAD_BYTES) return [{ result: rejection('too_large', `payload ${size} B > ${MAX_PAYLOAD_BYTES} B`), release: seqsIn(json) }];
  if (!Array.isArray(json)) {
    const result = checkScanValue(json, expected);
    return [{ result, release: result.ok ? NONE : seqsIn(json) }];
  }
  if (json.length === 0 || json.length > MAX_SCANS_PER_MESSAGE) {
    return [{ result: rejection('schema', `a message holds 1–${MAX_SCANS_PER_MESSAGE} scans, this one ${json.length}`), release: seqsIn(json) }];
  }
  return json.map((value: unknown) => {
    const result = checkScanValue(value, expected);
    return { result, release: result.ok ? NONE : seqsIn(value) };
  });
}

const rejection = (reason: RejectReason, message: string): Rejection => ({ ok: false, reason, message });

/** The usable seqs a rejected value names (a scan object, or an array of them). */
function seqsIn(json: unknown): number[] {
  const seqOf = (v: unknown) => (v !== null && typeof v === 'object' ? (v as { seq?: unknown }).seq : undefined);
  const out: number[] = [];
  for (const v of Array.isArray(json) ? json.slice(0, MAX_SCANS_PER_MESSAGE) : [json]) {
    const seq = seqOf(v);
    if (typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 1) out.push(seq);
  }
  return out;
}
