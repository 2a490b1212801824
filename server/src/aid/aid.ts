/**
 * The aid feature: check before handing out, record (console, CSV, MQTT), alarms to every village
 * involved, acknowledgement and resolution, audit. The database of record holds all of it
 * (aid-store.ts, aid-alarm-rows.ts); nothing lives only in this process, so a restart is ready at once
 * and several servers on one PostgreSQL see the same handouts and alarms.
 *
 * No in-memory index: a check is one indexed query (a person's handouts of the periods that count),
 * an officer at a desk makes a few a minute, and the compact index of sessions 1–4 cost ~40 bytes per
 * entry (≈ 1 GB at the full regency, the whole server's memory budget) plus a rebuild at every start.
 * Handouts arriving together share one transaction (group commit): one fsync for the batch.
 */
import { join } from 'node:path';
import { aidProgramme, maskNik, periodOf, type AidAlarm, type AidAuditEntry, type AidCheckInput, type AidCheckResult, type AidMatch, type AidRecordResult, type AidResolution, type HandoutInput } from '@sk/protocol';
import type { Regions } from '@sk/protocol/regions';
import type { RecordsDb } from '../db/database.ts';
import { AidKeys, loadAidSecret } from './keys.ts';
import { checkHandout, recordHandouts, type PendingHandout, type RecordOutcome } from './aid-store.ts';
import { acknowledgeAlarm, auditImport, eraseAidPerson, getAlarm, listAlarms, listAudit, resolveAlarm, type AlarmBody } from './aid-alarm-rows.ts';
import { severityOf, type RawMatch } from './double-rules.ts';

export interface StoredHandout { id: string; programmeId: string; villageCode: string; date: string; at: string; status: 'recorded' | 'double' }

export interface AidDeps {
  rdb: RecordsDb;
  dataDir: string;
  regions: Regions;
  secret?: string;
  /** Live push: `rooms` are 'command' and 'village:<code>' (the socket.io Redis adapter reaches every instance's consoles). */
  emit(event: 'aid:alarm' | 'aid:alarm-update', alarm: AidAlarm, rooms: string[]): void;
  /** Best-effort copy to InfluxDB (the database is the record). */
  stored?(handouts: StoredHandout[]): void;
  now?: () => Date;
  /** This server's id (cluster mode: which instance stored a handout). */
  instanceId?: string;
  /** Handouts per transaction at most (default 2,000; a CSV import is split). */
  maxBatch?: number;
}

/** A record call's outcome, with who stored a redelivered handout (MQTT replies in cluster mode). */
export interface RecordDetail { result: AidRecordResult; storedBy: { instance: string | null; at: string } | null }

interface Waiting { items: PendingHandout[]; inputs: readonly HandoutInput[]; resolve(r: RecordDetail[]): void; reject(e: unknown): void }

export class Aid {
  #keys: AidKeys | undefined;
  readonly #queue: Waiting[] = [];
  #draining: Promise<void> | undefined;

  constructor(private readonly d: AidDeps) {}

