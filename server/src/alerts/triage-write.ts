/**
 * The write half of triaging one batch of new scans (alerts.ts `#triageBatch`), inside its one
 * transaction, in a fixed number of statements whatever the batch's size (measured: one query per
 * follow-up cost ~200 µs each, 20–40 µs per scan of the batch, on the server's one thread): claim the
 * scans, insert the alerts (one per person and rule; a person's repeat in the batch is its count),
 * insert the follow-ups with their alert, point the scans at them. Only a person who already has an
 * open alert or follow-up (a second trip within hours) costs a statement of their own.
 */
import type { AlertRule, Scan } from '@sk/protocol';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { alertValues, insertAlertsIfAbsent, raiseAlert, type AlertRowFull } from './alert-store.ts';
import { claimScans, linkScans, openFollowUps, type FollowUpRow, type PersonFollowUp } from './follow-up-store.ts';
import type { AlertCandidate } from './rules.ts';
import { REASON_PRIORITY, type Triage } from './triage.ts';

/** A scan that needs a follow-up, its triage, and its person key (an HMAC of the NIK). */
export interface TriageWork {
  scan: Scan;
  t: Triage;
  person: string;
}

export interface TriageTimes {
  /** Now (ISO). */
  at: string;
  /** An open alert last seen after this folds a repeat into itself. */
  foldAfter: string;
  /** When a fever or positive traveller's follow-up is due, and anyone else's. */
  urgentDue: string;
  otherDue: string;
}

export async function writeTriage(
  trx: Kysely<Database>,
  work: readonly TriageWork[],
  { at, foldAfter, urgentDue, otherDue }: TriageTimes,
  answerBy: (rule: AlertRule) => 'command' | 'village',
): Promise<{ alerts: AlertRowFull[]; followUps: FollowUpRow[] }> {
  // Claim every scan first: one a sweep or another server already triaged is left alone.
  const claimed = await claimScans(trx, work.map((w) => w.scan.scanId));
  interface Person { f: PersonFollowUp; alerts: Map<string, { c: AlertCandidate; n: number }> }
  const people = new Map<string, Person>();
  for (const w of work) {
    const { scan, t } = w;
    if (!claimed.has(scan.scanId)) continue;
    const key = w.person;
    const urgent = t.followUp === 'positive' || t.followUp === 'fever';
    let p = people.get(key);
    if (!p) {
      p = { f: { personKey: key, scanIds: [], reason: t.followUp!, villageCode: scan.destinationVillageCode, checkpointId: scan.checkpointId, dueAt: urgent ? urgentDue : otherDue, alertId: null }, alerts: new Map() };
      people.set(key, p);
    }
    p.f.scanIds.push(scan.scanId);
    if (REASON_PRIORITY[t.followUp!] < REASON_PRIORITY[p.f.reason]) p.f.reason = t.followUp!;
    if (urgent) p.f.dueAt = urgentDue;
    for (const c of t.alerts) {
      const a = p.alerts.get(c.key);
      if (a) a.n++;
      else p.alerts.set(c.key, { c, n: 1 });
    }
  }
  if (people.size === 0) return { alerts: [] as AlertRowFull[], followUps: [] as FollowUpRow[] };
  const all = [...people.values()].flatMap((p) => [...p.alerts.values()]);
  const alerts = await insertAlertsIfAbsent(trx, all.map(({ c, n }) => alertValues(c, { at, answerBy: answerBy(c.rule), add: n })));
  const byKey = new Map(alerts.map((r) => [r.open_key!, r]));
  for (const { c, n } of all) {
    if (byKey.has(c.key)) continue;
    const { row } = await raiseAlert(trx, c, { at, foldAfter, answerBy: answerBy(c.rule), add: n });
    byKey.set(c.key, row);
    alerts.push(row);
  }
  for (const p of people.values()) {
    // A positive test's alert is the one the follow-up answers; else a fever's.
    const keys = [...p.alerts.keys()].sort((x, y) => (x.startsWith('rapid_positive|') ? -1 : y.startsWith('rapid_positive|') ? 1 : 0));
    if (keys.length) p.f.alertId = Number(byKey.get(keys[0]!)!.id);
  }
  const followUps = await openFollowUps(trx, [...people.values()].map((p) => p.f), at);
  const fuByPerson = new Map(followUps.map((r) => [r.person_key, Number(r.id)]));
  await linkScans(trx, [...people.values()].flatMap((p) => p.f.scanIds.map((scan_id) => ({ scan_id, follow_up_id: fuByPerson.get(p.f.personKey)! }))));
  return { alerts, followUps };
}
