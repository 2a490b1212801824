/**
 * The database of record (issue 15): one schema for SQLite (embedded default) and PostgreSQL (cluster
 * mode), typed once here for Kysely. The tables are made by the versioned migrations in migrations.ts;
 * these interfaces must follow them.
 *
 * Conventions, the same on both engines so one codec serves both:
 * - instants are ISO 8601 text in UTC with milliseconds (`2026-12-06T03:04:05.678Z`), which sorts in
 *   time order; calendar dates are `YYYY-MM-DD` text (never a JS Date: a birth date is a plain date);
 * - structured details that are only ever read whole are JSON text in a `body` column, beside the
 *   columns that are searched, joined or kept unique;
 * - generated ids are 64-bit integers (SQLite `integer primary key`, PostgreSQL `bigserial`), read back
 *   as numbers.
 *
 * Personal data (NIK, name, birth date, address; UU PDP) lives in `scans` and nowhere else: the aid
 * tables keep HMAC keys of NIK/KK, alerts and follow-ups refer to a scan by its id. A scan is also its
 * destination village's expected arrival (eta, arrival_state): one row, one insert on the hot path.
 */
import type { Generated, Insertable, Selectable } from 'kysely';

export interface ScansTable {
  scan_id: string;
  checkpoint_id: string;
  device_id: string;
  seq: number;
  /** The instant the scan is kept at: the device's time, or the receive time when that was out of bounds. */
  scanned_at: string;
  /** What the device said, when the server did not trust it (`clock_flag` set); else null. */
  device_scanned_at: string | null;
  /** null, or why the device's time was replaced: `future` | `past` | `untrusted`. */
  clock_flag: string | null;
  received_at: string;
  // --- personal data: null once purged (PII_RETENTION_DAYS) or erased ---
  nik: string | null;
  name: string | null;
  sex: string | null;
  birth_date: string | null;
  origin_address: string | null;
  // --- not personal: kept for the series and the counts after a purge ---
  origin_regency: string;
  dest_village: string;
  dest_district: string;
  temperature_c: number;
  /** JSON array of symptom codes. */
  symptoms: string;
  rapid_test: string;
  vaccination_doses: number;
  health: string;
  /** The officer on duty (scan v2), null for older devices. */
  officer: string | null;
  // --- the expected arrival at the destination village (every scan is one) ---
  /** When the traveller is expected at the village. */
  eta: string;
  /** expected | arrived | overdue */
  arrival_state: string;
  arrived_at: string | null;
  /** The village officer who marked "Sudah tiba". */
  arrived_by: string | null;
  /** When the personal columns were cleared (retention or erasure); null while they are held. */
  pii_cleared_at: string | null;
  /** 1 when the village officer found the home unfit for self-isolation (migration 0002; null = not assessed). */
  home_unfit?: number | null;
}

export interface AlertsTable {
  id: Generated<number>;
  rule: string;
  severity: string;
  /** What the alert is about (a person key, a device, a checkpoint): one open alert per (rule, subject). */
  subject_key: string;
  /** active | acknowledged | cleared */
  state: string;
  /** Set while the alert is open (= `${rule}|${subject_key}`), null once cleared: unique, so the database keeps one open alert per key. */
  open_key: string | null;
  village_code: string | null;
  checkpoint_id: string | null;
  scan_id: string | null;
  count: number;
  raised_at: string;
  updated_at: string;
  acked_at: string | null;
  acked_by: string | null;
  cleared_at: string | null;
  cleared_by: string | null;
  body: string;
  /** Who must answer it: `command` or `village` (migration 0002, alert triage); null on alerts raised before it. */
  answer_by?: string | null;
}

/** A traveller the village and its puskesmas follow up (issue 17): one open follow-up per person. */
export interface FollowUpsTable {
  id: Generated<number>;
  /** HMAC of the NIK (never the NIK): a person scanned again while followed up folds into the same follow-up. */
  person_key: string;
  /** = person_key while not `selesai`, null after: unique, one open follow-up per person. */
  open_key: string | null;
  /** The scan that opened it; `last_scan_id` the latest folded in (follow_up_scans lists them all). */
  scan_id: string;
  last_scan_id: string;
  /** positive | fever | symptoms | watch_origin: the worst seen. */
  reason: string;
  /** 1 positive … 4 watch_origin: lower is more urgent. */
  priority: number;
  village_code: string;
  district_code: string;
  checkpoint_id: string;
  /** baru | dihubungi | dites | isolasi_mandiri | selesai */
  state: string;
  /** The alert raised with it (fever, positive): it follows the follow-up's lifecycle. */
  alert_id: number | null;
  count: number;
  created_at: string;
  updated_at: string;
  /** Contact due by (overdue when still `baru` after it). */
  due_at: string;
  updated_by: string | null;
  /** JSON: { history: [{ state, at, by, note? }] } */
  body: string;
}

