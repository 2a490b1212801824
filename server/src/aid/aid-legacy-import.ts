/**
 * The upgrade of a deployment's aid records (sessions 1–4) into the database of record, once (issue
 * 15; db/legacy-import.ts runs it): DATA_DIR/server/aid/journal.jsonl, the append-only journal that
 * was the aid feature's truth, becomes aid_handouts, aid_alarms (+ villages) and aid_audit.
 *
 * The index snapshot beside it (index.snap, up to ~1 GB) was only a cache of the journal (hash-table
 * slots plus a copy of the alarms and audit tail, all rebuilt from the journal when it did not match):
 * the journal has everything, so the snapshot is deleted, not read. The keys in the journal are the
 * same 64-bit HMACs this version stores, made with the same secret (DATA_DIR/server/aid/secret or
 * AID_HMAC_SECRET), so imported handouts are found by later checks.
 *
 * Cluster mode: every instance kept its own journal (its own handouts, plus the alarms, acks and
 * resolutions it learned from the others). Each instance imports its own, once
 * ({@link aidLegacyImporterFor} its instance id); alarms are keyed by their cluster-wide id, so an alarm
 * in two journals is one row whose ack and resolution are filled by whichever import knows them, its
 * audit entries are not doubled, and a cancel or double known to one journal reaches a handout imported
 * from the other.
 *
 * Two streamed passes, bounded memory: the first collects the alarms (with their ack and resolution),
 * which handouts were doubles and which were cancelled; the second inserts handouts and audit rows in
 * journal order. All in one transaction: a crash mid-import leaves nothing, and the import runs again.
 */
import { createReadStream, existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { sql, type Insertable, type Kysely } from 'kysely';
import { aidProgramme, periodOf, type AidAlarm } from '@sk/protocol';
import type { LegacyImporter } from '../db/legacy-import.ts';
import type { AidAuditTable, AidHandoutsTable, Database } from '../db/schema.ts';
import type { AlarmBody } from './aid-alarm-rows.ts';

/** The journal's lines (short keys: a regency's journal was millions of lines). */
type HandoutLine = { t: 'h'; id: string; p: string; d: string; v: string; at: string; by: string; pk: string; kk: string | null; nk: string | null };
type Line =
  | HandoutLine
  | { t: 'a'; alarm: AidAlarm }
  | { t: 'k'; alarmId: number; by: string; at: string }
  | { t: 'r'; alarmId: number; action: 'cancel' | 'confirm'; reason: string; by: string; at: string; cancelled: HandoutLine | null }
  | { t: 'd'; id: string; v: string; by: string; at: string }
  | { t: 'q'; v: string; p: string; by: string; at: string; matches: number }
  | { t: 'i'; v: string | null; by: string; at: string; imported: number; errors: number };

const ROWS_PER_INSERT = 400;

/** Every parsable line; a torn last line (a crash mid-write) and any unreadable one are skipped and counted. */
async function* lines(file: string, bad: { n: number }): AsyncGenerator<Line> {
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const text of rl) {
    if (!text) continue;
    try {
      yield JSON.parse(text) as Line;
    } catch {
      bad.n++;
    }
  }
}

interface AlarmState { alarm: AidAlarm; ack: { by: string; at: string } | null; res: { action: string; reason: string; by: string; at: string } | null }

