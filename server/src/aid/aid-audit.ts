/**
 * The double-aid audit trail in memory: every handout, check, alarm, acknowledgement, resolution and
 * import, newest kept (10,000). Each entry carries the villages that may read it: an alarm and what
 * follows from it belong to every village involved, not only the recording one. Rebuilt from the
 * journal (and the index snapshot) on start.
 */
import type { AidAuditEntry } from '@sk/protocol';

/** An audit entry plus every village that may read it. */
export type AuditRow = AidAuditEntry & { scope: readonly string[] };

const KEPT = 10_000;

export class AidAudit {
  #rows: AuditRow[] = [];
  #seq = 0;

  add(at: string, type: AidAuditEntry['type'], by: string, villageCode: string | null, handoutId: string | null, alarmId: number | null, detail: string, villages?: readonly string[]): void {
    const scope = villages ?? (villageCode ? [villageCode] : []);
    this.#rows.push({ seq: ++this.#seq, at, type, by, villageCode, handoutId, alarmId, detail, scope });
    if (this.#rows.length > KEPT * 1.1) this.#rows.splice(0, this.#rows.length - KEPT);
  }

  /** Newest first; a village officer's view holds only entries scoped to their village. */
  list(scopeVillage: string | null, limit: number): AidAuditEntry[] {
    return this.#rows
      .filter((e) => scopeVillage === null || e.scope.includes(scopeVillage))
      .slice(-limit)
      .reverse()
      .map(({ scope: _scope, ...entry }) => entry);
  }

  /** For the index snapshot. */
  state(): { audit: AuditRow[]; auditSeq: number } {
    return { audit: [...this.#rows], auditSeq: this.#seq };
  }

  restore(rows: readonly AuditRow[], seq: number): void {
    this.#rows.push(...rows);
    this.#seq = seq;
  }
}
