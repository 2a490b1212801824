/**
 * Alert triage (issue 17), pure: what a screened traveller costs whom. A positive rapid test and a fever
 * are alerts (to the destination village and the command centre) AND a follow-up for the village and
 * its puskesmas; symptoms alone and a watched origin are a follow-up only (by default). Whoever answers
 * an alert is decided per rule (`commandRules`): a traveller's alert is answered by the village through
 * its follow-up, and reaches the command centre's answer list only when that follow-up is overdue
 * (`follow_up_overdue`, one per district: the puskesmas area). No I/O, no clock.
 */
import type { AlertRule, FollowUpReason, Scan } from '@sk/protocol';
import { scanAlerts, type AlertCandidate, type RuleOptions } from './rules.ts';

/** What a rule that could be an alert becomes: an alert (+ follow-up for a traveller), a follow-up only, or nothing. */
export type TriageRoute = 'alert' | 'follow_up' | 'off';

export interface TriageOptions extends RuleOptions {
  /** Symptoms without fever (default `follow_up`; TRIAGE_SYMPTOMS). */
  symptoms: TriageRoute;
  /** A watched origin (default `follow_up`; TRIAGE_WATCH_ORIGIN). */
  watchOrigin: TriageRoute;
}

export const TRIAGE_DEFAULTS = { symptoms: 'follow_up', watchOrigin: 'follow_up' } as const satisfies Partial<TriageOptions>;

/** Rules the command centre answers itself (ALERT_COMMAND_RULES); the rest are answered by the village. */
export const DEFAULT_COMMAND_RULES: readonly AlertRule[] = ['device_offline', 'device_backlog', 'arrival_surge', 'quarantine_full', 'follow_up_overdue'];

/** Lower is more urgent (the follow-up keeps the worst reason seen for the person). */
export const REASON_PRIORITY: Readonly<Record<FollowUpReason, number>> = { positive: 1, fever: 2, symptoms: 3, watch_origin: 4 };

export interface Triage {
  alerts: AlertCandidate[];
  /** The follow-up this traveller needs, if any: always for a fever or a positive test. */
  followUp?: FollowUpReason;
}

const NOTHING: Triage = Object.freeze({ alerts: [] }) as Triage;

/**
 * `triage(feverScan, opts, key)` → `{ alerts: [fever alert], followUp: 'fever' }`;
 * a cough alone → `{ alerts: [], followUp: 'symptoms' }`.
 */
export function triage(scan: Scan, o: TriageOptions, personKey: string | ((scan: Scan) => string)): Triage {
  const found = scanAlerts(scan, o, personKey);
  if (found.length === 0) return NOTHING;
  const alerts: AlertCandidate[] = [];
  let followUp: FollowUpReason | undefined;
  const worst = (r: FollowUpReason) => {
    if (!followUp || REASON_PRIORITY[r] < REASON_PRIORITY[followUp]) followUp = r;
  };
  for (const c of found) {
    if (c.rule === 'rapid_positive') (alerts.push(c), worst('positive'));
    else if (c.rule === 'fever') (alerts.push(c), worst('fever'));
    else {
      const route = c.rule === 'symptoms' ? o.symptoms : o.watchOrigin;
      if (route === 'off') continue;
      if (route === 'alert') alerts.push(c);
      worst(c.rule === 'symptoms' ? 'symptoms' : 'watch_origin');
    }
  }
  return { alerts, followUp };
}
