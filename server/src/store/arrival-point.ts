/**
 * Scan ⇄ InfluxDB point, pure. The point identity (series + timestamp) is a function of the scan
 * alone, so writing a replayed scan again overwrites the same point: stored exactly once.
 *
 * Tags are low-cardinality and never personal (checkpoint, device, region codes, health class);
 * NIK, name, address are fields only (a tag would be indexed and listed by SHOW TAG VALUES).
 * The destination village is a field too: as a tag (217 values) it made almost every point a new
 * series and halved influxd's write rate (docs/benchmarks.md); the district tag still narrows a
 * village's query to one district's series. The device tag stays: with seq in the timestamp it keeps
 * two devices' scans of the same millisecond apart.
 *
 * Few fields (issue 5, docs/benchmarks.md): InfluxDB 1.x stores every field of every series as its own
 * column (its own cache entry, WAL entry and TSM key), so a point's write cost grows with its field
 * count. The 13 fields a point once had made influxd the e2e bench's largest consumer of CPU. Now:
 * `scanId` (counted by the rollups), `seq`, `destVillage` (a village officer's filter), `temperatureC`
 * (the one measurement worth charting) and `record`: the rest of the scan in one string, values
 * separated by U+001F (the schemas refuse control characters in every text, so it cannot occur inside
 * a value), version-prefixed so the layout can change.
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
  return (BigInt(Date.parse(scannedAt)) * 1_000_000n + BigInt(seq % 1_000_000)).toString();
}

/** The point's tags: what the rollups group by (also counted in memory for the open days). */
export function scanTags(scan: Scan, feverC: number) {
  return {
    checkpoint: scan.checkpointId,
    device: scan.deviceId,
    originProvince: scan.nik.slice(0, 2),
    originRegency: `${scan.nik.slice(0, 2)}.${scan.nik.slice(2, 4)}`,
    destDistrict: scan.destinationVillageCode.slice(0, 8),
    health: healthStatus(scan.health, feverC),
  };
}

export function scanToPoint(scan: Scan, feverC: number): ArrivalPoint {
  const code = scan.destinationVillageCode; // 35.10.21.2001
  return {
    measurement: MEASUREMENT,
    tags: scanTags(scan, feverC),
    fields: {
      scanId: scan.scanId,
      seq: scan.seq,
      destVillage: code,
      temperatureC: scan.health.temperatureC,
      record: encodeRecord(scan),
    },
    timestamp: pointTimestampNs(scan.scannedAt, scan.seq),
  };
}

const SEP = '\u001f';
const RECORD_V1 = '1';

/** The scan's personal and health data in one string: `1␟nik␟name␟sex␟birthDate␟address␟symptoms␟rapidTest␟doses␟scannedAt`. */
export function encodeRecord(scan: Scan): string {
  const h = scan.health;
  return [RECORD_V1, scan.nik, scan.name, scan.sex, scan.birthDate, scan.originAddress, h.symptoms.join(','), h.rapidTest, h.vaccinationDoses, scan.scannedAt].join(SEP);
}

type Row = Record<string, unknown>;

/**
 * The record's values by the names rows had when each was its own field; a row written before the
 * record existed (its own fields) passes through as it is.
 */
function recordFields(row: Row): Row {
  if (typeof row.record !== 'string') return row;
  const [v, nik, name, sex, birthDate, originAddress, symptoms, rapidTest, vaccinationDoses, scannedAt] = row.record.split(SEP);
  if (v !== RECORD_V1) return row;
  return { ...row, nik, name, sex, birthDate, originAddress, symptoms, rapidTest, vaccinationDoses: Number(vaccinationDoses), scannedAt };
}

/** scannedAt of a stored row (from its record, or from the old field). */
export function rowScannedAt(row: Row): string {
  // The last value of a v1 record (no split: stored-id listings read every row of a range).
  if (typeof row.record === 'string' && row.record.startsWith(RECORD_V1 + SEP)) return row.record.slice(row.record.lastIndexOf(SEP) + 1);
  return str(recordFields(row).scannedAt);
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
