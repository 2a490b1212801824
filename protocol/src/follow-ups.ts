/**
 * Follow-ups (issue 17, alert triage): a traveller the destination village and its puskesmas call on,
 * instead of an alert for the command centre. Fever and a positive rapid test are also alerts (village
 * and command) that follow the follow-up's lifecycle; symptoms alone, or a watched origin, are a
 * follow-up only. HTTP `/api/follow-ups`, live `follow-up`. No NIK or name here: the console joins the
 * traveller by `scanId` (the API adds name and masked NIK for the roles that may see them).
 */

/** baru (new) → dihubungi (contacted) → dites (tested) → isolasi_mandiri (self-isolating) → selesai (done). */
export const FOLLOW_UP_STATES = ['baru', 'dihubungi', 'dites', 'isolasi_mandiri', 'selesai'] as const;
export type FollowUpState = (typeof FOLLOW_UP_STATES)[number];

/** Why, the worst seen for the person: positive rapid test, fever, symptoms, a watched origin. */
export const FOLLOW_UP_REASONS = ['positive', 'fever', 'symptoms', 'watch_origin'] as const;
export type FollowUpReason = (typeof FOLLOW_UP_REASONS)[number];

/** `{ id: 3, reason: 'fever', state: 'baru', villageCode: '35.10.21.2003', dueAt: '…', overdue: false, … }` */
export interface FollowUpEvent {
  id: number;
  scanId: string;
  /** The latest scan of the same person folded in (a second checkpoint, a return trip). */
  lastScanId: string;
  reason: FollowUpReason;
  state: FollowUpState;
  villageCode: string;
  districtCode: string;
  /** The puskesmas of the destination district (its first, when the district has several). */
  puskesmasId: string | null;
  checkpointId: string;
  /** The alert raised with it (fever, positive): acknowledged when contacted, cleared when done. */
  alertId: number | null;
  /** Scans of this person folded into it. */
  count: number;
  createdAt: string;
  updatedAt: string;
  /** Contact due by; `overdue` when still `baru` after it. */
  dueAt: string;
  overdue: boolean;
  updatedBy: string | null;
  history: { state: FollowUpState; at: string; by: string; note?: string }[];
  /** Only for roles that may see the traveller (command, the destination village). */
  name?: string;
  nikMasked?: string;
}

/** What the command centre sees at a glance instead of every alert (`GET /api/alerts/summary`). */
export interface AlertSummary {
  /** Open alerts the command centre itself must answer. */
  needsCommand: number;
  /** Open alerts per rule (active + acknowledged), whoever answers them. */
  openByRule: Record<string, number>;
  followUps: { open: number; overdue: number; byState: Record<string, number> };
}