async function importJournal(db: Kysely<Database>, file: string, engine: 'sqlite' | 'postgres'): Promise<number> {
  const bad = { n: 0 };
  const alarms = new Map<number, AlarmState>();
  const doubles = new Set<string>();
  const cancelled = new Set<string>();
  for await (const l of lines(file, bad)) {
    if (l.t === 'a') {
      if (!alarms.has(l.alarm.id)) alarms.set(l.alarm.id, { alarm: l.alarm, ack: null, res: null });
      doubles.add(l.alarm.handoutId);
    } else if (l.t === 'k') {
      const a = alarms.get(l.alarmId);
      if (a && !a.ack) a.ack = { by: l.by, at: l.at };
    } else if (l.t === 'r') {
      const a = alarms.get(l.alarmId);
      if (a && !a.res) {
        a.res = { action: l.action, reason: l.reason, by: l.by, at: l.at };
        a.ack ??= { by: l.by, at: l.at };
      }
      if (l.cancelled) cancelled.add(l.cancelled.id);
    }
  }

  let imported = 0;
  await db.transaction().execute(async (trx) => {
    for (const { alarm: a, ack, res } of alarms.values()) {
      const body: AlarmBody = { programmeId: a.programmeId, period: a.period, villageCode: a.villageCode, villageName: a.villageName, nikMasked: a.nikMasked, name: a.name, matches: a.matches, villages: a.villages };
      await trx
        .insertInto('aid_alarms')
        .values({
          id: a.id, state: res ? 'resolved' : ack ? 'acknowledged' : 'active', severity: a.severity, open_key: res ? null : a.handoutId, handout_id: a.handoutId,
          raised_at: a.raisedAt, updated_at: res?.at ?? ack?.at ?? a.raisedAt, body: JSON.stringify(body),
          acked_at: ack?.at ?? null, acked_by: ack?.by ?? null, resolved_at: res?.at ?? null, resolved_by: res?.by ?? null, resolution: res?.action ?? null, resolution_reason: res?.reason ?? null,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      for (const v of a.villages) await trx.insertInto('aid_alarm_villages').values({ village_code: v, alarm_id: a.id }).onConflict((oc) => oc.doNothing()).execute();
    }
    // Another journal of the cluster may have imported the alarm without this one's ack or resolution.
    for (const { alarm: a, ack, res } of alarms.values()) {
      if (ack) await trx.updateTable('aid_alarms').set({ acked_at: ack.at, acked_by: ack.by, state: 'acknowledged' }).where('id', '=', a.id).where('acked_at', 'is', null).where('resolved_at', 'is', null).execute();
      if (res) {
        await trx
          .updateTable('aid_alarms')
          .set({ resolved_at: res.at, resolved_by: res.by, resolution: res.action, resolution_reason: res.reason, state: 'resolved', open_key: null, updated_at: res.at })
          .where('id', '=', a.id)
          .where('resolved_at', 'is', null)
          .execute();
      }
    }
    if (engine === 'postgres' && alarms.size) await sql`select setval(pg_get_serial_sequence('aid_alarms', 'id'), (select max(id) from aid_alarms))`.execute(trx);
    // Audit entries about alarms another journal already brought in are not added twice.
    const known = new Set<string>();
    const ids = [...alarms.keys()];
    for (let i = 0; i < ids.length; i += ROWS_PER_INSERT) {
      const rows = await trx.selectFrom('aid_audit').select(['alarm_id', 'action', 'at', 'by']).where('alarm_id', 'in', ids.slice(i, i + ROWS_PER_INSERT)).execute();
      for (const r of rows) known.add(`${r.alarm_id}|${r.action}|${r.at}|${r.by}`);
    }
    const fresh = (a: Insertable<AidAuditTable>) => a.alarm_id == null || !known.has(`${a.alarm_id}|${a.action}|${a.at}|${a.by}`);

    let handouts: Insertable<AidHandoutsTable>[] = [];
    let audit: Insertable<AidAuditTable>[] = [];
    const flush = async () => {
      if (handouts.length) await trx.insertInto('aid_handouts').values(handouts).onConflict((oc) => oc.column('handout_id').doNothing()).execute();
      const add = audit.filter(fresh);
      if (add.length) await trx.insertInto('aid_audit').values(add).execute();
      handouts = [];
      audit = [];
    };
    const detail = (s: string) => JSON.stringify({ detail: s });
    for await (const l of lines(file, { n: 0 })) {
      if (l.t === 'h') {
        const p = aidProgramme(l.p);
        if (!p) continue; // a programme this version no longer has: nothing can match it
        handouts.push({
          handout_id: l.id, programme_id: l.p, period: periodOf(p.period, l.d), village_code: l.v, person_key: l.pk, household_key: l.kk, name_dob_key: l.nk,
          handed_at: l.at, status: cancelled.has(l.id) ? 'cancelled' : doubles.has(l.id) ? 'double' : 'recorded', recorded_by: l.by, body: JSON.stringify({ date: l.d, instance: null }),
        });
        audit.push({ alarm_id: null, handout_id: l.id, at: l.at, by: l.by, action: 'handout', village_code: l.v, body: detail(`${l.p} ${l.d}`) });
        imported++;
      } else if (l.t === 'a') {
        const a = l.alarm;
        audit.push({ alarm_id: a.id, handout_id: a.handoutId, at: a.raisedAt, by: 'system', action: 'alarm', village_code: a.villageCode, body: detail(`${a.severity}: ${a.matches.map((m) => m.kind).join(',')} villages ${a.villages.join(',')}`) });
      } else if (l.t === 'k' || l.t === 'r') {
        const a = alarms.get(l.alarmId)?.alarm;
        audit.push({ alarm_id: l.alarmId, handout_id: a?.handoutId ?? null, at: l.at, by: l.by, action: l.t === 'k' ? 'ack' : 'resolve', village_code: a?.villageCode ?? null, body: detail(l.t === 'r' ? `${l.action}: ${l.reason}` : '') });
      } else if (l.t === 'd') {
        audit.push({ alarm_id: null, handout_id: l.id, at: l.at, by: l.by, action: 'redelivered', village_code: l.v, body: detail('') });
      } else if (l.t === 'q') {
        audit.push({ alarm_id: null, handout_id: null, at: l.at, by: l.by, action: 'check', village_code: l.v, body: detail(`${l.p}: ${l.matches} match(es)`) });
      } else if (l.t === 'i') {
        audit.push({ alarm_id: null, handout_id: null, at: l.at, by: l.by, action: 'import', village_code: l.v, body: detail(`${l.imported} imported, ${l.errors} bad rows`) });
      }
      if (handouts.length >= ROWS_PER_INSERT || audit.length >= ROWS_PER_INSERT) await flush();
    }
    await flush();
    // A double or a cancel this journal knows of, on a handout another journal brought in.
    const marks: [string, Set<string>][] = [['double', doubles], ['cancelled', cancelled]];
    for (const [status, set] of marks) {
      const list = [...set];
      for (let i = 0; i < list.length; i += ROWS_PER_INSERT) {
        let q = trx.updateTable('aid_handouts').set({ status }).where('handout_id', 'in', list.slice(i, i + ROWS_PER_INSERT));
        if (status === 'double') q = q.where('status', '=', 'recorded');
        await q.execute();
      }
    }
  });
  return imported;
}

/**
 * The aid journal of sessions 1–4 under this DATA_DIR (handouts, alarms, acks, resolutions, audit).
 * `instanceId` names it per server (cluster mode: each instance imports its own journal once).
 */
export function aidLegacyImporterFor(instanceId?: string): LegacyImporter {
  return {
    name: instanceId ? `aid-journal:${instanceId}` : 'aid-journal',
    async run(rdb, dataDir) {
      const dir = join(dataDir, 'server', 'aid');
      const journal = join(dir, 'journal.jsonl');
      if (!existsSync(journal)) return 0;
      const n = await importJournal(rdb.db, journal, rdb.engine);
      // Kept for the operator, never read again (the once-only guard with the `meta` mark).
      renameSync(journal, `${journal}.imported`);
      rmSync(join(dir, 'index.snap'), { force: true });
      return n;
    },
  };
}

/** `aid-journal`: a single server's aid journal (see {@link aidLegacyImporterFor} for cluster mode). */
export const aidLegacyImporter: LegacyImporter = aidLegacyImporterFor();
