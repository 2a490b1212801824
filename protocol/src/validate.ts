/**
 * Full validation of a scan, shared by the edge agent (before it acknowledges the officer) and the
 * server (at ingest). Node only (uses the region list).
 */
import { fastScan } from './fast-scan.ts';
import { validateNik } from './nik.ts';
import type { ParsedNik } from './nik-core.ts';
import { loadRegions, type Village } from './regions.ts';
import { describeIssues, MAX_PAYLOAD_BYTES, ScanInputSchema, ScanSchema, type Scan, type ScanInput } from './schemas.ts';

export type RejectReason =
  | 'too_large'
  | 'not_json'
  | 'schema'
  | 'invalid_nik'
  | 'nik_mismatch'
  | 'unknown_village'
  | 'topic_mismatch';

export type Rejection = { ok: false; reason: RejectReason; message: string };
export type Checked<T> = { ok: true; value: T; nik: ParsedNik; village: Village } | Rejection;

const reject = (reason: RejectReason, message: string): Rejection => ({ ok: false, reason, message });

/** Checks what the schema cannot: the NIK decodes, sex/birth date agree with it, the village is Banyuwangi's. */
function checkSemantics<T extends ScanInput>(value: T): Checked<T> {
  const nik = validateNik(value.nik);
  if (!nik.ok) return reject('invalid_nik', nik.message);
  if (nik.sex !== value.sex) return reject('nik_mismatch', `jenis kelamin ${value.sex} tidak sesuai NIK (${nik.sex})`);
  if (nik.birthDate !== value.birthDate) return reject('nik_mismatch', 'tanggal lahir tidak sesuai NIK');
  const village = loadRegions().village(value.destinationVillageCode);
  if (!village) return reject('unknown_village', `desa tujuan ${value.destinationVillageCode} bukan desa/kelurahan di Banyuwangi`);
  return { ok: true, value, nik, village };
}

/** Validates what a card reader or officer hands the agent. */
export function checkScanInput(input: unknown): Checked<ScanInput> {
  const parsed = ScanInputSchema.safeParse(input);
  if (!parsed.success) return reject('schema', describeIssues(parsed.error));
  return checkSemantics(parsed.data);
}

/**
 * Validates a payload holding ONE scan. `expected` is the identity from the topic; a payload that
 * claims another device or checkpoint is rejected. The server's ingest reads `…/scans` messages with
 * `checkScanMessage` (scan-batch.ts), which also takes a device's batch and names the seqs to release.
 */
export function checkScanPayload(
  payload: Uint8Array | string,
  expected?: { checkpointId: string; deviceId: string },
): Checked<Scan> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > MAX_PAYLOAD_BYTES) return reject('too_large', `payload ${size} B > ${MAX_PAYLOAD_BYTES} B`);
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'));
  } catch {
    return reject('not_json', 'payload is not JSON');
  }
  return checkScanValue(json, expected);
}

/**
 * Validates an already-parsed scan value (e.g. one element of a batched message): schema, topic
 * identity, semantics — everything checkScanPayload does after JSON.parse.
 * Example: `checkScanValue(JSON.parse(text), { checkpointId: 'ketapang', deviceId: 'dev-01' })`.
 */
export function checkScanValue(
  json: unknown,
  expected?: { checkpointId: string; deviceId: string },
): Checked<Scan> {
  // The fast path answers for well-formed scans; zod decides (and words the error) for the rest.
  let scan = fastScan(json);
  if (!scan) {
    const parsed = ScanSchema.safeParse(json);
    if (!parsed.success) return reject('schema', describeIssues(parsed.error));
    scan = parsed.data;
  }
  if (expected && (scan.checkpointId !== expected.checkpointId || scan.deviceId !== expected.deviceId)) {
    return reject('topic_mismatch', 'checkpointId/deviceId in the payload differ from the topic');
  }
  return checkSemantics(scan);
}
