/**
 * Alert rules, pure: a scan (or a device status) in, the alerts it raises out. No I/O, no clock.
 * Subjects: a scan's alerts are keyed by scanId (one traveller at one checkpoint), a device's by
 * `checkpoint/device`.
 */
import type { DeviceStatus, Scan } from '@sk/protocol';

export type AlertRule = 'fever' | 'symptoms' | 'rapid_positive' | 'watch_origin' | 'device_offline';
export type Severity = 'critical' | 'major' | 'minor' | 'warning';

export interface AlertCandidate {
  rule: AlertRule;
  subject: string;
  severity: Severity;
  checkpointId: string;
  /** Where the traveller is going (for village scoping); absent for device alerts. */
  villageCode?: string;
  /** Short, no personal data (the console joins the arrival by scanId for names). */
  detail: string;
}

export interface RuleOptions {
  feverC: number;
  /** Province (`51`) or regency (`35.09`) codes of the traveller's NIK origin. */
  watchOrigins: readonly string[];
}

export function scanAlerts(scan: Scan, o: RuleOptions): AlertCandidate[] {
  const base = { subject: scan.scanId, checkpointId: scan.checkpointId, villageCode: scan.destinationVillageCode };
  const out: AlertCandidate[] = [];
  const h = scan.health;
  if (h.rapidTest === 'positif') out.push({ ...base, rule: 'rapid_positive', severity: 'critical', detail: 'rapid test positif' });
  if (h.temperatureC >= o.feverC) out.push({ ...base, rule: 'fever', severity: 'major', detail: `suhu ${h.temperatureC.toFixed(1)} °C ≥ ${o.feverC} °C` });
  if (h.symptoms.length > 0) out.push({ ...base, rule: 'symptoms', severity: 'minor', detail: `gejala: ${h.symptoms.join(', ')}` });
  const province = scan.nik.slice(0, 2);
  const regency = `${province}.${scan.nik.slice(2, 4)}`;
  const watched = o.watchOrigins.find((c) => c === province || c === regency);
  if (watched) out.push({ ...base, rule: 'watch_origin', severity: 'warning', detail: `asal daerah dalam pantauan (${watched})` });
  return out;
}

/** A device is offline when it says so, or when its last status is older than `offlineAfterMs`. */
export function deviceOffline(s: DeviceStatus, nowMs: number, offlineAfterMs: number): boolean {
  return s.state === 'offline' || nowMs - Date.parse(s.at) > offlineAfterMs;
}

export function deviceAlert(s: DeviceStatus): AlertCandidate {
  return { rule: 'device_offline', subject: `${s.checkpointId}/${s.deviceId}`, severity: 'major', checkpointId: s.checkpointId, detail: `perangkat ${s.deviceId} offline` };
}
