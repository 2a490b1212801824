/**
 * The versioned migrations of the database of record, the same for SQLite and PostgreSQL (Kysely's
 * schema builder writes each dialect's DDL). Never edit a migration that has shipped: add the next one.
 * Names sort in the order they run.
 *
 * A database written by a newer version (a migration name this build does not know) is refused with a
 * clear message rather than half-understood: see {@link migrateToLatest}.
 */
import { sql, type Kysely } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';

export type Engine = 'sqlite' | 'postgres';

/** A generated 64-bit id: SQLite's rowid alias, PostgreSQL's bigserial. */
function idColumn(engine: Engine) {
  return engine === 'postgres' ? ('bigserial' as const) : ('integer' as const);
}

const m0001_records = (engine: Engine): Migration => ({
  async up(db: Kysely<any>) {
    const id = idColumn(engine);
    await db.schema
      .createTable('scans')
      .addColumn('scan_id', 'text', (c) => c.primaryKey())
      .addColumn('checkpoint_id', 'text', (c) => c.notNull())
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('scanned_at', 'text', (c) => c.notNull())
      .addColumn('device_scanned_at', 'text')
      .addColumn('clock_flag', 'text')
      .addColumn('received_at', 'text', (c) => c.notNull())
      .addColumn('nik', 'text')
      .addColumn('name', 'text')
      .addColumn('sex', 'text')
      .addColumn('birth_date', 'text')
      .addColumn('origin_address', 'text')
      .addColumn('origin_regency', 'text', (c) => c.notNull())
      .addColumn('dest_village', 'text', (c) => c.notNull())
      .addColumn('dest_district', 'text', (c) => c.notNull())
      .addColumn('temperature_c', 'real', (c) => c.notNull())
      .addColumn('symptoms', 'text', (c) => c.notNull())
      .addColumn('rapid_test', 'text', (c) => c.notNull())
      .addColumn('vaccination_doses', 'integer', (c) => c.notNull())
      .addColumn('health', 'text', (c) => c.notNull())
      .addColumn('officer', 'text')
      .addColumn('eta', 'text', (c) => c.notNull())
      .addColumn('arrival_state', 'text', (c) => c.notNull())
      .addColumn('arrived_at', 'text')
      .addColumn('arrived_by', 'text')
      .addColumn('pii_cleared_at', 'text')
      .execute();
    await db.schema.createIndex('scans_scanned_at').on('scans').column('scanned_at').execute();
    await db.schema.createIndex('scans_village_time').on('scans').columns(['dest_village', 'scanned_at']).execute();
    // No index on nik: its random keys doubled the hot path's insert cost (18 → 33 µs per scan measured,
    // docs/benchmarks.md); erasure by NIK is a rare operator command and scans the table.

    await db.schema.createIndex('scans_arrival_due').on('scans').columns(['arrival_state', 'eta']).execute();

    await db.schema
      .createTable('alerts')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('rule', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('subject_key', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('open_key', 'text', (c) => c.unique())
      .addColumn('village_code', 'text')
      .addColumn('checkpoint_id', 'text')
      .addColumn('scan_id', 'text')
      .addColumn('count', 'integer', (c) => c.notNull())
      .addColumn('raised_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('acked_at', 'text')
      .addColumn('acked_by', 'text')
      .addColumn('cleared_at', 'text')
      .addColumn('cleared_by', 'text')
      .addColumn('body', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('alerts_state_updated').on('alerts').columns(['state', 'updated_at']).execute();
    await db.schema.createIndex('alerts_village').on('alerts').columns(['village_code', 'updated_at']).execute();

    await db.schema
      .createTable('quarantine_facilities')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('district_code', 'text', (c) => c.notNull())
      .addColumn('capacity', 'integer', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('quarantine_assignments')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('scan_id', 'text', (c) => c.notNull())
      .addColumn('facility_id', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('active_key', 'text', (c) => c.unique())
      .addColumn('starts_at', 'text', (c) => c.notNull())
      .addColumn('ends_at', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .addColumn('body', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('quarantine_facility_state').on('quarantine_assignments').columns(['facility_id', 'state']).execute();

    await db.schema.createTable('aid_programmes').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('body', 'text', (c) => c.notNull()).execute();
    await db.schema
      .createTable('aid_handouts')
      .addColumn('handout_id', 'text', (c) => c.primaryKey())
      .addColumn('programme_id', 'text', (c) => c.notNull())
      .addColumn('period', 'text', (c) => c.notNull())
      .addColumn('village_code', 'text', (c) => c.notNull())
      .addColumn('person_key', 'text', (c) => c.notNull())
      .addColumn('household_key', 'text')
      .addColumn('name_dob_key', 'text')
      .addColumn('handed_at', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('recorded_by', 'text')
      .addColumn('body', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('aid_person').on('aid_handouts').columns(['person_key', 'programme_id', 'period']).execute();
    await db.schema.createIndex('aid_household').on('aid_handouts').columns(['household_key', 'programme_id', 'period']).execute();
    await db.schema.createIndex('aid_name_dob').on('aid_handouts').column('name_dob_key').execute();
    await db.schema.createIndex('aid_village_time').on('aid_handouts').columns(['village_code', 'handed_at']).execute();
    await db.schema
      .createTable('aid_alarms')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('open_key', 'text', (c) => c.unique())
      .addColumn('handout_id', 'text', (c) => c.notNull())
      .addColumn('raised_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('aid_alarms_state').on('aid_alarms').columns(['state', 'updated_at']).execute();
    await db.schema
      .createTable('aid_audit')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('alarm_id', 'bigint')
      .addColumn('handout_id', 'text')
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('by', 'text')
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('aid_audit_alarm').on('aid_audit').column('alarm_id').execute();

    await db.schema
      .createTable('users')
      .addColumn('username', 'text', (c) => c.primaryKey())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('village_code', 'text')
      .addColumn('checkpoint_id', 'text')
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('sessions')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('username', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sessions_expiry').on('sessions').column('expires_at').execute();

    await db.schema
      .createTable('puskesmas_reports')
      .addColumn('puskesmas_id', 'text', (c) => c.notNull())
      .addColumn('date', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('submitted_at', 'text', (c) => c.notNull())
      .addColumn('submitted_by', 'text')
      .addColumn('body', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('puskesmas_reports_pk', ['puskesmas_id', 'date'])
      .execute();
    await db.schema.createIndex('puskesmas_reports_state').on('puskesmas_reports').column('state').execute();

    await db.schema
      .createTable('dead_letters')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('topic', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('dead_letters_time').on('dead_letters').column('received_at').execute();

    await db.schema.createTable('meta').addColumn('key', 'text', (c) => c.primaryKey()).addColumn('value', 'text', (c) => c.notNull()).execute();
  },
});

/**
 * Alert triage (issue 17): the follow-up list of travellers the village and its puskesmas call on
 * (one open follow-up per person, `open_key` unique while open), which scans each covers (so "every
 * fever or positive scan has a follow-up" is one anti-join), who answers an alert (`answer_by`), and
 * the village's "home unfit for self-isolation" mark on an arrival.
 */
const m0002_alert_triage = (engine: Engine): Migration => ({
  async up(db: Kysely<any>) {
    const id = idColumn(engine);
    await db.schema
      .createTable('follow_ups')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('person_key', 'text', (c) => c.notNull())
      .addColumn('open_key', 'text', (c) => c.unique())
      .addColumn('scan_id', 'text', (c) => c.notNull())
      .addColumn('last_scan_id', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('priority', 'integer', (c) => c.notNull())
      .addColumn('village_code', 'text', (c) => c.notNull())
      .addColumn('district_code', 'text', (c) => c.notNull())
      .addColumn('checkpoint_id', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('alert_id', 'bigint')
      .addColumn('count', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('due_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text')
      .addColumn('body', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('follow_ups_village').on('follow_ups').columns(['village_code', 'created_at']).execute();
    await db.schema.createIndex('follow_ups_due').on('follow_ups').columns(['state', 'due_at']).execute();
    await db.schema
      .createTable('follow_up_scans')
      .addColumn('scan_id', 'text', (c) => c.primaryKey())
      .addColumn('follow_up_id', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.alterTable('alerts').addColumn('answer_by', 'text').execute();
    await db.schema.alterTable('scans').addColumn('home_unfit', 'integer').execute();
  },
});

/**
 * Social aid on the database (issue 15): an alarm's acknowledgement and resolution as columns, so "the
 * first ack is kept" and "resolved once" are one conditional UPDATE each (first writer wins, on both
 * engines); the villages an alarm involves as rows (a village officer's alarm list and audit are index
 * lookups); each audit row's recording village.
 */
const m0003_aid_extra = (_engine: Engine): Migration => ({
  async up(db: Kysely<any>) {
    for (const c of ['acked_at', 'acked_by', 'resolved_at', 'resolved_by', 'resolution', 'resolution_reason']) {
      await db.schema.alterTable('aid_alarms').addColumn(c, 'text').execute();
    }
    await db.schema
      .createTable('aid_alarm_villages')
      .addColumn('village_code', 'text', (c) => c.notNull())
      .addColumn('alarm_id', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('aid_alarm_villages_pk', ['village_code', 'alarm_id'])
      .execute();
    await db.schema.createIndex('aid_alarms_handout').on('aid_alarms').column('handout_id').execute();
    await db.schema.alterTable('aid_audit').addColumn('village_code', 'text').execute();
    await db.schema.createIndex('aid_audit_village').on('aid_audit').columns(['village_code', 'id']).execute();
  },
});

/**
 * Personal-data retention (issue 15, ops/retention.ts): the scans still holding personal data, by
 * time. Partial, so the hourly purge finds the next batch past the cutoff without walking every row
 * it already cleared; it shrinks as rows are cleared.
 */
const m0004_pii_retention = (_engine: Engine): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema.createIndex('scans_pii_held').on('scans').column('scanned_at').where(sql.ref('pii_cleared_at'), 'is', null).execute();
  },
});

/** Every migration, by name, in the order they run. */
export function migrations(engine: Engine): Record<string, Migration> {
  return {
    '0001_records': m0001_records(engine),
    '0002_alert_triage': m0002_alert_triage(engine),
    '0003_aid_extra': m0003_aid_extra(engine),
    '0004_pii_retention': m0004_pii_retention(engine),
  };
}

export class SchemaTooNewError extends Error {}

/**
 * Brings the schema up to date. Refuses a database that has migrations this build does not know
 * (written by a newer version): running on it could misread or damage records.
 */
export async function migrateToLatest(db: Kysely<any>, engine: Engine): Promise<string[]> {
  const known = migrations(engine);
  const exists = await sql<{ n: number }>`select count(*) as n from ${sql.raw(engine === 'postgres' ? "information_schema.tables where table_name = 'kysely_migration'" : "sqlite_master where type = 'table' and name = 'kysely_migration'")}`.execute(db);
  if (Number(exists.rows[0]?.n ?? 0) > 0) {
    const applied = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    const unknown = applied.rows.map((r) => r.name).filter((n) => !(n in known));
    if (unknown.length > 0) {
      throw new SchemaTooNewError(
        `the database was written by a newer version (schema migrations ${unknown.join(', ')} are unknown to this build, which knows up to ${Object.keys(known).at(-1)}); upgrade the server, or restore a backup made by this version`,
      );
    }
  }
  const migrator = new Migrator({ db, provider: { getMigrations: async () => known } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
