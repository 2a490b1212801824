/**
 * Quarantine on the database of record: facilities with capacity, and assignments of a traveller
 * (symptomatic, positive, or whose home the village officer found unfit) to the nearest facility with
 * room. Capacity is checked in the placing transaction: on PostgreSQL the facility row is locked
 * (`select … for update`), so two placements on two servers for its last place queue and the second
 * moves on; on SQLite the write transaction serialises them. One active assignment per traveller
 * (`active_key` unique). A facility that fills up raises `quarantine_full`, cleared by the system when a
 * place frees up. Names and NIKs are joined from the scan, never copied.
 */
import { maskNik } from '@sk/protocol';
import type { Kysely, Selectable } from 'kysely';
import type { PublicUser } from '../auth/users.ts';
import type { Alerts } from '../alerts/alerts.ts';
import type { AlertRowFull } from '../alerts/alert-store.ts';
import type { AlertCandidate } from '../alerts/rules.ts';
import { distanceKm } from '../arrivals/districts.ts';
import type { ExpectedArrival } from '../arrivals/expected-arrivals.ts';
import type { RecordsDb } from '../db/database.ts';
import type { Database, QuarantineAssignmentsTable } from '../db/schema.ts';
import { SEED_FACILITIES, type Facility } from './facilities.ts';

export const QUARANTINE_REASONS = ['symptomatic', 'positive', 'home_unfit'] as const;
export type QuarantineReason = (typeof QUARANTINE_REASONS)[number];

export interface Assignment {
  id: string;
  scanId: string;
  facilityId: string;
  reason: QuarantineReason;
  villageCode: string;
  checkpointId: string;
  name: string;
  nikMasked: string;
  assignedBy: string;
  assignedAt: string;
  /** Planned release day (YYYY-MM-DD). */
  releaseOn: string;
  releasedAt?: string;
  releasedBy?: string;
}

export interface Occupancy extends Facility { occupied: number; free: number }

/** Why an assignment was refused, for the HTTP layer to map. */
export class QuarantineError extends Error {
  constructor(readonly code: 'not_eligible' | 'full' | 'not_found', message: string) { super(message); }
}

export interface QuarantineOptions {
  rdb: RecordsDb;
  alerts: Pick<Alerts, 'raiseIn' | 'clearKey' | 'announce'>;
  defaultDays?: number;
  now?: () => Date;
}

interface AssignmentBody {
  reason: QuarantineReason;
  releasedAt?: string;
  releasedBy?: string;
}

type Db = Kysely<Database>;
type AssignmentRow = Selectable<QuarantineAssignmentsTable> & { dest_village: string | null; checkpoint_id: string | null; nik: string | null; name: string | null };

const ALL_FULL: AlertCandidate = { rule: 'quarantine_full', key: 'quarantine_full|*', subject: '*', severity: 'critical', title: 'Semua tempat karantina penuh', text: 'tidak ada tempat karantina yang kosong' };

export class Quarantine {
  readonly #now: () => Date;
  readonly #db: Db;

  constructor(private readonly o: QuarantineOptions) {
    this.#now = o.now ?? (() => new Date());
    this.#db = o.rdb.db;
  }

  /** Seeds the facilities on a first start (an empty table); two servers seeding at once insert each once. */
  async start(): Promise<void> {
    const any = await this.#db.selectFrom('quarantine_facilities').select('id').limit(1).executeTakeFirst();
    if (any) return;
    for (const f of SEED_FACILITIES) {
      await this.#db.insertInto('quarantine_facilities').values(facilityRow(f)).onConflict((oc) => oc.column('id').doNothing()).execute();
    }
  }

  stop(): void {}

  async occupancy(db: Db = this.#db): Promise<Occupancy[]> {
    const [facilities, used] = await Promise.all([
      db.selectFrom('quarantine_facilities').selectAll().orderBy('id').execute(),
      db.selectFrom('quarantine_assignments').select(['facility_id', (eb) => eb.fn.countAll<number>().as('n')]).where('state', '=', 'active').groupBy('facility_id').execute(),
    ]);
    const n = new Map(used.map((u) => [u.facility_id, Number(u.n)]));
    return facilities.map((f) => {
      const occupied = n.get(f.id) ?? 0;
      return { id: f.id, name: f.name, districtCode: f.district_code, capacity: Number(f.capacity), occupied, free: Math.max(0, Number(f.capacity) - occupied) };
    });
  }

