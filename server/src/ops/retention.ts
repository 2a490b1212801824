/**
 * The hourly retention feature: personal data of scans older than PII_RETENTION_DAYS (purge in
 * bounded batches, personal-data.ts), expired sessions, and dead letters past their bounds. Each run
 * is idempotent and safe on several instances at once (each batch is its own transaction; a row
 * cleared by another instance is simply not selected again).
 */
import type { DbSessionStore } from '../auth/sessions.ts';
import type { RecordsDb } from '../db/database.ts';
import type { DeadLetters } from '../ingest/dead-letters.ts';
import type { Logger } from '../log.ts';
import { purgePersonalData, type PurgeResult } from './personal-data.ts';
import { purgeAidAlarmNames } from '../aid/aid-alarm-rows.ts';

export interface RetentionDeps {
  rdb: RecordsDb;
  retentionDays: number;
  log: Logger;
  sessions?: Pick<DbSessionStore, 'purgeExpired'>;
  deadLetters?: Pick<DeadLetters, 'prune'>;
  now?: () => Date;
  everyMs?: number;
}

export class Retention {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> = Promise.resolve();
  constructor(private readonly d: RetentionDeps) {}

  /** Runs once now (in the background), then every hour. */
  start(): void {
    this.#kick();
    this.#timer = setInterval(() => this.#kick(), this.d.everyMs ?? 3_600_000);
    this.#timer.unref?.();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  #kick(): void {
    this.#running = this.#running.then(() => this.runOnce()).catch((e: Error) => this.d.log.warn({ err: e.message }, 'retention run failed; retried at the next hour'));
  }

  async runOnce(): Promise<{ pii: PurgeResult; sessions: number; deadLetters: number; aidAlarmNames: number }> {
    const pii = await purgePersonalData(this.d.rdb, { retentionDays: this.d.retentionDays, now: this.d.now });
    // Aid alarms show a masked NIK and the name while they are worked on; once resolved longer ago than
    // the retention period, those go too (the HMAC keys stay, for the double checks).
    const aidAlarmNames = await purgeAidAlarmNames(this.d.rdb, pii.cutoff);
    const sessions = (await this.d.sessions?.purgeExpired()) ?? 0;
    const deadLetters = (await this.d.deadLetters?.prune()) ?? 0;
    if (pii.cleared || sessions || deadLetters || aidAlarmNames) this.d.log.info({ piiCleared: pii.cleared, more: pii.more, cutoff: pii.cutoff, sessions, deadLetters, aidAlarmNames }, 'retention');
    return { pii, sessions, deadLetters, aidAlarmNames };
  }
}
