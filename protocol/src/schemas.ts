/**
 * zod schemas of every MQTT payload; the TypeScript types are inferred from them, never written twice.
 * Payloads are JSON, UTF-8, at most {@link MAX_PAYLOAD_BYTES}.
 */
import { z } from 'zod';
import { ID_PATTERN } from './topics.ts';

/** The broker refuses bigger publishes; the server dead-letters them too (defence in depth). */
export const MAX_PAYLOAD_BYTES = 16 * 1024;

// The patterns are exported once so the hand-written fast path (`fast-scan.ts`) checks exactly the same.
/** ULID: 26 Crockford base-32 characters, time-ordered. */
export const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;
export const NIK_PATTERN = /^\d{16}$/;
export const VILLAGE_CODE_PATTERN = /^\d{2}\.\d{2}\.\d{2}\.\d{4}$/;
export const ISO_DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
export const UlidSchema = z.string().regex(ULID_PATTERN, 'not a ULID');
export const IdSchema = z.string().regex(ID_PATTERN, 'not a lower-case id');
export const NikSchema = z.string().regex(NIK_PATTERN, 'NIK must be 16 digits');
export const VillageCodeSchema = z.string().regex(VILLAGE_CODE_PATTERN, 'not a village code like 35.10.21.2001');
export const IsoDateSchema = z.string().regex(ISO_DATE_PATTERN, 'not a date YYYY-MM-DD');
/** An instant, ISO 8601 in UTC with milliseconds, e.g. `2026-11-28T01:02:03.456Z`. */
export const InstantSchema = z.iso.datetime({ precision: 3 });

// Control characters (incl. newline) have no place in a name or address on a KTP; everything else
// (commas, quotes, `=`, `<`, non-Latin letters) is stored and shown as text.
export const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const noControl = (s: string) => !CONTROL_CHARS.test(s);
export const PersonNameSchema = z.string().trim().min(1).max(100).refine(noControl, 'control characters are not allowed');
export const AddressSchema = z.string().trim().max(200).refine(noControl, 'control characters are not allowed');

export const SYMPTOMS = ['demam', 'batuk', 'pilek', 'sakit_tenggorokan', 'sesak_napas', 'anosmia', 'lemas', 'diare'] as const;
export const SymptomSchema = z.enum(SYMPTOMS);
export const RAPID_TEST_RESULTS = ['negatif', 'positif', 'tidak_dites'] as const;

export const HealthScreeningSchema = z.strictObject({
  /** Body temperature in °C measured at the checkpoint. */
  temperatureC: z.number().min(30).max(45),
  symptoms: z.array(SymptomSchema).max(SYMPTOMS.length),
  rapidTest: z.enum(RAPID_TEST_RESULTS),
  vaccinationDoses: z.number().int().min(0).max(5),
});
export type HealthScreening = z.infer<typeof HealthScreeningSchema>;

/**
 * The officer on duty who took the scan (issue 16): a lower-case id like the staff accounts',
 * e.g. `bu-rina` or `petugas-07` — an id, not a name, so it is no personal data in a scan.
 */
export const OfficerSchema = IdSchema;

/**
 * Scan versions: v1 (no officer; older devices, still accepted everywhere) and v2 (carries `officer`).
 * A v2 scan must name its officer and a v1 scan must not: {@link scanVersionAgrees}.
 */
export const SCAN_VERSIONS = [1, 2] as const;

/** What the card reader (or the officer) gives the edge agent: the traveller and the screening; `officer` makes it a v2 scan. */
export const ScanInputSchema = z.strictObject({
  nik: NikSchema,
  name: PersonNameSchema,
  sex: z.enum(['L', 'P']),
  birthDate: IsoDateSchema,
  originAddress: AddressSchema,
  destinationVillageCode: VillageCodeSchema,
  health: HealthScreeningSchema,
  officer: OfficerSchema.optional(),
});
export type ScanInput = z.infer<typeof ScanInputSchema>;