  #now(): string {
    return (this.d.now?.() ?? new Date()).toISOString();
  }

  /**
   * Loads the HMAC secret and checks it is the one the database's keys were made with (kept as a
   * fingerprint in `meta` by the first start): another secret would silently miss every double.
   */
  async start(): Promise<void> {
    this.#keys = new AidKeys(loadAidSecret(join(this.d.dataDir, 'server', 'aid'), this.d.secret));
    const fp = this.#keys.fingerprint();
    const db = this.d.rdb.db;
    await db.insertInto('meta').values({ key: 'aid:secret-fingerprint', value: fp }).onConflict((oc) => oc.column('key').doNothing()).execute();
    const kept = await db.selectFrom('meta').select('value').where('key', '=', 'aid:secret-fingerprint').executeTakeFirstOrThrow();
    if (kept.value !== fp) throw new Error('aid: this server\'s HMAC secret differs from the one the database\'s aid keys were made with (set the same AID_HMAC_SECRET, or restore DATA_DIR/server/aid/secret)');
  }

  /** Waits for the handouts being committed. */
  async stop(): Promise<void> {
    await this.#draining;
  }

  get keys(): AidKeys {
    if (!this.#keys) throw new Error('aid: not started');
    return this.#keys;
  }

  #match(m: RawMatch): AidMatch {
    return { kind: m.kind, severity: m.severity, programmeId: m.programmeId, period: m.period, villageCode: m.villageCode, villageName: this.d.regions.village(m.villageCode)?.name ?? null, at: m.at, handoutId: m.handoutId };
  }

  /** "Check before handing out": what this person or household already received, where and when. Writes nothing. */
  async check(q: AidCheckInput, _by: string): Promise<AidCheckResult> {
    const k = this.keys.hex(q.nik, q.kk, q.name, q.birthDate);
    const found = await checkHandout(this.d.rdb, { programmeId: q.programmeId, date: q.date, personKey: k.person, householdKey: k.household, nameKey: k.nameBirth });
    const matches = found.map((m) => this.#match(m));
    return { ok: matches.every((m) => m.severity === 'minor'), matches };
  }

  #pending(h: HandoutInput, by: string, at: string): PendingHandout {
    const k = this.keys.hex(h.nik, h.kk, h.name, h.birthDate);
    const p = aidProgramme(h.programmeId)!;
    return {
      row: {
        handout_id: h.handoutId, programme_id: h.programmeId, period: periodOf(p.period, h.date), village_code: h.villageCode, person_key: k.person,
        household_key: k.household, name_dob_key: k.nameBirth, handed_at: at, recorded_by: by, body: JSON.stringify({ date: h.date, instance: this.d.instanceId ?? null }),
      },
      date: h.date,
      alarm: (raw) => {
        const matches = raw.map((m) => this.#match(m));
        const villages = [...new Set([h.villageCode, ...matches.map((m) => m.villageCode)])];
        // The recipient as the officers need to find them: masked NIK and name (issue 6). Never logged.
        const body: AlarmBody = { programmeId: h.programmeId, period: periodOf(p.period, h.date), villageCode: h.villageCode, villageName: this.d.regions.village(h.villageCode)?.name ?? null, nikMasked: maskNik(h.nik), name: h.name, matches, villages };
        const severity = severityOf(matches);
        return { severity, body: JSON.stringify(body), villages, detail: `${severity}: ${matches.map((m) => m.kind).join(',')} villages ${villages.join(',')}` };
      },
    };
  }

  /** Records handouts (validated input), durable when it resolves; alarms go to every village involved. */
  async record(inputs: readonly HandoutInput[], by: string): Promise<AidRecordResult[]> {
    return (await this.recordDetailed(inputs, by)).map((r) => r.result);
  }

  /** `record`, also saying which instance stored a redelivered handout, and when. */
  recordDetailed(inputs: readonly HandoutInput[], by: string): Promise<RecordDetail[]> {
    if (inputs.length === 0) return Promise.resolve([]);
    const at = this.#now();
    const items = inputs.map((h) => this.#pending(h, by, at));
    return new Promise((resolve, reject) => {
      this.#queue.push({ items, inputs, resolve, reject });
      this.#draining ??= new Promise<void>((r) => setImmediate(r)).then(() => this.#drain());
    });
  }

  /**
   * Group commit: the calls waiting when a transaction starts go in it together; those arriving while it
   * runs make the next one. A failed transaction fails its calls only (nothing of them was stored).
   */
  async #drain(): Promise<void> {
    const max = this.d.maxBatch ?? 2000;
    while (this.#queue.length) {
      const batch: Waiting[] = [];
      let n = 0;
      while (this.#queue.length && (n === 0 || n + this.#queue[0]!.items.length <= max)) {
        const w = this.#queue.shift()!;
        batch.push(w);
        n += w.items.length;
      }
      try {
        const outcomes = await recordHandouts(this.d.rdb, batch.flatMap((w) => w.items));
        let i = 0;
        for (const w of batch) {
          const mine = outcomes.slice(i, i + w.items.length);
          i += w.items.length;
          w.resolve(this.#announce(w, mine));
        }
      } catch (e) {
        for (const w of batch) w.reject(e);
      }
    }
    this.#draining = undefined;
  }

  #announce(w: Waiting, outcomes: RecordOutcome[]): RecordDetail[] {
    const stored: StoredHandout[] = [];
    const out = outcomes.map((o, i): RecordDetail => {
      const h = w.inputs[i]!;
      const row = w.items[i]!.row;
      if (o.status === 'redelivered') {
        const body = JSON.parse(o.existing.body) as { instance?: string | null };
        return { result: { status: 'redelivered', handoutId: h.handoutId, matches: [], alarmId: null }, storedBy: { instance: body.instance ?? null, at: o.existing.handed_at } };
      }
      stored.push({ id: h.handoutId, programmeId: h.programmeId, villageCode: h.villageCode, date: h.date, at: row.handed_at, status: o.status });
      const matches = o.matches.map((m) => this.#match(m));
      if (o.alarmId !== null) {
        const body = JSON.parse(w.items[i]!.alarm(o.matches).body) as AlarmBody;
        const alarm: AidAlarm = { id: o.alarmId, severity: severityOf(matches), handoutId: h.handoutId, ...body, raisedAt: row.handed_at, acknowledgedAt: null, acknowledgedBy: null, resolution: null };
        this.d.emit('aid:alarm', alarm, this.#rooms(alarm));
      }
      return { result: { status: o.status, handoutId: h.handoutId, matches, alarmId: o.alarmId }, storedBy: null };
    });
    if (stored.length) this.d.stored?.(stored);
    return out;
  }

  #rooms(a: AidAlarm): string[] {
    return ['command', ...a.villages.map((v) => `village:${v}`)];
  }

  /** Alarms a user may see: command all; a village officer those involving its village. */
  alarms(scopeVillage: string | null, activeOnly: boolean): Promise<AidAlarm[]> {
    return listAlarms(this.d.rdb, scopeVillage, activeOnly);
  }

  alarm(id: number, scopeVillage: string | null): Promise<AidAlarm | undefined> {
    return getAlarm(this.d.rdb, id, scopeVillage);
  }

  /** The first acknowledgement is kept (across servers too); only the one that made it tells the consoles. */
  async acknowledge(id: number, by: string): Promise<AidAlarm> {
    const { alarm, changed } = await acknowledgeAlarm(this.d.rdb, id, by, this.#now());
    if (changed) this.d.emit('aid:alarm-update', alarm, this.#rooms(alarm));
    return alarm;
  }

  /** Cancel the double handout (it leaves every later check) or confirm it with a reason. Once only. */
  async resolve(id: number, res: AidResolution, by: string): Promise<AidAlarm | 'already'> {
    const r = await resolveAlarm(this.d.rdb, id, res, by, this.#now());
    if (r !== 'already') this.d.emit('aid:alarm-update', r, this.#rooms(r));
    return r;
  }

  importDone(villageCode: string | null, by: string, imported: number, errors: number): Promise<void> {
    return auditImport(this.d.rdb, villageCode, by, this.#now(), imported, errors);
  }

  audit(scopeVillage: string | null, limit: number): Promise<AidAuditEntry[]> {
    return listAudit(this.d.rdb, scopeVillage, limit);
  }

  /** `person erase`: blanks the masked NIK and name on that person's alarms (aid keeps only HMAC keys otherwise). */
  erasePerson(nik: string): Promise<number> {
    return eraseAidPerson(this.d.rdb, this.keys.hex(nik).person);
  }
}
