/**
 * Scan ⇄ InfluxDB point, pure. The point identity (series + timestamp) is a function of the scan
 * alone, so writing a replayed scan again overwrites the same point: stored exactly once.
 *
 * Layout v3 (issue 15): tags (checkpoint, device, originProvince, originRegency, destDistrict, health
 * — low-cardinality, never personal) and three numeric fields: temperatureC, vaccinationDoses and
 * symptoms (a count). NIK, name, birth date and address are not in InfluxDB at all: the database of
 * record (server/src/db) holds them, with retention and erasure. The tags are the same as v2's, so a
 * scan replayed across the upgrade lands on its old point's series and timestamp. Counting uses
 * `count(temperatureC)`: v1 and v3 points have it; the legacy import (store/legacy-points.ts) moves
 * v2 points (one `record` string holding the whole scan, personal data included) into the database
 * and rewrites them as v3.
 *
 * The destination village stays out of the tags: as a tag (217 values) it made almost every point a
 * new series and halved influxd's write rate (docs/benchmarks.md); village queries go to the database.
 * The device tag stays: with seq in the timestamp it keeps two devices' scans of the same millisecond
 * apart. Fields cost influxd CPU per point (28.8 µs with five, 8.9 µs with one, measured in issue 5):
 * three is the least that lets InfluxQL and Grafana chart the screening.
 *
 * Legacy readers: records v1 and v2 (`encodeRecord`, `rowToScan`) are still decoded here, for the
 * import of points written before issue 15.
 */
import { healthStatus, SYMPTOMS, type Scan } from '@sk/protocol';

export const MEASUREMENT = 'arrivals';

export interface ArrivalPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, string | number>;
  /** Nanoseconds since the epoch, as a decimal string (too big for a JS number). */
  timestamp: string;
}

/**
 * `Date.parse(scannedAt) * 1e6 + seq % 1e6` ns: scans of one device in the same millisecond differ by
 * seq, and the same scan always lands on the same nanosecond.
 */
export function pointTimestampNs(scannedAt: string, seq: number): string {
  const ms = Date.parse(scannedAt);
  // For ms ≥ 0 the sum is the decimal digits of ms followed by seq % 1e6 in six digits: no BigInt
  // arithmetic per scan (issue 5). Before 1970 the BigInt sum (same result by definition).
  if (ms >= 0) return ms === 0 ? String(seq % 1_000_000) : `${ms}${String(seq % 1_000_000).padStart(6, '0')}`;
  return (BigInt(ms) * 1_000_000n + BigInt(seq % 1_000_000)).toString();
}

/** The `originRegency` tag: the NIK's first four digits as a regency code (`35.10`). */
export const originRegencyTag = (nik: string): string => `${nik.slice(0, 2)}.${nik.slice(2, 4)}`;
/** The `destDistrict` tag: the district part of the destination village code (`35.10.21`). */
export const destDistrictTag = (villageCode: string): string => villageCode.slice(0, 8);

/**
 * The point's tags: what the rollups group by (also counted in memory for the open days). The hot
 * path builds the same values without this object (line-protocol.ts `scanLine`, rollups.ts `touch`),
 * through the tag helpers above.
 */
export function scanTags(scan: Scan, feverC: number) {
  return {
    checkpoint: scan.checkpointId,
    device: scan.deviceId,
    originProvince: scan.nik.slice(0, 2),
    originRegency: originRegencyTag(scan.nik),
    destDistrict: destDistrictTag(scan.destinationVillageCode),
    health: healthStatus(scan.health, feverC),
  };
}

/**
 * The point (layout v3, issue 15): tags plus the screening as numbers, and no personal data — the
 * NIK, name, birth date and address live only in the database of record. Queryable with InfluxQL and
 * Grafana: `SELECT mean("temperatureC") FROM arrivals WHERE … GROUP BY time(1h), "checkpoint"`.
 * Numbers are floats (no `i` suffix), the type v1 points gave temperatureC, so shards never disagree.
 */
export function scanToPoint(scan: Scan, feverC: number): ArrivalPoint {
  return {
    measurement: MEASUREMENT,
    tags: scanTags(scan, feverC),
    fields: { temperatureC: scan.health.temperatureC, vaccinationDoses: scan.health.vaccinationDoses, symptoms: scan.health.symptoms.length },
    timestamp: pointTimestampNs(scan.scannedAt, scan.seq),
  };
}

/** The v2 point (one `record` field holding the whole scan, personal data included): written until issue 15; read by the legacy import only. */
export function scanToPointV2(scan: Scan, feverC: number): ArrivalPoint {
  return {
    measurement: MEASUREMENT,
    tags: scanTags(scan, feverC),
    fields: { record: encodeRecord(scan) },
    timestamp: pointTimestampNs(scan.scannedAt, scan.seq),
  };
}

/** The v1 point (five fields): still what the InfluxDB 2.x store writes, whose Flux queries read those fields. */
export function scanToPointV1(scan: Scan, feverC: number): ArrivalPoint {
  return {
    measurement: MEASUREMENT,
    tags: scanTags(scan, feverC),
    fields: {
      scanId: scan.scanId,
      seq: scan.seq,
      destVillage: scan.destinationVillageCode,
      temperatureC: scan.health.temperatureC,
      record: encodeRecordV1(scan),
    },
    timestamp: pointTimestampNs(scan.scannedAt, scan.seq),
  };
}

