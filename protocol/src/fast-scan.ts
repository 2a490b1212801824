/**
 * A hand-written fast path for {@link ScanSchema}: the server validates every scan on its ingest hot
 * path, and zod's generic walk cost ~4 % of the server's CPU there (issue 5).
 *
 * Contract: `fastScan(x)` returns either exactly what `ScanSchema.parse(x)` returns (same values,
 * names/addresses trimmed, keys in the schema's order) or `undefined` — "not sure, ask zod". It never
 * rejects on its own, so every error message stays zod's. It only takes plain objects with exactly
 * the schema's own keys; anything unusual (class instances, inherited keys, sparse arrays) goes to zod.
 * `fast-scan.test.ts` proves the agreement on thousands of generated and mutated inputs.
 */
import {
  CONTROL_CHARS,
  InstantSchema,
  ISO_DATE_PATTERN,
  NIK_PATTERN,
  RAPID_TEST_RESULTS,
  SYMPTOMS,
  ULID_PATTERN,
  VILLAGE_CODE_PATTERN,
  type Scan,
} from './schemas.ts';
import { ID_PATTERN } from './topics.ts';

// zod's own datetime regex for `z.iso.datetime({ precision: 3 })` (one copy: read, not retyped).
const INSTANT_PATTERN: RegExp | undefined = (InstantSchema as unknown as { _zod: { pattern?: RegExp } })._zod.pattern;

const SCAN_KEYS = new Set([
  'v', 'scanId', 'checkpointId', 'deviceId', 'seq', 'scannedAt', 'nik', 'name', 'sex', 'birthDate',
  'originAddress', 'destinationVillageCode', 'health',
]);
/** A v2 scan has exactly one key more: the officer (`scanVersionAgrees`). */
const SCAN_KEYS_V2 = new Set([...SCAN_KEYS, 'officer']);
/** A scan stamped by a clock the device had no reason to trust carries `untrustedTime: true` too. */
const SCAN_KEYS_UNTRUSTED = new Set([...SCAN_KEYS, 'untrustedTime']);
const SCAN_KEYS_V2_UNTRUSTED = new Set([...SCAN_KEYS_V2, 'untrustedTime']);
const HEALTH_KEYS = new Set(['temperatureC', 'symptoms', 'rapidTest', 'vaccinationDoses']);
const SYMPTOM_SET: ReadonlySet<unknown> = new Set(SYMPTOMS);
const RAPID_SET: ReadonlySet<unknown> = new Set(RAPID_TEST_RESULTS);

/** A plain object (`{}` or JSON.parse output) whose enumerable keys are exactly `keys`. */
function hasExactly(o: unknown, keys: ReadonlySet<string>): o is Record<string, unknown> {
  if (typeof o !== 'object' || o === null) return false;
  const proto = Object.getPrototypeOf(o);
  if (proto !== Object.prototype && proto !== null) return false;
  let n = 0;
  // for…in also walks inherited enumerable keys; with a plain prototype there are none unless it
  // was polluted, in which case the unknown key sends the input to zod.
  for (const k in o) {
    if (!keys.has(k) || !Object.hasOwn(o, k)) return false;
    n++;
  }
  return n === keys.size;
}

const isStr = (x: unknown): x is string => typeof x === 'string';
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** `z.string().trim().min(min).max(max).refine(noControl)` → the trimmed text, or undefined. */
function text(x: unknown, min: number, max: number): string | undefined {
  if (!isStr(x)) return undefined;
  const t = x.trim();
  if (t.length < min || t.length > max || CONTROL_CHARS.test(t)) return undefined;
  return t;
}

function health(h: unknown): Scan['health'] | undefined {
  if (!hasExactly(h, HEALTH_KEYS)) return undefined;
  const { temperatureC, symptoms, rapidTest, vaccinationDoses } = h;
  if (!isNum(temperatureC) || temperatureC < 30 || temperatureC > 45) return undefined;
  if (!Array.isArray(symptoms) || symptoms.length > SYMPTOMS.length) return undefined;
  if (Object.getPrototypeOf(symptoms) !== Array.prototype) return undefined;
  for (let i = 0; i < symptoms.length; i++) if (!SYMPTOM_SET.has(symptoms[i])) return undefined;
  if (!RAPID_SET.has(rapidTest)) return undefined;
  if (!Number.isSafeInteger(vaccinationDoses) || (vaccinationDoses as number) < 0 || (vaccinationDoses as number) > 5) return undefined;
  return {
    temperatureC,
    symptoms: symptoms.slice() as Scan['health']['symptoms'],
    rapidTest: rapidTest as Scan['health']['rapidTest'],
    vaccinationDoses: vaccinationDoses as number,
  };
}

/**
 * `fastScan(JSON.parse(payload))` → the parsed {@link Scan}, or `undefined` when zod must decide.
 * Use through `checkScanValue`, which falls back to `ScanSchema.safeParse`.
 */
export function fastScan(x: unknown): Scan | undefined {
  if (!INSTANT_PATTERN || typeof x !== 'object' || x === null) return undefined;
  const v2 = (x as { v?: unknown }).v === 2;
  const untrusted = Object.hasOwn(x, 'untrustedTime');
  if (!hasExactly(x, v2 ? (untrusted ? SCAN_KEYS_V2_UNTRUSTED : SCAN_KEYS_V2) : untrusted ? SCAN_KEYS_UNTRUSTED : SCAN_KEYS)) return undefined;
  const { v, scanId, checkpointId, deviceId, seq, scannedAt, nik, sex, birthDate, destinationVillageCode, officer } = x;
  if (untrusted && x.untrustedTime !== true) return undefined;
  if (v !== 1 && v !== 2) return undefined;
  if (v2 && (!isStr(officer) || !ID_PATTERN.test(officer))) return undefined;
  if (!isStr(scanId) || !ULID_PATTERN.test(scanId)) return undefined;
  if (!isStr(checkpointId) || !ID_PATTERN.test(checkpointId)) return undefined;
  if (!isStr(deviceId) || !ID_PATTERN.test(deviceId)) return undefined;
  if (!Number.isSafeInteger(seq) || (seq as number) < 1) return undefined;
  if (!isStr(scannedAt) || !INSTANT_PATTERN.test(scannedAt)) return undefined;
  if (!isStr(nik) || !NIK_PATTERN.test(nik)) return undefined;
  const name = text(x.name, 1, 100);
  if (name === undefined) return undefined;
  if (sex !== 'L' && sex !== 'P') return undefined;
  if (!isStr(birthDate) || !ISO_DATE_PATTERN.test(birthDate)) return undefined;
  const originAddress = text(x.originAddress, 0, 200);
  if (originAddress === undefined) return undefined;
  if (!isStr(destinationVillageCode) || !VILLAGE_CODE_PATTERN.test(destinationVillageCode)) return undefined;
  const h = health(x.health);
  if (!h) return undefined;
  const scan: Scan = {
    v,
    scanId,
    checkpointId,
    deviceId,
    seq: seq as number,
    scannedAt,
    // zod keeps the schema's key order: the flag sits right after scannedAt.
    ...(untrusted ? { untrustedTime: true as const } : {}),
    nik,
    name,
    sex,
    birthDate,
    originAddress,
    destinationVillageCode,
    health: h,
  };
  if (v2) scan.officer = officer as string;
  return scan;
}
