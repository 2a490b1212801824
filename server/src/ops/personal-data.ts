/**
 * Personal data in the database of record (UU PDP; issue 15): the retention purge and a person's
 * erasure. Both clear the personal columns of `scans` (NIK, name, sex, birth date, address) and stamp
 * `pii_cleared_at`; the rest of the row stays, so counts, arrivals and the InfluxDB series (which
 * never held personal data) are unchanged. Aid keeps only HMAC keys of NIK/KK.
 *
 * Alerts and follow-ups refer to a traveller by scan id, and link a person's scans by an HMAC of the
 * NIK (the person key, for "one open alert / follow-up per person"). An erasure also cuts that link on
 * the person's alerts and follow-ups (the key becomes `erased:<id>`), so they keep only scan ids and a
 * later scan of the same NIK can no longer be tied to them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { eraseAidPerson } from '../aid/aid-alarm-rows.ts';
import { AidKeys, loadAidSecret } from '../aid/keys.ts';
import type { RecordsDb } from '../db/database.ts';

const CLEARED = { nik: null, name: null, sex: null, birth_date: null, origin_address: null } as const;

export interface PurgeOptions {
  /** Days personal data is kept after the scan (PII_RETENTION_DAYS). */
  retentionDays: number;
  now?: () => Date;
  /** Rows per transaction (bounded, so the hot path's inserts are never held up for long). */
  batch?: number;
  /** Batches per run at most; the next run goes on where this one stopped. */
  maxBatches?: number;
}

export interface PurgeResult {
  cutoff: string;
  cleared: number;
  /** True when the run stopped at maxBatches with rows still past the cutoff. */
  more: boolean;
}

/** Clears the personal columns of every scan older than the retention period, in bounded batches. */
export async function purgePersonalData(rdb: RecordsDb, o: PurgeOptions): Promise<PurgeResult> {
  const now = (o.now ?? (() => new Date()))();
  const cutoff = new Date(now.getTime() - o.retentionDays * 86_400_000).toISOString();
  const batch = o.batch ?? 2000;
  const maxBatches = o.maxBatches ?? 1000;
  let cleared = 0;
  for (let i = 0; i < maxBatches; i++) {
    const n = await rdb.db.transaction().execute(async (trx) => {
      const ids = trx.selectFrom('scans').select('scan_id').where('pii_cleared_at', 'is', null).where('scanned_at', '<', cutoff).orderBy('scanned_at').limit(batch);
      const r = await trx.updateTable('scans').set({ ...CLEARED, pii_cleared_at: now.toISOString() }).where('scan_id', 'in', ids).executeTakeFirst();
      return Number(r.numUpdatedRows);
    });
    cleared += n;
    if (n < batch) return { cutoff, cleared, more: false };
  }
  return { cutoff, cleared, more: true };
}

export interface EraseResult {
  /** Scans whose personal columns were cleared. */
  scans: number;
  /** Records that refer to those scans by id and keep only that id (for the operator's report). */
  alerts: number;
  followUps: number;
  quarantineAssignments: number;
}

/** Clears one person's personal data from every scan that holds their NIK. The NIK is never logged or returned. */
export async function erasePerson(rdb: RecordsDb, nik: string, now = new Date()): Promise<EraseResult> {
  return rdb.db.transaction().execute(async (trx) => {
    const ids = (await trx.selectFrom('scans').select('scan_id').where('nik', '=', nik).execute()).map((r) => r.scan_id);
    if (ids.length === 0) return { scans: 0, alerts: 0, followUps: 0, quarantineAssignments: 0 };
    let scans = 0;
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      scans += Number((await trx.updateTable('scans').set({ ...CLEARED, pii_cleared_at: now.toISOString() }).where('scan_id', 'in', chunk).executeTakeFirst()).numUpdatedRows);
    }
    // Cut the person key on their alerts (those whose subject is the person, not the scan itself) and
    // follow-ups. Each erased key is unique (per scan / per follow-up), so the open keys stay unique.
    const followUpIds = new Set<number>();
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      await trx
        .updateTable('alerts')
        .set({
          subject_key: sql<string>`'erased:' || scan_id`,
          open_key: sql<string | null>`case when open_key is null then null else rule || '|erased:' || scan_id end`,
        })
        .where('scan_id', 'in', chunk)
        .where((eb) => eb('subject_key', '<>', eb.ref('scan_id')))
        .where('subject_key', 'not like', 'erased:%')
        .execute();
      for (const r of await trx.selectFrom('follow_up_scans').select('follow_up_id').where('scan_id', 'in', chunk).execute()) followUpIds.add(Number(r.follow_up_id));
      for (const r of await trx.selectFrom('follow_ups').select('id').where((eb) => eb.or([eb('scan_id', 'in', chunk), eb('last_scan_id', 'in', chunk)])).execute()) followUpIds.add(Number(r.id));
    }
    const fids = [...followUpIds];
    for (let i = 0; i < fids.length; i += 1000) {
      await trx
        .updateTable('follow_ups')
        .set({
          person_key: sql<string>`'erased:' || cast(id as text)`,
          open_key: sql<string | null>`case when open_key is null then null else 'erased:' || cast(id as text) end`,
        })
        .where('id', 'in', fids.slice(i, i + 1000))
        .execute();
    }
    const count = async (table: 'alerts' | 'quarantine_assignments') => {
      let n = 0;
      for (let i = 0; i < ids.length; i += 1000) {
        const r = await trx.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('scan_id', 'in', ids.slice(i, i + 1000)).executeTakeFirstOrThrow();
        n += Number(r.n);
      }
      return n;
    };
    return { scans, alerts: await count('alerts'), followUps: fids.length, quarantineAssignments: await count('quarantine_assignments') };
  });
}

export type AidEraseResult = { alarms: number } | { skipped: 'no-secret' | 'other-secret' | 'no-aid' };

/**
 * The aid part of an erasure: aid holds the person only as HMAC keys, except the masked NIK and name an
 * alarm shows the officers; those are blanked (aid/aid-alarm-rows.ts `eraseAidPerson`). Needs the
 * server's aid secret (AID_HMAC_SECRET, else DATA_DIR/server/aid/secret; never created here), and
 * checks it is the one the database's keys were made with.
 */
export async function eraseAidPersonData(rdb: RecordsDb, nik: string, secret: { fromEnv?: string; dataDir: string }): Promise<AidEraseResult> {
  const kept = await rdb.db.selectFrom('meta').select('value').where('key', '=', 'aid:secret-fingerprint').executeTakeFirst();
  if (!kept) return { skipped: 'no-aid' };
  const dir = join(secret.dataDir, 'server', 'aid');
  if (!secret.fromEnv && !existsSync(join(dir, 'secret'))) return { skipped: 'no-secret' };
  const keys = new AidKeys(loadAidSecret(dir, secret.fromEnv));
  if (keys.fingerprint() !== kept.value) return { skipped: 'other-secret' };
  return { alarms: await eraseAidPerson(rdb, keys.hex(nik).person) };
}