/** Which follow-up covers each scan: written in the same transaction as the follow-up (and its alert). */
export interface FollowUpScansTable {
  scan_id: string;
  follow_up_id: number;
}

export interface QuarantineFacilitiesTable {
  id: string;
  name: string;
  district_code: string;
  capacity: number;
  body: string;
}

export interface QuarantineAssignmentsTable {
  id: Generated<number>;
  scan_id: string;
  facility_id: string;
  /** active | released */
  state: string;
  /** = scan_id while active, null once released: one active assignment per traveller. */
  active_key: string | null;
  starts_at: string;
  ends_at: string;
  created_at: string;
  created_by: string | null;
  body: string;
}

export interface AidProgrammesTable {
  id: string;
  body: string;
}

export interface AidHandoutsTable {
  handout_id: string;
  programme_id: string;
  /** The programme period the handout counts in (e.g. `2026-12`, `2026-Q4`, `2026`). */
  period: string;
  village_code: string;
  /** HMAC(server secret, NIK): never the raw NIK. */
  person_key: string;
  /** HMAC of the KK, for household programmes; null when not given. */
  household_key: string | null;
  /** HMAC of normalised name + birth date (possible doubles under another NIK); null when not given. */
  name_dob_key: string | null;
  handed_at: string;
  /** recorded | double | cancelled */
  status: string;
  recorded_by: string | null;
  body: string;
}

export interface AidAlarmsTable {
  id: Generated<number>;
  /** active | acknowledged | resolved */
  state: string;
  severity: string;
  /** Unique while the alarm is open: the database decides which of two simultaneous doubles raises it. */
  open_key: string | null;
  handout_id: string;
  raised_at: string;
  updated_at: string;
  body: string;
  // --- migration 0003_aid_extra: each set once, by a conditional update (first writer wins) ---
  acked_at?: string | null;
  acked_by?: string | null;
  resolved_at?: string | null;
  resolved_by?: string | null;
  /** cancel | confirm */
  resolution?: string | null;
  resolution_reason?: string | null;
}

/** The villages an aid alarm involves (migration 0003): whose dashboards and audits show it. */
export interface AidAlarmVillagesTable {
  village_code: string;
  alarm_id: number;
}

export interface AidAuditTable {
  id: Generated<number>;
  alarm_id: number | null;
  handout_id: string | null;
  at: string;
  by: string | null;
  action: string;
  body: string;
  /** The recording village (migration 0003); null for regency-wide entries. */
  village_code?: string | null;
}

export interface UsersTable {
  username: string;
  role: string;
  village_code: string | null;
  checkpoint_id: string | null;
  password_hash: string;
  created_at: string;
  body: string;
}

export interface SessionsTable {
  /** sha256 of the session token (the token itself is only in the user's cookie). */
  token_hash: string;
  username: string;
  created_at: string;
  expires_at: string;
}

export interface PuskesmasReportsTable {
  puskesmas_id: string;
  date: string;
  /** pending (not yet in InfluxDB) | stored */
  state: string;
  submitted_at: string;
  submitted_by: string | null;
  body: string;
}

export interface DeadLettersTable {
  id: Generated<number>;
  topic: string;
  reason: string;
  /** Why, in words; never the payload (it may hold personal data). */
  message: string;
  received_at: string;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface Database {
  scans: ScansTable;
  alerts: AlertsTable;
  quarantine_facilities: QuarantineFacilitiesTable;
  quarantine_assignments: QuarantineAssignmentsTable;
  aid_programmes: AidProgrammesTable;
  aid_handouts: AidHandoutsTable;
  aid_alarms: AidAlarmsTable;
  aid_alarm_villages: AidAlarmVillagesTable;
  aid_audit: AidAuditTable;
  users: UsersTable;
  sessions: SessionsTable;
  puskesmas_reports: PuskesmasReportsTable;
  dead_letters: DeadLettersTable;
  meta: MetaTable;
  follow_ups: FollowUpsTable;
  follow_up_scans: FollowUpScansTable;
}

export type ScanRow = Selectable<ScansTable>;
export type NewScanRow = Insertable<ScansTable>;
export type AlertRow = Selectable<AlertsTable>;