/** A scan as published by a checkpoint device: the input plus identity, order and time. */
export const ScanSchema = z.strictObject({
  /** 1: no officer (older devices); 2: `officer` present. */
  v: z.union([z.literal(1), z.literal(2)]),
  /** Unique, generated on the device when the scan is taken; the storage identity. */
  scanId: UlidSchema,
  checkpointId: IdSchema,
  deviceId: IdSchema,
  /** Per-device sequence number from 1, never reused: the device's outbox order. */
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  /** When the scan was taken: the server's time as the device learned it (see edge-agent/src/device-clock.ts). */
  scannedAt: InstantSchema,
  /**
   * Present (always `true`) when `scannedAt` is the device's own clock, never checked against the
   * server's (booted offline without an RTC: it may say 1970). The server stores such a scan at its
   * receive time. Optional, so scans of older devices stay valid.
   */
  untrustedTime: z.literal(true).optional(),
  ...ScanInputSchema.shape,
}).refine(scanVersionAgrees, { message: 'a v2 scan names its officer, a v1 scan none', path: ['officer'] });
export type Scan = z.infer<typeof ScanSchema>;

/** `scanVersionAgrees({ v: 2, officer: 'bu-rina' })` → true; `{ v: 1, officer: 'bu-rina' }` → false. */
export function scanVersionAgrees(s: { v: 1 | 2; officer?: string | undefined }): boolean {
  return s.v === 2 ? s.officer !== undefined : s.officer === undefined;
}

export const OutboxStatsSchema = z.strictObject({
  depth: z.number().int().min(0),
  oldestAgeSec: z.number().min(0).nullable(),
  diskBytes: z.number().int().min(0),
  diskLimitBytes: z.number().int().min(0),
});

/** Retained on `…/status`; the last will sets `state: 'offline'`. */
export const DeviceStatusSchema = z.strictObject({
  v: z.literal(1),
  checkpointId: IdSchema,
  deviceId: IdSchema,
  state: z.enum(['online', 'offline']),
  at: InstantSchema,
  version: z.string().max(40),
  outbox: OutboxStatsSchema.optional(),
  lastScanAt: InstantSchema.nullable().optional(),
  /** Device clock minus server clock, from the last ack; null until known. */
  clockSkewMs: z.number().nullable().optional(),
});
export type DeviceStatus = z.infer<typeof DeviceStatusSchema>;

/** Server → device on `…/acks`: these sequence numbers are stored (ranges inclusive). */
export const ScanAckSchema = z.strictObject({
  v: z.literal(1),
  ranges: z.array(z.tuple([z.number().int().min(1), z.number().int().min(1)])).max(10_000),
  /** Server clock when the ack was sent, for the device's clock-skew estimate. */
  serverTime: InstantSchema,
});
export type ScanAck = z.infer<typeof ScanAckSchema>;

/** Server → devices on `sk/v1/time` (TIME_TOPIC), every few seconds: `{ v: 1, serverTime: '2026-12-06T04:00:00.000Z' }`. */
export const TimeBeaconSchema = z.strictObject({
  v: z.literal(1),
  serverTime: InstantSchema,
});
export type TimeBeacon = z.infer<typeof TimeBeaconSchema>;

/** `toRanges([1,2,3,7,8,10])` → `[[1,3],[7,8],[10,10]]` */
export function toRanges(seqs: Iterable<number>): [number, number][] {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s === last[1] + 1) last[1] = s;
    else out.push([s, s]);
  }
  return out;
}

/** One reply shape for every HTTP endpoint. */
export type ApiReply<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string; details?: unknown } };

export { HEALTH_STATUSES, FEVER_THRESHOLD_C, healthStatus, type HealthStatus } from './health.ts';

/** Flattens zod issues to one readable line: `health.temperatureC: Too big…; nik: NIK must be 16 digits`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
