/**
 * The aid feature: check before handing out, record (console, CSV, MQTT), alarms to every village
 * involved, acknowledgement and resolution, audit. The journal (DATA_DIR/server/aid/journal.jsonl)
 * is the source of truth; the index is rebuilt from it on start, before anything is accepted, so
 * an outage or restart never lets a double through unflagged.
 */
import { join } from 'node:path';
import { aidProgramme, maskNik, periodOf, type AidAlarm, type AidAuditEntry, type AidCheckInput, type AidCheckResult, type AidMatch, type AidRecordResult, type AidResolution, type AidSeverity, type HandoutInput } from '@sk/protocol';
import type { Regions } from '@sk/protocol/regions';
import { MemoryDoubleAidIndex, type DoubleAidIndex, type IndexedHandout, type IndexMatch } from './double-index.ts';
import { AidKeys, handoutHash, keyFromHex, keyHex, loadAidSecret } from './keys.ts';
import { Journal } from './journal.ts';
import { AidSnapshots, type LastSnapshot } from './aid-snapshots.ts';
import type { RedisDoubleAidIndex } from './redis-index.ts';
import { SharedAidAlarms, type Ack } from '../cluster/shared-aid-alarms.ts';
import { AidAudit, type AuditRow } from './aid-audit.ts';
import type { HandoutLine, Line, ResolveLine, SharedLine } from './aid-lines.ts';

export interface AidDeps {
  dataDir: string;
  regions: Regions;
  secret?: string;
  /** Live push: `rooms` are 'command' and 'village:<code>'. */
  emit(event: 'aid:alarm' | 'aid:alarm-update', alarm: AidAlarm, rooms: string[]): void;
  /** Best-effort copy to InfluxDB (the journal is the truth). */
  stored?(handouts: { line: HandoutLine; status: 'recorded' | 'double' }[]): void;
  now?: () => Date;
  capacityHint?: number;
  /** Cluster mode: the check-and-record runs in Redis, atomic across instances (use recordAsync/checkAsync). */
  remote?: RedisDoubleAidIndex;
  /** Write the index snapshot after this many journalled handouts (default 1,000,000; 0: only on stop). */
  snapshotEvery?: number;
}

type Outcome = { redelivered: boolean; matches: IndexMatch[] };

const SEVERITY_RANK: Record<AidSeverity, number> = { critical: 3, major: 2, minor: 1 };

export class Aid {
  readonly index: DoubleAidIndex;
  readonly #journal: Journal<Line>;
  readonly #alarms = new Map<number, { alarm: AidAlarm; handout: HandoutLine | null }>();
  readonly #audit = new AidAudit();
  readonly #villageIdx: Map<string, number>;
  #keys: AidKeys | undefined;
  #nextAlarm = 1;
  /** How the last start rebuilt the index: from a snapshot + journal tail, or the whole journal (and why). */
  rebuild: { ms: number; lines: number; bad: number; from: 'snapshot' | 'journal'; reason: string | null } = { ms: 0, lines: 0, bad: 0, from: 'journal', reason: null };
  readonly #snapshots: AidSnapshots<AidAlarm, AuditRow>;
  /** Cluster mode: alarms shared with the other instances (set by joinCluster). */
  #shared: SharedAidAlarms<AidAlarm, HandoutLine, ResolveLine & { ack: Ack | null }> | undefined;
  /** Cluster mode: raised alarms whose copy did not reach Redis (it was down); retried on the next handout. */
  readonly #unshared = new Set<number>();

  constructor(private readonly d: AidDeps) {
    this.index = new MemoryDoubleAidIndex(d.capacityHint);
    this.#journal = new Journal(join(d.dataDir, 'server', 'aid', 'journal.jsonl'));
    this.#villageIdx = new Map(d.regions.villages.map((v, i) => [v.code, i]));
    this.#snapshots = new AidSnapshots({
      file: join(d.dataDir, 'server', 'aid', 'index.snap'),
      index: this.index,
      journal: this.#journal,
      state: () => ({ alarms: [...this.#alarms.values()].map((x) => x.alarm), nextAlarm: this.#nextAlarm, ...this.#audit.state() }),
      every: d.snapshotEvery ?? 1_000_000,
    });
  }

  #now(): string {
    return (this.d.now?.() ?? new Date()).toISOString();
  }