const SEP = '\u001f';
const RECORD_V1 = '1';
const RECORD_V2 = '2';

/**
 * The scan in one string, v2: `2␟destVillage␟scanId␟seq␟temperatureC␟nik␟name␟sex␟birthDate␟address␟symptoms␟rapidTest␟doses␟scannedAt`.
 * The village comes first (see `villageRecordRegex`), scannedAt last (see `rowScannedAt`).
 */
export function encodeRecord(scan: Scan): string {
  const h = scan.health;
  return (
    RECORD_V2 + SEP + scan.destinationVillageCode + SEP + scan.scanId + SEP + scan.seq + SEP + h.temperatureC + SEP + scan.nik + SEP + scan.name +
    SEP + scan.sex + SEP + scan.birthDate + SEP + scan.originAddress + SEP + h.symptoms.join(',') + SEP + h.rapidTest + SEP + h.vaccinationDoses + SEP + scan.scannedAt
  );
}

/** v1: `1␟nik␟name␟sex␟birthDate␟address␟symptoms␟rapidTest␟doses␟scannedAt` (the other values were fields). */
export function encodeRecordV1(scan: Scan): string {
  const h = scan.health;
  return [RECORD_V1, scan.nik, scan.name, scan.sex, scan.birthDate, scan.originAddress, h.symptoms.join(','), h.rapidTest, h.vaccinationDoses, scan.scannedAt].join(SEP);
}

/**
 * An InfluxQL regex literal matching the v2 records of one destination village, exactly: anchored at
 * the start, the code's dots escaped, closed by the separator (so `…2001` never matches `…20011`).
 */
export function villageRecordRegex(villageCode: string): string {
  return `/^${RECORD_V2}\\x1f${villageCode.replace(/[.\\/^$*+?()[\]{}|-]/g, '\\$&')}\\x1f/`;
}

type Row = Record<string, unknown>;

/**
 * The record's values by the names rows had when each was its own field; a row written before the
 * record existed (its own fields) passes through as it is.
 */
function recordFields(row: Row): Row {
  if (typeof row.record !== 'string') return row;
  const v = row.record.split(SEP);
  if (v[0] === RECORD_V2 && v.length === 14) {
    const [, destVillage, scanId, seq, temperatureC, nik, name, sex, birthDate, originAddress, symptoms, rapidTest, vaccinationDoses, scannedAt] = v;
    return { ...row, destVillage, scanId, seq: Number(seq), temperatureC: Number(temperatureC), nik, name, sex, birthDate, originAddress, symptoms, rapidTest, vaccinationDoses: Number(vaccinationDoses), scannedAt };
  }
  if (v[0] !== RECORD_V1) return row;
  const [, nik, name, sex, birthDate, originAddress, symptoms, rapidTest, vaccinationDoses, scannedAt] = v;
  return { ...row, nik, name, sex, birthDate, originAddress, symptoms, rapidTest, vaccinationDoses: Number(vaccinationDoses), scannedAt };
}

const isRecord = (r: unknown): r is string => typeof r === 'string' && (r.startsWith(RECORD_V2 + SEP) || r.startsWith(RECORD_V1 + SEP));

/** scannedAt of a stored row (from its record, or from the old field). */
export function rowScannedAt(row: Row): string {
  // The last value of a record, either version (no split: stored-id listings read every row of a range).
  if (isRecord(row.record)) return row.record.slice(row.record.lastIndexOf(SEP) + 1);
  return str(recordFields(row).scannedAt);
}

/** scanId of a stored row: the third value of a v2 record, else the old field. */
export function rowScanId(row: Row): string {
  const r = row.record;
  if (typeof r === 'string' && r.startsWith(RECORD_V2 + SEP)) {
    const from = r.indexOf(SEP, 2) + 1;
    return r.slice(from, r.indexOf(SEP, from));
  }
  return str(row.scanId);
}
const str = (v: unknown): string => (typeof v === 'string' ? v : String(v ?? ''));
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

/** Rebuilds the scan from a query row (fields + tags). */
export function rowToScan(raw: Row): Scan {
  const row = recordFields(raw);
  const symptoms = str(row.symptoms)
    .split(',')
    .filter((s): s is (typeof SYMPTOMS)[number] => (SYMPTOMS as readonly string[]).includes(s));
  return {
    v: 1,
    scanId: str(row.scanId),
    checkpointId: str(row.checkpoint),
    deviceId: str(row.device),
    seq: num(row.seq),
    scannedAt: str(row.scannedAt),
    nik: str(row.nik),
    name: str(row.name),
    sex: str(row.sex) === 'P' ? 'P' : 'L',
    birthDate: str(row.birthDate),
    originAddress: str(row.originAddress),
    destinationVillageCode: str(row.destVillage),
    health: {
      temperatureC: num(row.temperatureC),
      symptoms,
      rapidTest: (['negatif', 'positif', 'tidak_dites'] as const).find((r) => r === row.rapidTest) ?? 'tidak_dites',
      vaccinationDoses: num(row.vaccinationDoses),
    },
  };
}
