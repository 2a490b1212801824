/**
 * Follow-ups in the database of record (issue 17): one open follow-up per person (`open_key` = the
 * person key while not `selesai`), each scan it covers listed in `follow_up_scans` (primary key: a scan
 * is covered once). Opened in the same transaction as the traveller's alert, so the database holds both
 * or neither; `uncoveredScans` finds fever/positive scans a crash left without one (the batch committed,
 * the triage not yet), for the feature to cover at start.
 */
import { FOLLOW_UP_STATES, maskNik, PUSKESMAS, type FollowUpEvent, type FollowUpReason, type FollowUpState } from '@sk/protocol';
import type { Kysely, Selectable } from 'kysely';
import type { Database, FollowUpsTable } from '../db/schema.ts';
import { REASON_PRIORITY } from './triage.ts';

type Db = Kysely<Database>;
export type FollowUpRow = Selectable<FollowUpsTable>;

interface FollowUpBody {
  history: FollowUpEvent['history'];
}

/** The first puskesmas of each district (the village's puskesmas until the Dinkes's list maps villages). */
const PUSKESMAS_OF_DISTRICT = new Map<string, string>();
for (const p of PUSKESMAS) if (!PUSKESMAS_OF_DISTRICT.has(p.districtCode)) PUSKESMAS_OF_DISTRICT.set(p.districtCode, p.id);

export function puskesmasOf(districtCode: string): string | null {
  return PUSKESMAS_OF_DISTRICT.get(districtCode) ?? null;
}

export function rowToFollowUp(r: FollowUpRow, nowIso: string): FollowUpEvent {
  const b = JSON.parse(r.body) as FollowUpBody;
  return {
    id: Number(r.id), scanId: r.scan_id, lastScanId: r.last_scan_id, reason: r.reason as FollowUpReason, state: r.state as FollowUpState,
    villageCode: r.village_code, districtCode: r.district_code, puskesmasId: puskesmasOf(r.district_code), checkpointId: r.checkpoint_id,
    alertId: r.alert_id === null ? null : Number(r.alert_id), count: Number(r.count), createdAt: r.created_at, updatedAt: r.updated_at,
    dueAt: r.due_at, overdue: r.state === 'baru' && r.due_at < nowIso, updatedBy: r.updated_by, history: b.history,
  };
}

/**
 * Claims scans for triage: each scan is covered once (`follow_up_scans` primary key). Returns the ids
 * this call claimed; a scan claimed before (a redelivery, a sweep, another server) is not returned and
 * must not be triaged again. On PostgreSQL a claim in flight on another server waits for its commit.
 */
export async function claimScans(db: Db, scanIds: readonly string[]): Promise<Set<string>> {
  const claimed = new Set<string>();
  for (let i = 0; i < scanIds.length; i += 500) {
    const rows = await db
      .insertInto('follow_up_scans')
      .values(scanIds.slice(i, i + 500).map((scan_id) => ({ scan_id, follow_up_id: 0 })))
      .onConflict((oc) => oc.column('scan_id').doNothing())
      .returning('scan_id')
      .execute();
    for (const r of rows) claimed.add(r.scan_id);
  }
  return claimed;
}

/** A person's follow-up to open (or fold into their open one) for a batch's scans of them. */
export interface PersonFollowUp {
  personKey: string;
  /** The person's scans in this batch, in order (the first opens, the last is `last_scan_id`). */
  scanIds: string[];
  reason: FollowUpReason;
  villageCode: string;
  checkpointId: string;
  dueAt: string;
  /** The alert it goes with (a positive test's, else a fever's), if any. */
  alertId: number | null;
}

/**
 * Opens the follow-ups of many people in one statement per 500 rows; for a person who already has an
 * open one, folds the batch's scans into it (count, the worse reason, the earlier due time, the alert
 * if it had none — or a positive test's). Returns every row as it now is. The scans must have been
 * claimed in the same transaction ({@link claimScans}); {@link linkScans} then points them at the rows.
 */
