/**
 * Alerts as the console sees them (HTTP `/api/alerts` and the live `alert` event), ThingsBoard's model:
 * one active alert per (subject, rule); active → acknowledged → cleared, with who and when.
 * Title and text never carry a NIK or a name: the console joins the arrival by `scanId` for those.
 */

export const ALERT_RULES = [
  'rapid_positive', 'fever', 'symptoms', 'watch_origin',
  'device_offline', 'device_backlog', 'arrival_surge', 'arrival_overdue', 'quarantine_full', 'follow_up_overdue',
] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

export const SEVERITIES = ['critical', 'major', 'minor', 'warning'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type AlertState = 'active' | 'acknowledged' | 'cleared';

/** `{ id: 7, rule: 'fever', severity: 'major', state: 'active', subject: '01J…', villageCode: '35.10.21.2003', … }` */
export interface AlertEvent {
  id: number;
  rule: AlertRule;
  severity: Severity;
  state: AlertState;
  /** What the alert is about: a scanId, `checkpoint/device`, a checkpoint id or a facility id. */
  subject: string;
  /** The traveller's scan, when the alert is about one (the console shows the name from the arrival). */
  scanId?: string;
  /** Destination village: the alert is routed to that village's room too. */
  villageCode?: string;
  checkpointId?: string;
  title: string;
  text: string;
  /** Repeats folded into this alert (de-duplication). */
  count: number;
  startedAt: string;
  lastSeenAt: string;
  ackedBy?: string;
  ackedAt?: string;
  clearedBy?: string;
  clearedAt?: string;
  /**
   * Who must answer it (issue 17): `command` (device, surge, quarantine, overdue follow-ups) or
   * `village` (a traveller's alert, answered through its follow-up; the command centre sees it counted).
   */
  answerBy?: 'command' | 'village';
  /** The traveller's follow-up, for fever and positive alerts. */
  followUpId?: number;
}