  /** Adds or replaces a facility (command only, checked by the route). */
  async upsertFacility(f: Facility, by = 'system'): Promise<Occupancy> {
    const changed = await this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto('quarantine_facilities')
        .values(facilityRow(f))
        .onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({ name: eb.ref('excluded.name'), district_code: eb.ref('excluded.district_code'), capacity: eb.ref('excluded.capacity'), body: eb.ref('excluded.body') })))
        .execute();
      return this.#checkFull(trx, f.id, by);
    });
    for (const r of changed) this.o.alerts.announce(r);
    return (await this.occupancy()).find((x) => x.id === f.id)!;
  }

  #assignmentQuery(db: Db) {
    return db
      .selectFrom('quarantine_assignments as a')
      .leftJoin('scans as s', 's.scan_id', 'a.scan_id')
      .selectAll('a')
      .select(['s.dest_village', 's.checkpoint_id', 's.nik', 's.name']);
  }

  /** Newest first, in the user's scope (command all; village its travellers; checkpoint those screened there). */
  async assignments(user: PublicUser, activeOnly: boolean, limit = 500): Promise<Assignment[]> {
    let q = this.#assignmentQuery(this.#db);
    if (activeOnly) q = q.where('a.state', '=', 'active');
    if (user.role === 'village') q = q.where('s.dest_village', '=', user.villageCode ?? '-');
    if (user.role === 'checkpoint') q = q.where('s.checkpoint_id', '=', user.checkpointId ?? '-');
    const rows = await q.orderBy('a.id', 'desc').limit(limit).execute();
    return rows.map(toAssignment);
  }

  async get(id: string): Promise<Assignment | undefined> {
    if (!/^\d{1,15}$/.test(id)) return undefined;
    const r = await this.#assignmentQuery(this.#db).where('a.id', '=', Number(id)).executeTakeFirst();
    return r && toAssignment(r);
  }

  /** Assigns to the nearest facility (from the destination district) with a free place. Idempotent per traveller. */
  async assign(r: ExpectedArrival, reason: QuarantineReason, user: PublicUser, days = this.o.defaultDays ?? 14): Promise<{ assignment: Assignment; created: boolean }> {
    if (reason === 'positive' && r.healthStatus !== 'positif') throw new QuarantineError('not_eligible', 'hasil rapid test tidak positif');
    if (reason === 'symptomatic' && r.healthStatus === 'sehat') throw new QuarantineError('not_eligible', 'pelaku perjalanan tidak bergejala');
    if (reason === 'home_unfit' && user.role === 'checkpoint') throw new QuarantineError('not_eligible', 'kelayakan rumah dinilai oleh petugas desa');
    const now = this.#now();
    const at = now.toISOString();
    const pg = this.o.rdb.engine === 'postgres';
    const out = await this.#db.transaction().execute(async (trx) => {
      const current = await trx.selectFrom('quarantine_assignments').select('id').where('active_key', '=', r.scanId).executeTakeFirst();
      if (current) return { id: Number(current.id), created: false, alerts: [] as AlertRowFull[] };
      const candidates = (await this.occupancy(trx))
        .filter((f) => f.free > 0)
        .sort((a, b) => distanceKm(r.districtCode, a.districtCode) - distanceKm(r.districtCode, b.districtCode));
      for (const f of candidates) {
        // The facility row's lock is what two simultaneous placements queue on (PostgreSQL).
        let lock = trx.selectFrom('quarantine_facilities').select('capacity').where('id', '=', f.id);
        if (pg) lock = lock.forUpdate();
        const fac = await lock.executeTakeFirst();
        const used = await trx.selectFrom('quarantine_assignments').select((eb) => eb.fn.countAll<number>().as('n')).where('facility_id', '=', f.id).where('state', '=', 'active').executeTakeFirstOrThrow();
        if (!fac || Number(used.n) >= Number(fac.capacity)) continue;
        const row = await trx
          .insertInto('quarantine_assignments')
          .values({
            scan_id: r.scanId, facility_id: f.id, state: 'active', active_key: r.scanId, starts_at: at,
            // Release day counted in WIB (UTC+7): the day a person may go home, as officers say it.
            ends_at: new Date(now.getTime() + 7 * 3600_000 + days * 86_400_000).toISOString().slice(0, 10),
            created_at: at, created_by: user.username, body: JSON.stringify({ reason } satisfies AssignmentBody),
          })
          .onConflict((oc) => oc.column('active_key').doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!row) {
          // Placed by someone else at this moment: theirs stands.
          const theirs = await trx.selectFrom('quarantine_assignments').select('id').where('active_key', '=', r.scanId).executeTakeFirstOrThrow();
          return { id: Number(theirs.id), created: false, alerts: [] };
        }
        return { id: Number(row.id), created: true, alerts: await this.#checkFull(trx, f.id, user.username) };
      }
      return { id: undefined, created: false, alerts: [await this.o.alerts.raiseIn(trx, ALL_FULL)] };
    });
    for (const a of out.alerts) this.o.alerts.announce(a);
    if (out.id === undefined) throw new QuarantineError('full', 'semua tempat karantina penuh');
    return { assignment: (await this.get(String(out.id)))!, created: out.created };
  }

  async release(id: string, by: string): Promise<Assignment> {
    const a = await this.get(id);
    if (!a) throw new QuarantineError('not_found', 'penempatan tidak ditemukan');
    if (a.releasedAt) return a;
    const at = this.#now().toISOString();
    const alerts = await this.#db.transaction().execute(async (trx) => {
      const body: AssignmentBody = { reason: a.reason, releasedAt: at, releasedBy: by };
      const done = await trx
        .updateTable('quarantine_assignments')
        .set({ state: 'released', active_key: null, body: JSON.stringify(body) })
        .where('id', '=', Number(id))
        .where('state', '=', 'active')
        .returning('facility_id')
        .executeTakeFirst();
      return done ? this.#checkFull(trx, done.facility_id, 'system') : [];
    });
    for (const r of alerts) this.o.alerts.announce(r);
    return (await this.get(id))!;
  }

  /** Raises `quarantine_full` for a full facility, or clears it (and "all full") when a place is free; in the caller's transaction. */
  async #checkFull(trx: Db, facilityId: string, by: string): Promise<AlertRowFull[]> {
    const f = (await this.occupancy(trx)).find((x) => x.id === facilityId);
    if (!f) return [];
    if (f.free === 0) {
      return [await this.o.alerts.raiseIn(trx, { rule: 'quarantine_full', key: `quarantine_full|${f.id}`, subject: f.id, severity: 'major', title: 'Tempat karantina penuh', text: `${f.name}: ${f.occupied}/${f.capacity} terisi` })];
    }
    const out: AlertRowFull[] = [];
    for (const key of [`quarantine_full|${f.id}`, 'quarantine_full|*']) {
      const r = await this.o.alerts.clearKey(key, by, trx);
      if (r) out.push(r);
    }
    return out;
  }
}

function facilityRow(f: Facility) {
  return { id: f.id, name: f.name, district_code: f.districtCode, capacity: f.capacity, body: '{}' };
}

function toAssignment(r: AssignmentRow): Assignment {
  const b = JSON.parse(r.body) as AssignmentBody;
  const a: Assignment = {
    id: String(r.id), scanId: r.scan_id, facilityId: r.facility_id, reason: b.reason, villageCode: r.dest_village ?? '', checkpointId: r.checkpoint_id ?? '',
    name: r.name ?? '', nikMasked: r.nik ? maskNik(r.nik) : '', assignedBy: r.created_by ?? '', assignedAt: r.created_at, releaseOn: r.ends_at,
  };
  if (b.releasedAt) a.releasedAt = b.releasedAt;
  if (b.releasedBy) a.releasedBy = b.releasedBy;
  return a;
}
