/**
 * InfluxDB 1.x line protocol for an arrival, written by hand for the ingest hot path.
 *
 * Why not node-influx's writePoints: it re-derives field order, escapes every value through a generic
 * escaper and builds the body by string concatenation per pair — measured at 2× the time of this
 * serializer for a 5,000-scan batch, all of it on the server's event loop (bench e2e, issue 5).
 * The output is the same points: the same series (tags; here sorted by key, which InfluxDB prefers and
 * which does not change the series key), the same field names and types as node-influx wrote before
 * (numbers as floats, no `i` suffix: a field's type is fixed per shard, so this must not change),
 * and the same timestamp. server/src/store/line-protocol.test.ts checks it against node-influx.
 */
import { healthStatus, type Scan } from '@sk/protocol';
import { destDistrictTag, MEASUREMENT, originRegencyTag, pointTimestampNs, type ArrivalPoint } from './arrival-point.ts';

// Line protocol escapes (InfluxDB 1.x): tag keys/values escape comma, equals and space; string field
// values escape double quote and backslash.
const TAG_SPECIAL = /[,= ]/;
const TAG_ALL = /[,= ]/g;
const STR_SPECIAL = /["\\]/;
const STR_ALL = /["\\]/g;
const tag = (s: string) => (TAG_SPECIAL.test(s) ? s.replace(TAG_ALL, '\\$&') : s);
const quoted = (s: string) => `"${STR_SPECIAL.test(s) ? s.replace(STR_ALL, '\\$&') : s}"`;

/** Sorted key orders, per layout (there are two: arrival-point.ts v2 and v1), computed once each. */
const sortedKeys = new Map<string, string[]>();
function sorted(o: object): string[] {
  const keys = Object.keys(o);
  if (keys.length === 1) return keys;
  const sig = keys.join(',');
  let s = sortedKeys.get(sig);
  if (!s) sortedKeys.set(sig, (s = keys.sort()));
  return s;
}

export function pointToLine(p: ArrivalPoint): string {
  const tagKeys = sorted(p.tags);
  const fieldKeys = sorted(p.fields);
  let line = tag(p.measurement);
  for (const k of tagKeys) {
    const v = p.tags[k];
    if (v) line += `,${k}=${tag(v)}`; // an empty tag value is not allowed; node-influx would fail the batch
  }
  let sep = ' ';
  for (const k of fieldKeys) {
    const v = p.fields[k];
    if (v === undefined) continue;
    line += `${sep}${k}=${typeof v === 'string' ? quoted(v) : String(v)}`;
    sep = ',';
  }
  return `${line} ${p.timestamp}`;
}

/**
 * `pointToLine(scanToPoint(scan, feverC))`, written straight from the scan: no point, tag or field
 * objects and no key sorting per scan (the ingest hot path, issue 5). Tags in sorted key order.
 * line-protocol.test.ts checks it against the generic form on generated and hostile scans.
 */
export function scanLine(scan: Scan, feverC: number): string {
  let line = `${MEASUREMENT},checkpoint=${tag(scan.checkpointId)},destDistrict=${tag(destDistrictTag(scan.destinationVillageCode))},device=${tag(scan.deviceId)}`;
  line += `,health=${tag(healthStatus(scan.health, feverC))},originProvince=${tag(scan.nik.slice(0, 2))},originRegency=${tag(originRegencyTag(scan.nik))}`;
  const h = scan.health;
  return `${line} symptoms=${h.symptoms.length},temperatureC=${h.temperatureC},vaccinationDoses=${h.vaccinationDoses} ${pointTimestampNs(scan.scannedAt, scan.seq)}`;
}

/** The point of a stored row (layout v3): the same line as `scanLine` of its scan, from non-personal columns only. */
export function rowLine(r: { checkpoint_id: string; device_id: string; dest_district: string; health: string; origin_regency: string; seq: number; scanned_at: string; temperature_c: number; vaccination_doses: number; symptoms: string }): string {
  let line = `${MEASUREMENT},checkpoint=${tag(r.checkpoint_id)},destDistrict=${tag(r.dest_district)},device=${tag(r.device_id)}`;
  line += `,health=${tag(r.health)},originProvince=${tag(r.origin_regency.slice(0, 2))},originRegency=${tag(r.origin_regency)}`;
  const symptoms = r.symptoms === '[]' ? 0 : r.symptoms.split(',').length;
  return `${line} symptoms=${symptoms},temperatureC=${Number(r.temperature_c)},vaccinationDoses=${Number(r.vaccination_doses)} ${pointTimestampNs(r.scanned_at, Number(r.seq))}`;
}

/** One `/write` body from lines, encoded in chunks (see `scansToBody`). */
export function linesToBody(lines: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < lines.length; i += LINES_PER_CHUNK) parts.push(Buffer.from(lines.slice(i, i + LINES_PER_CHUNK).join('\n') + (i + LINES_PER_CHUNK < lines.length ? '\n' : '')));
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** Lines per encoded chunk of a write body (see `scansToBody`). */
const LINES_PER_CHUNK = 64;

/**
 * One `/write` body for a batch of scans, as bytes. Built in chunks of 64 lines, each encoded to UTF-8
 * on its own, then concatenated: one string for the whole batch (`body += line`, ~1.8 MB for 5,000
 * scans) was a rope of some 75,000 pieces that fetch had to flatten and measure before sending —
 * 17 ms per batch, about 4 % of the server's busy time at e2e load, and twice the cost of this
 * (issue 5, docs/benchmarks.md finding 14).
 */
export function scansToBody(scans: readonly Scan[], feverC: number): Buffer {
  const parts: Buffer[] = [];
  let chunk = '';
  for (let i = 0; i < scans.length; i++) {
    chunk += (i === 0 ? '' : '\n') + scanLine(scans[i]!, feverC);
    if (i % LINES_PER_CHUNK === LINES_PER_CHUNK - 1 || i === scans.length - 1) {
      parts.push(Buffer.from(chunk));
      chunk = '';
    }
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