  /**
   * Loads the index: from the snapshot plus the journal written after it when the snapshot is valid
   * and matches this journal; otherwise by replaying the whole journal (same result, slower).
   */
  start(): void {
    this.#keys = new AidKeys(loadAidSecret(join(this.d.dataDir, 'server', 'aid'), this.d.secret));
    const t0 = performance.now();
    const from = this.#loadSnapshot();
    const r = this.#journal.replay((l) => this.#apply(l), from.ok ? from.offset : 0);
    this.rebuild = { ms: Math.round(performance.now() - t0), lines: r.lines, bad: r.bad, from: from.ok ? 'snapshot' : 'journal', reason: from.ok ? null : from.reason };
    this.#journal.open();
  }

  /** Restores index + state from the snapshot; the journal offset to replay from, or why not. */
  #loadSnapshot(): { ok: true; offset: number } | { ok: false; reason: string } {
    const r = this.#snapshots.load();
    if (!r.ok) return r;
    for (const a of r.state.alarms) this.#alarms.set(a.id, { alarm: a, handout: null });
    this.#audit.restore(r.state.audit, r.state.auditSeq);
    this.#nextAlarm = r.state.nextAlarm;
    return { ok: true, offset: r.offset };
  }

  /** Writes the index snapshot now, synchronously (clean stop; tests). */
  snapshot(): void {
    this.#snapshots.write();
  }

  /** The periodic snapshot, written in the background from a copy (aid-snapshots.ts). */
  snapshotInBackground(): Promise<void> {
    return this.#snapshots.writeInBackground();
  }

  /** The last snapshot written: bytes, ms, or the error (a failed snapshot only costs a slower restart). */
  get lastSnapshot(): LastSnapshot | null {
    return this.#snapshots.last;
  }

  /**
   * Cluster mode, after start(): checks the HMAC secret matches the other instances', then re-adds this
   * instance's recorded (not cancelled) handouts to the shared index, so a Redis that lost its data
   * still flags doubles of them. Idempotent; the index entries carry the original village and time.
   */
  async joinCluster(): Promise<number> {
    const remote = this.d.remote;
    if (!remote) return 0;
    await remote.assertSameSecret(this.#keys!.fingerprint());
    const live = new Map<string, HandoutLine>();
    this.#journal.replay((l) => {
      if (l.t === 'h') live.set(l.id, l);
      else if (l.t === 'r' && l.cancelled) live.delete(l.cancelled.id);
    });
    await remote.seed([...live.values()].map((l) => this.#indexed(l)));
    // Alarms: listen first, then read what the cluster already has (nothing falls in between).
    const shared = new SharedAidAlarms<AidAlarm, HandoutLine, ResolveLine & { ack: Ack | null }>(remote.redis);
    this.#shared = shared;
    await shared.subscribe((m) => this.#learn(m as SharedLine), () => void this.#resync().catch(() => {}));
    await this.#resync();
    return live.size;
  }

  /** Applies every alarm the cluster keeps (idempotent: only what changes our state is journalled). */
  async #resync(): Promise<void> {
    for (const s of (await this.#shared?.all()) ?? []) this.#learnAll(s);
  }

  #learnAll(s: { raised: { alarm: AidAlarm; handout: HandoutLine | null }; ack: Ack | null; resolution: (ResolveLine & { ack: Ack | null }) | null }): void {
    this.#learn({ t: 'a', alarm: s.raised.alarm, handout: s.raised.handout });
    if (s.ack) this.#learn({ t: 'k', alarmId: s.raised.alarm.id, by: s.ack.by, at: s.ack.at });
    if (s.resolution) this.#learn(s.resolution);
  }

  /**
   * Cluster mode: another instance's alarm change. States only move forward (an alarm known stays; the
   * first ack and the one resolution are kept), so the order messages arrive in does not matter. The
   * instance that made the change has told the consoles; here it is only journalled (our audit) and applied.
   */
  #learn(m: SharedLine): void {
    if (m.t === 'a') {
      if (typeof m.alarm?.id !== 'number' || this.#alarms.has(m.alarm.id)) return;
      const line: Line = { t: 'a', alarm: { ...m.alarm, acknowledgedAt: null, acknowledgedBy: null, resolution: null } };
      this.#journal.append([line], false);
      this.#apply(line);
      this.#alarms.get(m.alarm.id)!.handout = m.handout;
      return;
    }
    const entry = this.#alarms.get(m.alarmId);
    if (!entry) {
      // A change to an alarm we have not heard of yet: fetch the whole alarm.
      void this.#shared?.get(m.alarmId).then((s) => s && this.#learnAll(s)).catch(() => {});
      return;
    }
    if (m.t === 'k') {
      if (entry.alarm.acknowledgedAt) return;
      const line: Line = { t: 'k', alarmId: m.alarmId, by: m.by, at: m.at };
      this.#journal.append([line], false);
      this.#apply(line);
      return;
    }
    if (m.t === 'r') {
      if (m.ack) this.#learn({ t: 'k', alarmId: m.alarmId, by: m.ack.by, at: m.ack.at });
      if (entry.alarm.resolution) return;
      const line: Line = { t: 'r', alarmId: m.alarmId, action: m.action, reason: m.reason, by: m.by, at: m.at, cancelled: m.cancelled };
      this.#journal.append([line], false);
      this.#apply(line);
    }
  }

  /** Clean stop: snapshot the index (the next start skips the journal replay), close the journal. */
  stop(): void {
    this.#shared?.close();
    this.#snapshots.stop();
    this.#journal.close();
  }

  /** Replays one journal line into memory (used on start and after each append). */
  #apply(l: Line): void {
    switch (l.t) {
      case 'h':
        this.index.record(this.#indexed(l));
        this.#audit.add(l.at, 'handout', l.by, l.v, l.id, null, `${l.p} ${l.d}`);
        break;
      case 'a':
        // Keep the handout line #commit put there (a replay has none: #findHandout reads the journal).
        this.#alarms.set(l.alarm.id, { alarm: l.alarm, handout: this.#alarms.get(l.alarm.id)?.handout ?? null });
        this.#nextAlarm = Math.max(this.#nextAlarm, l.alarm.id + 1);
        this.#audit.add(l.alarm.raisedAt, 'alarm', 'system', l.alarm.villageCode, l.alarm.handoutId, l.alarm.id, `${l.alarm.severity}: ${l.alarm.matches.map((m) => m.kind).join(',')} villages ${l.alarm.villages.join(',')}`, l.alarm.villages);
        break;
      case 'k': {
        const a = this.#alarms.get(l.alarmId)?.alarm;
        if (a && !a.acknowledgedAt) Object.assign(a, { acknowledgedAt: l.at, acknowledgedBy: l.by });
        this.#audit.add(l.at, 'ack', l.by, a?.villageCode ?? null, a?.handoutId ?? null, l.alarmId, '', a?.villages);
        break;
      }
      case 'r': {
        const a = this.#alarms.get(l.alarmId)?.alarm;
        if (a) a.resolution = { action: l.action, reason: l.reason, by: l.by, at: l.at };
        if (a && !a.acknowledgedAt) Object.assign(a, { acknowledgedAt: l.at, acknowledgedBy: l.by });
        if (l.cancelled) this.index.cancel(this.#indexed(l.cancelled));
        this.#audit.add(l.at, 'resolve', l.by, a?.villageCode ?? null, a?.handoutId ?? null, l.alarmId, `${l.action}: ${l.reason}`, a?.villages);
        break;
      }
      case 'd':
        this.#audit.add(l.at, 'redelivered', l.by, l.v, l.id, null, '');
        break;
      case 'q':
        this.#audit.add(l.at, 'check', l.by, l.v, null, null, `${l.p}: ${l.matches} match(es)`);
        break;
      case 'i':
        this.#audit.add(l.at, 'import', l.by, l.v, null, null, `${l.imported} imported, ${l.errors} bad rows`);
        break;
    }
  }

  #indexed(l: HandoutLine): IndexedHandout {
    return {
      programmeId: l.p,
      date: l.d,
      village: this.#villageIdx.get(l.v) ?? 0xffff,
      at: Math.floor(Date.parse(l.at) / 1000),
      handout: handoutHash(l.id),
      person: keyFromHex(l.pk),
      household: l.kk ? keyFromHex(l.kk) : null,
      name: l.nk ? keyFromHex(l.nk) : null,
    };
  }

  #match(m: IndexMatch): AidMatch {
    const v = this.d.regions.villages[m.village];
    return { kind: m.kind, severity: m.severity, programmeId: m.programmeId, period: m.period, villageCode: v?.code ?? 'unknown', villageName: v?.name ?? null, at: new Date(m.at * 1000).toISOString(), handoutId: null };
  }

  /** "Check before handing out": what this person or household already received, where and when. */
  check(q: AidCheckInput, by: string): AidCheckResult {
    const k = this.#keys!;
    const matches = this.index
      .check({ programmeId: q.programmeId, date: q.date, person: k.person(q.nik), household: q.kk ? k.household(q.kk) : null, name: q.name && q.birthDate ? k.nameBirth(q.name, q.birthDate) : null })
      .map((m) => this.#match(m));
    const line: Line = { t: 'q', v: q.villageCode, p: q.programmeId, by, at: this.#now(), matches: matches.length };
    this.#journal.append([line], false);
    this.#apply(line);
    return { ok: matches.every((m) => m.severity === 'minor'), matches };
  }

  #line(h: HandoutInput, by: string): HandoutLine {
    const k = this.#keys!;
    return { t: 'h', id: h.handoutId, p: h.programmeId, d: h.date, v: h.villageCode, at: this.#now(), by, pk: keyHex(k.person(h.nik)), kk: keyHex(k.household(h.kk)), nk: keyHex(k.nameBirth(h.name, h.birthDate)) };
  }

  /** Records handouts (one fsync for the batch), then raises alarms. Validated input only. Single-node: synchronous. */
  record(inputs: readonly HandoutInput[], by: string): AidRecordResult[] {
    if (this.d.remote) throw new Error('cluster mode: use recordAsync');
    const handouts = inputs.map((h) => this.#line(h, by));
    return this.#commit(inputs, handouts, handouts.map((l) => this.index.record(this.#indexed(l))), null, by);
  }

  /**
   * Cluster mode: each handout's check-and-record is one Redis script (atomic across instances), so of
   * two instances recording the same person at once exactly one raises the alarm; alarm ids are
   * cluster-wide. Without `remote` this is the synchronous path. A Redis failure throws before anything
   * is journalled: the handout is refused, never let through unchecked.
   */
  async recordAsync(inputs: readonly HandoutInput[], by: string): Promise<AidRecordResult[]> {
    const remote = this.d.remote;
    if (!remote) return this.record(inputs, by);
    const handouts = inputs.map((h) => this.#line(h, by));
    const outcomes: Outcome[] = [];
    const ids: number[] = [];
    for (const l of handouts) {
      const o = await remote.record(this.#indexed(l));
      outcomes.push(o);
      if (!o.redelivered && o.matches.length) ids.push(await remote.nextAlarmId(this.#nextAlarm));
    }
    // The local index mirrors what this instance recorded (its journal rebuilds it on restart).
    handouts.forEach((l, i) => !outcomes[i]!.redelivered && this.index.record(this.#indexed(l)));
    const results = this.#commit(inputs, handouts, outcomes, ids, by);
    // The other instances list the new alarms too (the alarm is journalled and on every console already;
    // one whose copy fails is retried with the next handout).
    for (const r of results) if (r.alarmId !== null && this.#shared) this.#unshared.add(r.alarmId);
    await this.#shareRaised();
    return results;
  }

  async #shareRaised(): Promise<void> {
    for (const id of [...this.#unshared]) {
      const entry = this.#alarms.get(id);
      if (!entry || !this.#shared) continue;
      // As raised: a later ack/resolution travels on its own (first-wins in Redis).
      const raised = { alarm: { ...structuredClone(entry.alarm), acknowledgedAt: null, acknowledgedBy: null, resolution: null }, handout: entry.handout };
      try {
        await this.#shared.raise(id, raised);
        this.#unshared.delete(id);
        await this.#shared.publish({ t: 'a', ...raised } satisfies SharedLine);
      } catch {
        return; // Redis unreachable: keep the rest for the next try
      }
    }
  }

  /** "Check before handing out" against the whole cluster (Redis) in cluster mode. */
  async checkAsync(q: AidCheckInput, by: string): Promise<AidCheckResult> {
    const remote = this.d.remote;
    if (!remote) return this.check(q, by);
    const k = this.#keys!;
    const found = await remote.check({ programmeId: q.programmeId, date: q.date, person: k.person(q.nik), household: q.kk ? k.household(q.kk) : null, name: q.name && q.birthDate ? k.nameBirth(q.name, q.birthDate) : null });
    const matches = found.map((m) => this.#match(m));
    const line: Line = { t: 'q', v: q.villageCode, p: q.programmeId, by, at: this.#now(), matches: matches.length };
    this.#journal.append([line], false);
    this.#apply(line);
    return { ok: matches.every((m) => m.severity === 'minor'), matches };
  }

  #commit(inputs: readonly HandoutInput[], handouts: HandoutLine[], outcomes: Outcome[], alarmIds: number[] | null, by: string): AidRecordResult[] {
    const lines: Line[] = [];
    const results: AidRecordResult[] = [];
    const raised: AidAlarm[] = [];
    const stored: { line: HandoutLine; status: 'recorded' | 'double' }[] = [];
    inputs.forEach((h, i) => {
      const line = handouts[i]!;
      const r = outcomes[i]!;
      if (r.redelivered) {
        lines.push({ t: 'd', id: h.handoutId, v: h.villageCode, by, at: line.at });
        results.push({ status: 'redelivered', handoutId: h.handoutId, matches: [], alarmId: null });
        return;
      }
      lines.push(line);
      const matches = r.matches.map((m) => this.#match(m));
      stored.push({ line, status: matches.length ? 'double' : 'recorded' });
      if (!matches.length) {
        results.push({ status: 'recorded', handoutId: h.handoutId, matches, alarmId: null });
        return;
      }
      const alarm = this.#newAlarm(h, matches, line.at, alarmIds?.shift());
      this.#alarms.set(alarm.id, { alarm, handout: line });
      lines.push({ t: 'a', alarm });
      raised.push(alarm);
      results.push({ status: 'double', handoutId: h.handoutId, matches, alarmId: alarm.id });
    });
    this.#journal.append(lines);
    for (const l of lines) if (l.t !== 'h') this.#apply(l);
    this.#snapshots.count(stored.length);
    for (const l of stored) this.#audit.add(l.line.at, 'handout', by, l.line.v, l.line.id, null, `${l.line.p} ${l.line.d}`);
    // Exactly one instance raises an alarm, and the emit (redis adapter in cluster mode) reaches every instance's consoles.
    for (const a of raised) this.d.emit('aid:alarm', a, this.#rooms(a));
    if (stored.length) this.d.stored?.(stored);
    return results;
  }

  #newAlarm(h: HandoutInput, matches: AidMatch[], at: string, clusterId?: number): AidAlarm {
    const severity = matches.reduce<AidSeverity>((s, m) => (SEVERITY_RANK[m.severity] > SEVERITY_RANK[s] ? m.severity : s), 'minor');
    const villages = [...new Set([h.villageCode, ...matches.map((m) => m.villageCode)])];
    return {
      id: clusterId ?? this.#nextAlarm++, severity, handoutId: h.handoutId, programmeId: h.programmeId, period: periodOf(aidProgramme(h.programmeId)!.period, h.date),
      villageCode: h.villageCode, villageName: this.d.regions.village(h.villageCode)?.name ?? null, nikMasked: maskNik(h.nik), name: h.name,
      matches, villages, raisedAt: at, acknowledgedAt: null, acknowledgedBy: null, resolution: null,
    };
  }

  #rooms(a: AidAlarm): string[] {
    return ['command', ...a.villages.map((v) => `village:${v}`)];
  }

  /** Alarms a user may see: command all; a village officer those involving its village. */
  alarms(scopeVillage: string | null, activeOnly: boolean): AidAlarm[] {
    return [...this.#alarms.values()]
      .map((x) => x.alarm)
      .filter((a) => (scopeVillage === null || a.villages.includes(scopeVillage)) && (!activeOnly || !a.resolution))
      .sort((a, b) => b.id - a.id);
  }

  alarm(id: number, scopeVillage: string | null): AidAlarm | undefined {
    const a = this.#alarms.get(id)?.alarm;
    return a && (scopeVillage === null || a.villages.includes(scopeVillage)) ? a : undefined;
  }

  /**
   * `alarm`, and in cluster mode one we have not heard of yet is fetched from the cluster first (an
   * officer may act on an alarm the moment their console shows it, before its copy reached us).
   */
  async alarmAsync(id: number, scopeVillage: string | null): Promise<AidAlarm | undefined> {
    if (!this.#alarms.has(id) && this.#shared) {
      const s = await this.#shared.get(id);
      if (s) this.#learnAll(s);
    }
    return this.alarm(id, scopeVillage);
  }

  acknowledge(id: number, by: string, at = this.#now()): AidAlarm {
    const a = this.#alarms.get(id)!.alarm;
    if (!a.acknowledgedAt) {
      const line: Line = { t: 'k', alarmId: id, by, at };
      this.#journal.append([line]);
      this.#apply(line);
      this.d.emit('aid:alarm-update', a, this.#rooms(a));
    }
    return a;
  }

  /**
   * Cluster mode: the first acknowledgement cluster-wide is kept (one HSETNX); only the instance whose ack
   * won tells the consoles, a later one learns the kept ack. Single-node: `acknowledge`.
   */
  async acknowledgeAsync(id: number, by: string): Promise<AidAlarm> {
    const shared = this.#shared;
    const a = this.#alarms.get(id)!.alarm;
    if (!shared || a.acknowledgedAt) return this.acknowledge(id, by);
    const at = this.#now();
    const won = await shared.acknowledge(id, { by, at });
    if (won !== true) {
      this.#learn({ t: 'k', alarmId: id, by: won.by, at: won.at });
      return a;
    }
    this.acknowledge(id, by, at);
    await shared.publish({ t: 'k', alarmId: id, by, at } satisfies SharedLine).catch(() => {});
    return a;
  }

  /**
   * Cluster mode: resolved once cluster-wide (one HSETNX; 'already' when another instance was first).
   * A resolution also acknowledges: that ack goes through the same first-wins step, so every instance
   * keeps the same acknowledgement whatever order it hears of them. Single-node: `resolve`.
   */
  async resolveAsync(id: number, res: AidResolution, by: string): Promise<AidAlarm | 'already'> {
    const shared = this.#shared;
    const entry = this.#alarms.get(id)!;
    if (!shared || entry.alarm.resolution) return this.resolve(id, res, by);
    const at = this.#now();
    const a = entry.alarm;
    let ack: Ack | null = a.acknowledgedAt ? { by: a.acknowledgedBy ?? by, at: a.acknowledgedAt } : null;
    if (!ack) {
      const won = await shared.acknowledge(id, { by, at });
      ack = won === true ? { by, at } : won;
    }
    // Raised on another instance: its handout line came with the alarm (from Redis if not in memory).
    const cancelled = res.action === 'cancel' ? (entry.handout ?? this.#findHandout(a) ?? (await shared.get(id))?.raised.handout ?? null) : null;
    const line: ResolveLine = { t: 'r', alarmId: id, action: res.action, reason: res.reason, by, at, cancelled };
    const won = await shared.resolve(id, { ...line, ack });
    if (won !== true) {
      this.#learn(won);
      return 'already';
    }
    this.#learn({ t: 'k', alarmId: id, by: ack.by, at: ack.at }); // no update of its own: the resolution below carries it
    if (entry.alarm.resolution) return 'already'; // learned meanwhile: cannot happen after a won HSETNX, kept as a guard
    const done = this.#resolved(entry, line);
    await shared.publish({ ...line, ack } satisfies SharedLine).catch(() => {});
    return done;
  }

  /** Cancel the second handout (it leaves the index) or confirm it with a reason. Once only. */
  resolve(id: number, res: AidResolution, by: string): AidAlarm | 'already' {
    const entry = this.#alarms.get(id)!;
    if (entry.alarm.resolution) return 'already';
    const cancelled = res.action === 'cancel' ? (entry.handout ?? this.#findHandout(entry.alarm)) : null;
    return this.#resolved(entry, { t: 'r', alarmId: id, action: res.action, reason: res.reason, by, at: this.#now(), cancelled });
  }

  #resolved(entry: { alarm: AidAlarm; handout: HandoutLine | null }, line: ResolveLine): AidAlarm {
    this.#journal.append([line]);
    this.#apply(line);
    // Cluster mode: the cancelled handout leaves the shared index too (a failure leaves it in: a later
    // handout is then flagged, never missed).
    if (line.cancelled) void this.d.remote?.cancel(this.#indexed(line.cancelled)).catch(() => {});
    this.d.emit('aid:alarm-update', entry.alarm, this.#rooms(entry.alarm));
    return entry.alarm;
  }

  /** After a restart the alarm's handout line is only in the journal: find it there. */
  #findHandout(a: AidAlarm): HandoutLine | null {
    let found: HandoutLine | null = null;
    this.#journal.replay((l) => {
      if (l.t === 'h' && l.id === a.handoutId) found = l;
    });
    return found;
  }

  importDone(villageCode: string | null, by: string, imported: number, errors: number): void {
    const line: Line = { t: 'i', v: villageCode, by, at: this.#now(), imported, errors };
    this.#journal.append([line]);
    this.#apply(line);
  }

  audit(scopeVillage: string | null, limit: number): AidAuditEntry[] {
    return this.#audit.list(scopeVillage, limit);
  }
}
