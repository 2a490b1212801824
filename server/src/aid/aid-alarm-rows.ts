/**
 * Aid alarms and the audit trail in the database of record: listing (a village officer sees what
 * involves their village), acknowledgement and resolution, each decided by ONE conditional UPDATE
 * (`where acked_at is null`, `where resolved_at is null`): of two servers acting at the same moment,
 * exactly one changes the row, the other reads what was kept. The cancel of a double takes its
 * handout out of every later check (status `cancelled`) in the same transaction.
 */
import type { AidAlarm, AidAuditEntry, AidResolution } from '@sk/protocol';
import type { Kysely, Selectable } from 'kysely';
import type { RecordsDb } from '../db/database.ts';
import type { AidAlarmsTable, Database } from '../db/schema.ts';

/** What an alarm row's body holds (the rest is in columns). */
export type AlarmBody = Pick<AidAlarm, 'programmeId' | 'period' | 'villageCode' | 'villageName' | 'nikMasked' | 'name' | 'matches' | 'villages'>;

/** Listing bound: a console lists at most this many alarms (newest first). */
export const MAX_LISTED = 10_000;

export function alarmFromRow(r: Selectable<AidAlarmsTable>): AidAlarm {
  const b = JSON.parse(r.body) as AlarmBody;
  return {
    id: Number(r.id), severity: r.severity as AidAlarm['severity'], handoutId: r.handout_id, programmeId: b.programmeId, period: b.period,
    villageCode: b.villageCode, villageName: b.villageName, nikMasked: b.nikMasked, name: b.name, matches: b.matches, villages: b.villages,
    raisedAt: r.raised_at, acknowledgedAt: r.acked_at ?? null, acknowledgedBy: r.acked_by ?? null,
    resolution: r.resolved_at ? { action: r.resolution as AidResolution['action'], reason: r.resolution_reason ?? '', by: r.resolved_by ?? '', at: r.resolved_at } : null,
  };
}

function scoped(db: Kysely<Database>, scopeVillage: string | null) {
  let q = db.selectFrom('aid_alarms').selectAll();
  if (scopeVillage !== null) {
    q = q.where((eb) => eb.exists(eb.selectFrom('aid_alarm_villages as v').select('v.alarm_id').whereRef('v.alarm_id', '=', 'aid_alarms.id').where('v.village_code', '=', scopeVillage)));
  }
  return q;
}

/** Alarms a user may see, newest first: command all; a village officer those involving its village. */
export async function listAlarms(rdb: RecordsDb, scopeVillage: string | null, activeOnly: boolean): Promise<AidAlarm[]> {
  let q = scoped(rdb.db, scopeVillage);
  if (activeOnly) q = q.where('resolved_at', 'is', null);
  return (await q.orderBy('id', 'desc').limit(MAX_LISTED).execute()).map(alarmFromRow);
}

/** One alarm in the user's scope (out of scope reads as absent). */
export async function getAlarm(rdb: RecordsDb, id: number, scopeVillage: string | null): Promise<AidAlarm | undefined> {
  const r = await scoped(rdb.db, scopeVillage).where('id', '=', id).executeTakeFirst();
  return r && alarmFromRow(r);
}

const audit = (db: Kysely<Database>, a: AidAlarm, action: string, by: string, at: string, detail: string) =>
  db.insertInto('aid_audit').values({ alarm_id: a.id, handout_id: a.handoutId, at, by, action, village_code: a.villageCode, body: JSON.stringify({ detail }) }).execute();

/** The first acknowledgement is kept: `changed` when it is this one. */
export async function acknowledgeAlarm(rdb: RecordsDb, id: number, by: string, at: string): Promise<{ alarm: AidAlarm; changed: boolean }> {
  return rdb.db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('aid_alarms')
      .set({ acked_at: at, acked_by: by, state: 'acknowledged', updated_at: at })
      .where('id', '=', id)
      .where('acked_at', 'is', null)
      .executeTakeFirst();
    const alarm = alarmFromRow(await trx.selectFrom('aid_alarms').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
    const changed = Number(r.numUpdatedRows) === 1;
    if (changed) await audit(trx, alarm, 'ack', by, at, '');
    return { alarm, changed };
  });
}

/**
 * Resolved once: cancel (the double handout leaves every later check) or confirm, with a reason. A
 * resolution also acknowledges an alarm nobody acknowledged. 'already' when it was resolved before.
 */
