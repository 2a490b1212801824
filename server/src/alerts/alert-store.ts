/**
 * Alerts in the database of record (issue 15). ThingsBoard's lifecycle: active → acknowledged →
 * cleared, with who and when. The database keeps one open alert per (rule, subject): `open_key` is
 * unique while the alert is open and null once cleared, so two messages for the same key at the same
 * moment — on one server or on two sharing PostgreSQL — make one alert whose count is 2
 * (`insert … on conflict (open_key) do update`), never two (thingsboard#15583).
 *
 * Every function takes the Kysely handle or an open transaction, so a caller raises an alert in the
 * same transaction as what caused it (a follow-up, an overdue mark).
 */
import type { AlertEvent, AlertRule, Severity } from '@sk/protocol';
import type { Kysely, Selectable } from 'kysely';
import type { AlertsTable, Database } from '../db/schema.ts';
import type { AlertCandidate } from './rules.ts';

export type AlertRowFull = Selectable<AlertsTable>;
type Db = Kysely<Database>;

/** What `body` holds: the alert's words and public subject (never a NIK or a name). */
interface AlertBody {
  subject: string;
  title: string;
  text: string;
}

/** An alert row, with the id of the follow-up it belongs to when read with {@link selectAlerts}. */
export function rowToAlert(r: AlertRowFull & { follow_up_id?: number | string | null }): AlertEvent {
  const b = JSON.parse(r.body) as AlertBody;
  const a: AlertEvent = {
    id: Number(r.id), rule: r.rule as AlertRule, severity: r.severity as Severity, state: r.state as AlertEvent['state'],
    subject: b.subject, title: b.title, text: b.text, count: Number(r.count), startedAt: r.raised_at, lastSeenAt: r.updated_at,
  };
  if (r.scan_id) a.scanId = r.scan_id;
  if (r.village_code) a.villageCode = r.village_code;
  if (r.checkpoint_id) a.checkpointId = r.checkpoint_id;
  if (r.acked_by) a.ackedBy = r.acked_by;
  if (r.acked_at) a.ackedAt = r.acked_at;
  if (r.cleared_by) a.clearedBy = r.cleared_by;
  if (r.cleared_at) a.clearedAt = r.cleared_at;
  if (r.answer_by === 'command' || r.answer_by === 'village') a.answerBy = r.answer_by;
  if (r.follow_up_id != null) a.followUpId = Number(r.follow_up_id);
  return a;
}

export interface RaiseOptions {
  at: string;
  /** A repeat of an open alert last seen before this instant starts a new alert (the old one is cleared by `system`). */
  foldAfter: string;
  answerBy: 'command' | 'village';
  /** Set the count to this (a grouped alert that counts its subjects) instead of adding one. */
  count?: number;
  /** Repeats this raise stands for (a batch's scans of one person): added to an open alert's count (default 1). */
  add?: number;
}

/** An alert row to insert, from a candidate. */
export function alertValues(c: AlertCandidate, o: Pick<RaiseOptions, 'at' | 'answerBy' | 'count' | 'add'>) {
  const body: AlertBody = { subject: c.subject, title: c.title, text: c.text };
  return {
    rule: c.rule, severity: c.severity, subject_key: c.key.slice(c.key.indexOf('|') + 1), state: 'active', open_key: c.key,
    village_code: c.villageCode ?? null, checkpoint_id: c.checkpointId ?? null, scan_id: c.scanId ?? null,
    count: o.count ?? o.add ?? 1, raised_at: o.at, updated_at: o.at, acked_at: null, acked_by: null, cleared_at: null, cleared_by: null,
    body: JSON.stringify(body), answer_by: o.answerBy,
  };
}

/**
 * Inserts many alerts in one statement per 500; those whose key is already open are left out (the
 * caller folds them one by one). Returns the rows created.
 */
export async function insertAlertsIfAbsent(db: Db, values: ReturnType<typeof alertValues>[]): Promise<AlertRowFull[]> {
  const out: AlertRowFull[] = [];
  for (let i = 0; i < values.length; i += 500) {
    out.push(...(await db.insertInto('alerts').values(values.slice(i, i + 500)).onConflict((oc) => oc.column('open_key').doNothing()).returningAll().execute()));
  }
  return out;
}

/**
 * Raises `c`, or folds it into the open alert of its key (count + 1, last seen now). Returns the row
 * as it is now, and whether it was created.
 */
export async function raiseAlert(db: Db, c: AlertCandidate, o: RaiseOptions): Promise<{ row: AlertRowFull; created: boolean }> {
  const values = alertValues(c, o);
  // An insert that does nothing on a conflict says "created" by returning the row; then the fold (an
  // update of the open row, if it was seen recently enough). An open alert too old to fold is closed
  // and the insert tried again (another server may have raised a fresh one meanwhile: that one folds).
  for (let attempt = 0; attempt < 3; attempt++) {
    const created = await db.insertInto('alerts').values(values).onConflict((oc) => oc.column('open_key').doNothing()).returningAll().executeTakeFirst();
    if (created) return { row: created, created: true };
    const folded = await db
      .updateTable('alerts')
      .set((eb) => ({ count: o.count !== undefined ? eb.val(o.count) : eb('count', '+', o.add ?? 1), updated_at: o.at, ...(o.count !== undefined ? { body: values.body } : {}) }))
      .where('open_key', '=', c.key)
      .where('updated_at', '>=', o.foldAfter)
      .returningAll()
      .executeTakeFirst();
    if (folded) return { row: folded, created: false };
    await db
      .updateTable('alerts')
      .set({ state: 'cleared', open_key: null, cleared_at: o.at, cleared_by: 'system' })
      .where('open_key', '=', c.key)
      .where('updated_at', '<', o.foldAfter)
      .execute();
  }
  throw new Error(`alert ${c.rule} could not be raised (its key kept changing)`);
}