export async function openFollowUps(db: Db, people: readonly PersonFollowUp[], at: string): Promise<FollowUpRow[]> {
  const out: FollowUpRow[] = [];
  const opened = new Set<string>();
  const history = JSON.stringify({ history: [{ state: 'baru', at, by: 'system' }] } satisfies FollowUpBody);
  for (let i = 0; i < people.length; i += 500) {
    const rows = await db
      .insertInto('follow_ups')
      .values(people.slice(i, i + 500).map((p) => ({
        person_key: p.personKey, open_key: p.personKey, scan_id: p.scanIds[0]!, last_scan_id: p.scanIds.at(-1)!, reason: p.reason, priority: REASON_PRIORITY[p.reason],
        village_code: p.villageCode, district_code: p.villageCode.slice(0, 8), checkpoint_id: p.checkpointId, state: 'baru', alert_id: p.alertId,
        count: p.scanIds.length, created_at: at, updated_at: at, due_at: p.dueAt, updated_by: null, body: history,
      })))
      .onConflict((oc) => oc.column('open_key').doNothing())
      .returningAll()
      .execute();
    for (const r of rows) (opened.add(r.open_key!), out.push(r));
  }
  for (const p of people) {
    if (opened.has(p.personKey)) continue;
    const priority = REASON_PRIORITY[p.reason];
    const row = await db
      .updateTable('follow_ups')
      .set((eb) => ({
        count: eb('count', '+', p.scanIds.length),
        last_scan_id: p.scanIds.at(-1)!,
        updated_at: at,
        reason: eb.case().when('priority', '>', priority).then(p.reason).else(eb.ref('reason')).end(),
        due_at: eb.case().when('due_at', '>', p.dueAt).then(p.dueAt).else(eb.ref('due_at')).end(),
        priority: eb.case().when('priority', '>', priority).then(priority).else(eb.ref('priority')).end(),
        ...(p.alertId !== null
          ? { alert_id: p.reason === 'positive' ? eb.val(p.alertId) : eb.fn.coalesce('alert_id', eb.val(p.alertId)) }
          : {}),
      }))
      .where('open_key', '=', p.personKey)
      .returningAll()
      .executeTakeFirst();
    // Closed between the insert and now (done by an officer this instant): open a fresh one.
    out.push(row ?? (await openFollowUps(db, [p], at))[0]!);
  }
  return out;
}

/** Points claimed scans at their follow-ups (one statement per 500). */
export async function linkScans(db: Db, links: readonly { scan_id: string; follow_up_id: number }[]): Promise<void> {
  for (let i = 0; i < links.length; i += 500) {
    await db
      .insertInto('follow_up_scans')
      .values(links.slice(i, i + 500))
      .onConflict((oc) => oc.column('scan_id').doUpdateSet((eb) => ({ follow_up_id: eb.ref('excluded.follow_up_id') })))
      .execute();
  }
}

/** Moves a follow-up to `state` (any order: a test may come before a call), with who, when and a note; `selesai` closes it. */
export async function moveFollowUp(db: Db, id: number, state: FollowUpState, by: string, at: string, note?: string): Promise<FollowUpRow | undefined> {
  const cur = await db.selectFrom('follow_ups').selectAll().where('id', '=', id).executeTakeFirst();
  if (!cur || cur.state === 'selesai' || cur.state === state) return cur;
  const body = JSON.parse(cur.body) as FollowUpBody;
  body.history.push(note ? { state, at, by, note } : { state, at, by });
  return db
    .updateTable('follow_ups')
    .set({ state, updated_at: at, updated_by: by, body: JSON.stringify(body), ...(state === 'selesai' ? { open_key: null } : {}) })
    .where('id', '=', id)
    .where('state', '=', cur.state) // moved by someone else meanwhile: theirs stands
    .returningAll()
    .executeTakeFirst();
}