export async function resolveAlarm(rdb: RecordsDb, id: number, res: AidResolution, by: string, at: string): Promise<AidAlarm | 'already'> {
  return rdb.db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('aid_alarms')
      .set((eb) => ({
        resolved_at: at, resolved_by: by, resolution: res.action, resolution_reason: res.reason, state: 'resolved', open_key: null, updated_at: at,
        acked_at: eb.fn.coalesce('acked_at', eb.val(at)), acked_by: eb.fn.coalesce('acked_by', eb.val(by)),
      }))
      .where('id', '=', id)
      .where('resolved_at', 'is', null)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return 'already' as const;
    const alarm = alarmFromRow(await trx.selectFrom('aid_alarms').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
    if (res.action === 'cancel') await trx.updateTable('aid_handouts').set({ status: 'cancelled' }).where('handout_id', '=', alarm.handoutId).execute();
    await audit(trx, alarm, 'resolve', by, at, `${res.action}: ${res.reason}`);
    return alarm;
  });
}

export async function auditImport(rdb: RecordsDb, villageCode: string | null, by: string, at: string, imported: number, errors: number): Promise<void> {
  await rdb.db.insertInto('aid_audit').values({ alarm_id: null, handout_id: null, at, by, action: 'import', village_code: villageCode, body: JSON.stringify({ detail: `${imported} imported, ${errors} bad rows` }) }).execute();
}

/**
 * The audit trail, newest first. A village officer sees the entries recorded in their village and
 * every entry about an alarm that involves it (an alarm belongs to every village involved).
 */
export async function listAudit(rdb: RecordsDb, scopeVillage: string | null, limit: number): Promise<AidAuditEntry[]> {
  let q = rdb.db.selectFrom('aid_audit').selectAll();
  if (scopeVillage !== null) {
    q = q.where((eb) => eb.or([eb('village_code', '=', scopeVillage), eb('alarm_id', 'in', eb.selectFrom('aid_alarm_villages').select('alarm_id').where('village_code', '=', scopeVillage))]));
  }
  const rows = await q.orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => ({
    seq: Number(r.id), at: r.at, type: r.action as AidAuditEntry['type'], by: r.by ?? '', villageCode: r.village_code ?? null,
    handoutId: r.handout_id, alarmId: r.alarm_id === null ? null : Number(r.alarm_id), detail: (JSON.parse(r.body) as { detail?: string }).detail ?? '',
  }));
}

/**
 * `person erase <NIK>` for aid (issue 15): aid keeps the person only as HMAC keys, except the masked
 * NIK and name an alarm shows the officers; those are blanked on every alarm about a handout of that
 * person key (the handouts stay: the key alone names nobody without the server secret). Returns how
 * many alarms were changed. `personKey` = AidKeys.hex(nik).person.
 */
export async function eraseAidPerson(rdb: RecordsDb, personKey: string): Promise<number> {
  return rdb.db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('aid_alarms')
      .select(['id', 'body'])
      .where('handout_id', 'in', (eb) => eb.selectFrom('aid_handouts').select('handout_id').where('person_key', '=', personKey))
      .execute();
    for (const r of rows) {
      const body = JSON.parse(r.body) as AlarmBody;
      await trx.updateTable('aid_alarms').set({ body: JSON.stringify({ ...body, nikMasked: '', name: '' }) }).where('id', '=', r.id).execute();
    }
    return rows.length;
  });
}

/**
 * Retention (PII_RETENTION_DAYS) for aid: the masked NIK and name an alarm shows are blanked once the
 * alarm was resolved before `cutoff` (an open alarm keeps them: the officers still have to find the
 * recipient). At most `batch` alarms per call; returns how many were blanked (call again while = batch).
 */
export async function purgeAidAlarmNames(rdb: RecordsDb, cutoff: string, batch = 1000): Promise<number> {
  return rdb.db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('aid_alarms')
      .select(['id', 'body'])
      .where('resolved_at', '<', cutoff)
      .where('body', 'not like', '%"name":""%')
      .orderBy('id')
      .limit(batch)
      .execute();
    for (const r of rows) {
      const body = JSON.parse(r.body) as AlarmBody;
      await trx.updateTable('aid_alarms').set({ body: JSON.stringify({ ...body, nikMasked: '', name: '' }) }).where('id', '=', r.id).execute();
    }
    return rows.length;
  });
}
