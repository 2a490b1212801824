/**
 * Alert rules, pure: a scan, a device status or a series of counts in; the alerts they raise out.
 * No I/O, no clock. An alert's `key` is what de-duplication folds on: a traveller's alerts are keyed
 * by rule + a keyed hash of the NIK (so a re-scan of the same person folds into one alert), a device's
 * by `checkpoint/device`, a surge by checkpoint. Title and text never carry a NIK or a name.
 */
import type { AlertRule, DeviceStatus, Scan, Severity } from '@sk/protocol';

export type { AlertRule, Severity };

export interface AlertCandidate {
  rule: AlertRule;
  /** De-duplication key: one active alert per key. */
  key: string;
  subject: string;
  severity: Severity;
  scanId?: string;
  checkpointId?: string;
  /** Where the traveller is going (village scoping and routing). */
  villageCode?: string;
  title: string;
  text: string;
}

export interface RuleOptions {
  feverC: number;
  /** Province (`51`) or regency (`35.09`) codes of the traveller's NIK origin. */
  watchOrigins: readonly string[];
}

/**
 * `personKey` identifies the traveller without being the NIK (an HMAC of it); defaults to the scanId.
 * A function is called only when a rule fires (most travellers raise nothing: no HMAC for them); it
 * takes the scan, so the caller makes it once rather than a closure per scan.
 */
export function scanAlerts(scan: Scan, o: RuleOptions, personKey: string | ((scan: Scan) => string) = scan.scanId): AlertCandidate[] {
  // Most travellers raise nothing: for them no candidate, closure or origin string is built (issue 5).
  const h = scan.health;
  const positive = h.rapidTest === 'positif';
  const fever = h.temperatureC >= o.feverC;
  const symptoms = h.symptoms.length > 0;
  const watched = o.watchOrigins.length > 0 ? watchedOrigin(scan.nik, o.watchOrigins) : undefined;
  if (!positive && !fever && !symptoms && !watched) return [];
  const person = typeof personKey === 'function' ? personKey(scan) : personKey;
  const out: AlertCandidate[] = [];
  const add = (rule: AlertRule, severity: Severity, title: string, text: string) => {
    out.push({ subject: scan.scanId, scanId: scan.scanId, checkpointId: scan.checkpointId, villageCode: scan.destinationVillageCode, rule, severity, key: `${rule}|${person}`, title, text });
  };
  if (positive) add('rapid_positive', 'critical', 'Rapid test positif', 'rapid test positif');
  if (fever) add('fever', 'major', 'Demam', `suhu ${h.temperatureC.toFixed(1)} °C ≥ ${o.feverC} °C`);
  if (symptoms) add('symptoms', 'minor', 'Bergejala', `gejala: ${h.symptoms.join(', ')}`);
  if (watched) add('watch_origin', 'warning', 'Asal daerah pantauan', `asal daerah dalam pantauan (${watched})`);
  return out;
}

/** The first watched code (province `51` or regency `35.09`) that is the NIK's origin, if any. */
function watchedOrigin(nik: string, watch: readonly string[]): string | undefined {
  const province = nik.slice(0, 2);
  const regency = `${province}.${nik.slice(2, 4)}`;
  for (const c of watch) if (c === province || c === regency) return c;
  return undefined;
}

/** A device is offline when it says so, or when its last status is older than `offlineAfterMs`. */
export function deviceOffline(s: DeviceStatus, nowMs: number, offlineAfterMs: number): boolean {
  return s.state === 'offline' || nowMs - Date.parse(s.at) > offlineAfterMs;
}

export function deviceAlert(s: DeviceStatus): AlertCandidate {
  const subject = `${s.checkpointId}/${s.deviceId}`;
  return { rule: 'device_offline', key: `device_offline|${subject}`, subject, severity: 'major', checkpointId: s.checkpointId, title: 'Perangkat offline', text: `perangkat ${s.deviceId} offline` };
}

export interface BacklogOptions {
  /** Outbox depth from which a rising backlog is worth an alert. */
  minDepth: number;
  /** Consecutive rising status reports needed. */
  risingReports: number;
}

/**
 * The device's outbox keeps growing: the last `risingReports` depths strictly rise and the latest is at
 * least `minDepth` (critical when its disk is 80 % full). Returns 'clear' once the backlog has drained
 * below half of `minDepth`, null when nothing changes.
 */
export function backlogCheck(s: DeviceStatus, depths: readonly number[], o: BacklogOptions): AlertCandidate | 'clear' | null {
  const last = depths[depths.length - 1];
  if (last === undefined) return null;
  if (last < o.minDepth / 2) return 'clear';
  const recent = depths.slice(-(o.risingReports + 1));
  const rising = recent.length === o.risingReports + 1 && recent.every((d, i) => i === 0 || d > recent[i - 1]!);
  if (!rising || last < o.minDepth) return null;
  const ob = s.outbox;
  const fill = ob && ob.diskLimitBytes > 0 ? ob.diskBytes / ob.diskLimitBytes : 0;
  const subject = `${s.checkpointId}/${s.deviceId}`;
  return {
    rule: 'device_backlog', key: `device_backlog|${subject}`, subject, checkpointId: s.checkpointId,
    severity: fill >= 0.8 ? 'critical' : 'major',
    title: 'Antrean perangkat terus naik',
    text: `perangkat ${s.deviceId}: ${last} scan belum terkirim${fill > 0 ? `, disk ${Math.round(fill * 100)} %` : ''}`,
  };
}

export interface SurgeOptions {
  /** The window compared, in minutes. */
  windowMin: number;
  /** The baseline: the average window over this many minutes before it. */
  baselineMin: number;
  /** Surge when the window holds at least `factor` × the baseline… */
  factor: number;
  /** …and at least this many arrivals (so a quiet night's 3 after 1 is not a surge). */
  minCount: number;
}

/**
 * `perMinute` holds arrivals per minute, oldest first, the last entry the current minute.
 * Returns the window's count and the baseline when it is a surge, else null.
 */
export function surgeCheck(perMinute: readonly number[], o: SurgeOptions): { count: number; baseline: number } | null {
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const count = sum(perMinute.slice(-o.windowMin));
  const before = perMinute.slice(-(o.windowMin + o.baselineMin), -o.windowMin);
  const baseline = before.length ? (sum(before) / before.length) * o.windowMin : 0;
  return count >= o.minCount && count >= o.factor * baseline ? { count, baseline: Math.round(baseline * 10) / 10 } : null;
}

export function surgeAlert(checkpointId: string, s: { count: number; baseline: number }, o: SurgeOptions): AlertCandidate {
  return {
    rule: 'arrival_surge', key: `arrival_surge|${checkpointId}`, subject: checkpointId, checkpointId, severity: 'major',
    title: 'Lonjakan kedatangan', text: `${s.count} kedatangan dalam ${o.windowMin} menit (biasanya ${s.baseline})`,
  };
}