export interface FollowUpQuery {
  villageCode?: string;
  districtCode?: string;
  state?: FollowUpState;
  /** Open only (not `selesai`). */
  open?: boolean;
  /** Only those still `baru` after their due time. */
  overdue?: boolean;
  limit: number;
}

/** Most urgent first (priority, then due time), with the traveller's name and masked NIK joined from the scan. */
export async function listFollowUps(db: Db, q: FollowUpQuery, nowIso: string): Promise<FollowUpEvent[]> {
  let sel = db
    .selectFrom('follow_ups as f')
    .leftJoin('scans as s', 's.scan_id', 'f.scan_id')
    .selectAll('f')
    .select(['s.name as traveller_name', 's.nik as traveller_nik']);
  if (q.villageCode) sel = sel.where('f.village_code', '=', q.villageCode);
  if (q.districtCode) sel = sel.where('f.district_code', '=', q.districtCode);
  if (q.state) sel = sel.where('f.state', '=', q.state);
  if (q.open) sel = sel.where('f.open_key', 'is not', null);
  if (q.overdue) sel = sel.where('f.state', '=', 'baru').where('f.due_at', '<', nowIso);
  const rows = await sel.orderBy('f.priority').orderBy('f.due_at').orderBy('f.id').limit(q.limit).execute();
  return rows.map((r) => {
    const e = rowToFollowUp(r, nowIso);
    if (r.traveller_name) e.name = r.traveller_name;
    if (r.traveller_nik) e.nikMasked = maskNik(r.traveller_nik);
    return e;
  });
}

export async function getFollowUp(db: Db, id: number): Promise<FollowUpRow | undefined> {
  return db.selectFrom('follow_ups').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Follow-ups still `baru` past their due time, per district (a puskesmas area: the command centre's grouped alert). */
export async function overdueByDistrict(db: Db, nowIso: string): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('follow_ups')
    .select(['district_code', (eb) => eb.fn.countAll<number>().as('n')])
    .where('state', '=', 'baru')
    .where('due_at', '<', nowIso)
    .groupBy('district_code')
    .execute();
  return new Map(rows.map((r) => [r.district_code, Number(r.n)]));
}

export async function followUpCounts(db: Db, scope: { villageCode?: string }, nowIso: string): Promise<{ open: number; overdue: number; byState: Record<string, number> }> {
  let sel = db.selectFrom('follow_ups').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).where('open_key', 'is not', null);
  if (scope.villageCode) sel = sel.where('village_code', '=', scope.villageCode);
  const rows = await sel.groupBy('state').execute();
  const byState: Record<string, number> = Object.fromEntries(FOLLOW_UP_STATES.filter((s) => s !== 'selesai').map((s) => [s, 0]));
  let open = 0;
  for (const r of rows) (byState[r.state] = Number(r.n)), (open += Number(r.n));
  let od = db.selectFrom('follow_ups').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'baru').where('due_at', '<', nowIso);
  if (scope.villageCode) od = od.where('village_code', '=', scope.villageCode);
  const overdue = Number((await od.executeTakeFirstOrThrow()).n);
  return { open, overdue, byState };
}

/**
 * Fever or positive scans kept since `since` that no follow-up covers (a crash between a batch's commit
 * and its triage), oldest first, at most `limit`. Health classes as the scans table keeps them.
 */
export async function uncoveredScans(db: Db, since: string, healths: readonly string[], limit: number) {
  return db
    .selectFrom('scans as s')
    .selectAll('s')
    .where('s.scanned_at', '>=', since)
    .where('s.health', 'in', healths)
    .where('s.pii_cleared_at', 'is', null)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('follow_up_scans as c').select('c.scan_id').whereRef('c.scan_id', '=', 's.scan_id'))))
    .orderBy('s.scanned_at')
    .limit(limit)
    .execute();
}
