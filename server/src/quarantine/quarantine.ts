/**
 * Quarantine: assigns a traveller (symptomatic, positive, or whose home the village officer found
 * unfit) to the nearest facility with room; tracks occupancy and release dates; a facility that fills
 * up raises `quarantine_full` (cleared by the system when a place frees up). Assignments are durable
 * in DATA_DIR/server/quarantine-assignments.jsonl. All state changes happen synchronously in one JS
 * turn, so two assignments at the same moment can never overfill a facility.
 */
import { randomUUID } from 'node:crypto';
import type { PublicUser } from '../auth/users.ts';
import type { AlertCandidate } from '../alerts/rules.ts';
import { distanceKm } from '../arrivals/districts.ts';
import { Journal } from '../arrivals/journal.ts';
import type { ExpectedArrival } from '../arrivals/expected-arrivals.ts';
import type { Facility, FacilityFile } from './facilities.ts';

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
  facilities: FacilityFile;
  journalFile?: string;
  defaultDays?: number;
  now?: () => Date;
  raise(c: AlertCandidate): void;
  clearAlert(key: string, by: string): void;
}

export class Quarantine {
  #facilities: Facility[] = [];
  readonly #assignments = new Map<string, Assignment>();
  readonly #journal: Journal<Assignment> | undefined;
  readonly #now: () => Date;

  constructor(private readonly o: QuarantineOptions) {
    this.#now = o.now ?? (() => new Date());
    this.#journal = o.journalFile ? new Journal<Assignment>(o.journalFile, (a) => a.id) : undefined;
  }

  start(): void {
    this.#facilities = this.o.facilities.load();
    for (const a of this.#journal?.load() ?? []) this.#assignments.set(a.id, a);
  }

  stop(): void {
    this.#journal?.close();
  }

  occupancy(): Occupancy[] {
    const used = new Map<string, number>();
    for (const a of this.#assignments.values()) if (!a.releasedAt) used.set(a.facilityId, (used.get(a.facilityId) ?? 0) + 1);
    return this.#facilities.map((f) => {
      const occupied = used.get(f.id) ?? 0;
      return { ...f, occupied, free: Math.max(0, f.capacity - occupied) };
    });
  }

  /** Adds or replaces a facility (command only, checked by the route). */
  upsertFacility(f: Facility): Occupancy {
    this.#facilities = [...this.#facilities.filter((x) => x.id !== f.id), f];
    this.o.facilities.save(this.#facilities);
    this.#checkFull(f.id, 'system');
    return this.occupancy().find((x) => x.id === f.id)!;
  }

  assignments(visible: (a: Assignment) => boolean, activeOnly: boolean): Assignment[] {
    return [...this.#assignments.values()].filter((a) => (!activeOnly || !a.releasedAt) && visible(a)).reverse();
  }

  get(id: string): Assignment | undefined {
    return this.#assignments.get(id);
  }

  /** Assigns to the nearest facility (from the destination district) with a free place. Idempotent per scan. */
  assign(r: ExpectedArrival, reason: QuarantineReason, user: PublicUser, days = this.o.defaultDays ?? 14): { assignment: Assignment; created: boolean } {
    const current = [...this.#assignments.values()].find((a) => a.scanId === r.scanId && !a.releasedAt);
    if (current) return { assignment: current, created: false };
    if (reason === 'positive' && r.healthStatus !== 'positif') throw new QuarantineError('not_eligible', 'hasil rapid test tidak positif');
    if (reason === 'symptomatic' && r.healthStatus === 'sehat') throw new QuarantineError('not_eligible', 'pelaku perjalanan tidak bergejala');
    if (reason === 'home_unfit' && user.role === 'checkpoint') throw new QuarantineError('not_eligible', 'kelayakan rumah dinilai oleh petugas desa');
    const occ = this.occupancy()
      .filter((f) => f.free > 0)
      .sort((a, b) => distanceKm(r.districtCode, a.districtCode) - distanceKm(r.districtCode, b.districtCode));
    const facility = occ[0];
    if (!facility) {
      this.o.raise({ rule: 'quarantine_full', key: 'quarantine_full|*', subject: '*', severity: 'critical', title: 'Semua tempat karantina penuh', text: 'tidak ada tempat karantina yang kosong' });
      throw new QuarantineError('full', 'semua tempat karantina penuh');
    }
    const now = this.#now();
    const a: Assignment = {
      id: randomUUID(), scanId: r.scanId, facilityId: facility.id, reason, villageCode: r.villageCode, checkpointId: r.checkpointId,
      name: r.name, nikMasked: r.nikMasked, assignedBy: user.username, assignedAt: now.toISOString(),
      // Release day counted in WIB (UTC+7): the day a person may go home, as officers say it.
      releaseOn: new Date(now.getTime() + 7 * 3600_000 + days * 86_400_000).toISOString().slice(0, 10),
    };
    this.#assignments.set(a.id, a);
    this.#journal?.append(a);
    this.#checkFull(facility.id, user.username);
    return { assignment: a, created: true };
  }

  release(id: string, by: string): Assignment {
    const a = this.#assignments.get(id);
    if (!a) throw new QuarantineError('not_found', 'penempatan tidak ditemukan');
    if (a.releasedAt) return a;
    a.releasedAt = this.#now().toISOString();
    a.releasedBy = by;
    this.#journal?.append(a);
    this.#checkFull(a.facilityId, 'system');
    return a;
  }

  #checkFull(facilityId: string, by: string): void {
    const f = this.occupancy().find((x) => x.id === facilityId);
    if (!f) return;
    if (f.free === 0) {
      this.o.raise({ rule: 'quarantine_full', key: `quarantine_full|${f.id}`, subject: f.id, severity: 'major', title: 'Tempat karantina penuh', text: `${f.name}: ${f.occupied}/${f.capacity} terisi` });
    } else {
      // A place is free again: the facility (and the "all full" alert) clear themselves.
      this.o.clearAlert(`quarantine_full|${f.id}`, by);
      this.o.clearAlert('quarantine_full|*', by);
    }
  }
}