/** Acknowledges an active alert (who, when); an alert in another state is returned unchanged. */
export async function acknowledgeAlert(db: Db, id: number, by: string, at: string): Promise<{ row: AlertRowFull | undefined; changed: boolean }> {
  const row = await db
    .updateTable('alerts')
    .set({ state: 'acknowledged', acked_at: at, acked_by: by, updated_at: at })
    .where('id', '=', id)
    .where('state', '=', 'active')
    .returningAll()
    .executeTakeFirst();
  if (row) return { row, changed: true };
  return { row: await db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst(), changed: false };
}

/** Clears an open alert (who, when); frees its key for a new alert. */
export async function clearAlert(db: Db, id: number, by: string, at: string): Promise<{ row: AlertRowFull | undefined; changed: boolean }> {
  const row = await db
    .updateTable('alerts')
    .set({ state: 'cleared', open_key: null, cleared_at: at, cleared_by: by, updated_at: at })
    .where('id', '=', id)
    .where('state', '!=', 'cleared')
    .returningAll()
    .executeTakeFirst();
  if (row) return { row, changed: true };
  return { row: await db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst(), changed: false };
}

/** Clears the open alert of this key, if any. */
export async function clearAlertKey(db: Db, key: string, by: string, at: string): Promise<AlertRowFull | undefined> {
  return db
    .updateTable('alerts')
    .set({ state: 'cleared', open_key: null, cleared_at: at, cleared_by: by, updated_at: at })
    .where('open_key', '=', key)
    .returningAll()
    .executeTakeFirst();
}

export interface AlertScope {
  /** Only this village's alerts (a village officer). */
  villageCode?: string;
  /** Only this checkpoint's alerts (a checkpoint supervisor). */
  checkpointId?: string;
}

export interface AlertListQuery extends AlertScope {
  openOnly: boolean;
  answerBy?: 'command' | 'village';
  rule?: AlertRule;
  limit: number;
}

/** Newest first (by id: the order they were raised). */
/** Alerts with the id of their follow-up (fever, positive), if any. */
function selectAlerts(db: Db) {
  return db
    .selectFrom('alerts')
    .selectAll('alerts')
    .select((eb) => eb.selectFrom('follow_ups').select((f) => f.fn.max('follow_ups.id').as('m')).whereRef('follow_ups.alert_id', '=', 'alerts.id').as('follow_up_id'));
}

export async function listAlerts(db: Db, q: AlertListQuery): Promise<AlertEvent[]> {
  let sel = selectAlerts(db);
  if (q.openOnly) sel = sel.where('state', '!=', 'cleared');
  if (q.villageCode) sel = sel.where('village_code', '=', q.villageCode);
  if (q.checkpointId) sel = sel.where('checkpoint_id', '=', q.checkpointId);
  if (q.rule) sel = sel.where('rule', '=', q.rule);
  if (q.answerBy === 'command') sel = sel.where('answer_by', '=', 'command');
  else if (q.answerBy === 'village') sel = sel.where((eb) => eb.or([eb('answer_by', '=', 'village'), eb('answer_by', 'is', null)]));
  const rows = await sel.orderBy('id', 'desc').limit(q.limit).execute();
  return rows.map(rowToAlert);
}

export async function getAlert(db: Db, id: number): Promise<AlertEvent | undefined> {
  const r = await selectAlerts(db).where('id', '=', id).executeTakeFirst();
  return r && rowToAlert(r);
}

/** Open alerts per rule and per answerer, in scope. */
export async function openAlertCounts(db: Db, scope: AlertScope): Promise<{ rule: string; answerBy: string | null; n: number }[]> {
  let sel = db
    .selectFrom('alerts')
    .select(['rule', 'answer_by', (eb) => eb.fn.countAll<number>().as('n')])
    .where('open_key', 'is not', null);
  if (scope.villageCode) sel = sel.where('village_code', '=', scope.villageCode);
  if (scope.checkpointId) sel = sel.where('checkpoint_id', '=', scope.checkpointId);
  const rows = await sel.groupBy(['rule', 'answer_by']).execute();
  return rows.map((r) => ({ rule: r.rule, answerBy: r.answer_by ?? null, n: Number(r.n) }));
}

/** The open alerts' keys of these rules (a feature's memory of what it raised, rebuilt at start). */
export async function openKeys(db: Db, rules: readonly AlertRule[]): Promise<Set<string>> {
  if (rules.length === 0) return new Set();
  const rows = await db.selectFrom('alerts').select('open_key').where('open_key', 'is not', null).where('rule', 'in', rules).execute();
  return new Set(rows.map((r) => r.open_key!));
}
