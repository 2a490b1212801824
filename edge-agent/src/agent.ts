/**
 * The checkpoint device's agent: validates a scan, makes it durable in the outbox, only then tells the
 * officer "accepted", and keeps publishing it until the SERVER acknowledges it on `…/acks` (a broker
 * PUBACK proves nothing about storage: mosquitto#1855).
 *
 * Live lane (iotedge#2486): a new scan is published at once, even while an old backlog drains in
 * seq order behind it through a bounded window of `maxInFlight` unacknowledged scans. A backlog travels
 * up to `maxScansPerMessage` scans per MQTT message (protocol/src/scan-batch.ts): after an outage the
 * broker, the server and the link carry one PUBLISH per batch instead of one per scan.
 */
import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { monotonicFactory } from 'ulid';
import { brokerServers, deviceTopic, ScanAckSchema, TIME_TOPIC, TimeBeaconSchema, type DeviceStatus, type Scan } from '@sk/protocol';
import { checkScanInput } from '@sk/protocol/validate';
import { groupForMessages, joinScanPayloads, MAX_SCANS_PER_MESSAGE } from '@sk/protocol/scan-batch';
import { loadRegions } from '@sk/protocol/regions';
import { Outbox, OutboxFullError, protocolStats } from './outbox.ts';
import { silentLogger, type Logger } from './log.ts';
import { bounded } from './agent-util.ts';
import { DeviceClock } from './device-clock.ts';
import { BEACON_UNCERTAINTY_MS, bootId, loadSavedClock, monotonicMs, saveClock } from './device-clock-io.ts';
import type { AgentStats, EdgeAgentConfig, EdgeAgentEvents, SubmitResult } from './agent-types.ts';

export type { AgentStats, EdgeAgentConfig, EdgeAgentEvents, SubmitResult } from './agent-types.ts';

/** A time probe whose ack has not come within this is given up (its bound would be too loose anyway). */
const PROBE_GIVE_UP_MS = 20_000;

export class EdgeAgent extends EventEmitter<EdgeAgentEvents> {
  readonly config: Readonly<Required<Omit<EdgeAgentConfig, 'password' | 'logger' | 'now' | 'monoNow' | 'bootId' | 'outboxMaxBytes'>>> & Pick<EdgeAgentConfig, 'outboxMaxBytes'>;
  readonly topics: { scans: string; status: string; acks: string };
  #password: string | undefined;
  #log: Logger;
  #now: () => number;
  #ulid = monotonicFactory();
  #ulidTrusted = false;
  #outbox: Outbox | null = null;
  #client: MqttClient | null = null;
  /** seq → when it was last published; the unacknowledged window. */
  #sent = new Map<number, number>();
  #timers: NodeJS.Timeout[] = [];
  #connected = false;
  #running = false;
  #counters = { published: 0, messages: 0, retransmits: 0, acked: 0, accepted: 0, rejected: 0 };
  #lastScanAt: string | null = null;
  /** The time scans are stamped with: the server's, once learned (issue 17). */
  #clock: DeviceClock | null = null;
  #mono: () => number;
  #bootId: string | null;
  /** A scan's first send, to time its ack: the server's time then lies between send and ack (NTP's bound). */
  #probe: { seq: number; atMono: number } | null = null;
  #clockSavedAtMono = -Infinity;

  constructor(config: EdgeAgentConfig) {
    super();
    if (config.brokerUrls.length === 0) throw new Error('brokerUrls must name at least one broker');
    this.config = Object.freeze({
      brokerUrls: config.brokerUrls,
      checkpointId: config.checkpointId,
      deviceId: config.deviceId,
      dataDir: config.dataDir,
      version: config.version ?? '0.1.0',
      retransmitAfterMs: config.retransmitAfterMs ?? 10_000,
      maxInFlight: config.maxInFlight ?? 500,
      maxScansPerMessage: Math.max(1, Math.min(MAX_SCANS_PER_MESSAGE, config.maxScansPerMessage ?? 32)),
      statusIntervalMs: config.statusIntervalMs ?? 30_000,
      reconnectPeriodMs: config.reconnectPeriodMs ?? 1000,
      outboxMaxBytes: config.outboxMaxBytes,
    });
    this.topics = {
      scans: deviceTopic(config.checkpointId, config.deviceId, 'scans'),
      status: deviceTopic(config.checkpointId, config.deviceId, 'status'),
      acks: deviceTopic(config.checkpointId, config.deviceId, 'acks'),
    };
    this.#password = config.password;
    this.#log = (config.logger ?? silentLogger).child({ area: 'agent', device: config.deviceId });
    this.#now = config.now ?? Date.now;
    this.#mono = config.monoNow ?? monotonicMs;
    this.#bootId = config.bootId === undefined ? bootId() : config.bootId;
  }

  /** Opens the outbox (recovering it) and starts connecting; resolves without waiting for the broker. */
  async start(): Promise<void> {
    if (this.#running) return;
    // Load the region list now (a few seconds on a small device), not on the officer's first scan.
    loadRegions();
    this.#outbox = await Outbox.open({ dir: this.config.dataDir, maxBytes: this.config.outboxMaxBytes, now: this.#now });
    this.#clock = new DeviceClock({ wall: this.#now, mono: this.#mono, bootId: this.#bootId, saved: loadSavedClock(this.config.dataDir) });
    const recovered = this.#outbox.stats();
    this.#log.info({ depth: recovered.depth, nextSeq: recovered.nextSeq, droppedTailBytes: recovered.droppedTailBytes }, 'outbox opened');
    this.#running = true;
    this.#client = mqtt.connect(this.#mqttOptions());
    this.#client.on('connect', () => this.#onConnect());
    this.#client.on('close', () => this.#onClose());
    // While a broker is unreachable this fires on every retry: warn once per outage, then debug.
    let warned = false;
    this.#client.on('connect', () => { warned = false; });
    this.#client.on('error', (err) => {
      this.#log[warned ? 'debug' : 'warn']({ err: err.message }, 'mqtt error');
      warned = true;
    });
    this.#client.on('message', (topic, payload, packet) => {
      if (topic === this.topics.acks) this.#onAck(payload).catch((err) => this.#fail(err));
      // A retained copy has an unknown age (MQTT-3.3.1-8): only a live beacon tells the time.
      else if (topic === TIME_TOPIC && !packet.retain) this.#onBeacon(payload);
    });
    const tick = Math.max(50, Math.min(1000, Math.floor(this.config.retransmitAfterMs / 2)));
    this.#timers.push(setInterval(() => this.#retransmitDue(), tick));
    this.#timers.push(setInterval(() => this.#publishStatus('online'), this.config.statusIntervalMs));
  }

  /** Publishes a retained offline status, disconnects cleanly and closes the outbox. Pending scans stay on disk. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    for (const t of this.#timers.splice(0)) clearInterval(t);
    const client = this.#client;
    if (client) {
      // A clean DISCONNECT suppresses the will [MQTT-3.1.2-10], so say "offline" ourselves.
      if (this.#connected) await bounded(this.#publishStatus('offline'), 2000);
      // A graceful end waits for in-flight PUBACKs; if the broker is gone, force it after a bound.
      await bounded(client.endAsync(), 2000);
      await client.endAsync(true).catch(() => {});
    }
    this.#connected = false;
    await this.#outbox?.close();
  }

  /**
   * Validates and queues one scan. `ok: true` means it is fsynced in the outbox and will reach the
   * server; `ok: false` says why not (invalid NIK, unknown village, outbox full, …).
   */
  async submit(input: unknown): Promise<SubmitResult> {
    const outbox = this.#outbox;
    if (!this.#running || !outbox) return { ok: false, reason: 'not_running', message: 'agent is not running' };
    const checked = checkScanInput(input);
    if (!checked.ok) {
      this.#counters.rejected++;
      return { ok: false, reason: checked.reason, message: checked.message };
    }
    // Never a clock without a reason to trust it: the server's time if known, else flagged (issue 17).
    const time = this.#clock!.now();
    const at = time.ms;
    const scannedAt = new Date(at).toISOString();
    if (time.trusted !== this.#ulidTrusted) {
      // ulid's monotonic factory never goes back in time: a 2099 device clock would pin every later id there.
      this.#ulid = monotonicFactory();
      this.#ulidTrusted = time.trusted;
    }
    const scanId = this.#ulid(Math.max(0, at));
    let payload: Buffer | undefined;
    let seq: number;
    try {
      seq = await outbox.append((s) => {
        // A scan naming its officer is a v2 scan (issue 16); without one it stays v1, as older devices send.
        const scan: Scan = { v: checked.value.officer === undefined ? 1 : 2, scanId, checkpointId: this.config.checkpointId, deviceId: this.config.deviceId, seq: s, scannedAt, ...(time.trusted ? {} : { untrustedTime: true as const }), ...checked.value };
        payload = Buffer.from(JSON.stringify(scan));
        return payload;
      });
    } catch (err) {
      this.#counters.rejected++;
      if (err instanceof OutboxFullError) return { ok: false, reason: 'outbox_full', message: err.message };
      this.#fail(err);
      return { ok: false, reason: 'storage_error', message: `scan not stored: ${(err as Error).message}` };
    }
    this.#counters.accepted++;
    this.#lastScanAt = scannedAt;
    // Live lane: out at once, with its own allowance on top of the backlog's window.
    if (this.#connected && payload && this.#sent.size < 2 * this.config.maxInFlight) {
      // A first send is a clean time probe; one at a time, a lost one replaced after a while.
      const mono = this.#mono();
      if (!this.#probe || mono - this.#probe.atMono > PROBE_GIVE_UP_MS) this.#probe = { seq, atMono: mono };
      this.#publish(seq, payload);
    }
    return { ok: true, scanId, seq };
  }

  /**
   * Publishes every scan the server has not acknowledged yet once more, now, as after a reconnect
   * whose acks were lost. The server must store each once (simulators' `duplicate` fault). Returns how
   * many were sent again (0 while disconnected).
   */
  resendUnacked(): number {
    const outbox = this.#outbox;
    if (!outbox || !this.#connected || !this.#running) return 0;
    const again: { seq: number; payload: Buffer }[] = [];
    for (const p of outbox.pending()) {
      if (again.length >= this.config.maxInFlight) break;
      again.push(p);
    }
    this.#counters.retransmits += again.length;
    this.#publishBatched(again);
    return again.length;
  }

  stats(): AgentStats {
    return {
      connected: this.#connected,
      outbox: this.#outbox ? this.#outbox.stats() : Outbox.inspect(this.config.dataDir, this.config.outboxMaxBytes),
      inFlight: this.#sent.size,
      ...this.#counters,
      lastScanAt: this.#lastScanAt,
      clockSkewMs: this.#clock?.skewMs() ?? null,
      clockTrusted: this.#clock?.trusted ?? false,
    };
  }

  #mqttOptions(): IClientOptions {
    const servers = brokerServers(this.config.brokerUrls);
    return {
      servers,
      protocol: servers[0]!.protocol,
      clientId: this.config.deviceId,
      // Persistent session: acks published while we are away are queued for us by the broker.
      clean: false,
      username: this.config.deviceId,
      password: this.#password,
      reconnectPeriod: this.config.reconnectPeriodMs,
      connectTimeout: 10_000,
      will: { topic: this.topics.status, payload: this.#statusPayload('offline'), qos: 1, retain: true },
    };
  }

  #statusPayload(state: 'online' | 'offline'): Buffer {
    return Buffer.from(JSON.stringify(this.#status(state)));
  }

  #status(state: 'online' | 'offline'): DeviceStatus {
    const at = this.#clock ? this.#clock.now().ms : this.#now();
    const base: DeviceStatus = { v: 1, checkpointId: this.config.checkpointId, deviceId: this.config.deviceId, state, at: new Date(at).toISOString(), version: this.config.version };
    if (!this.#outbox) return base;
    return { ...base, outbox: protocolStats(this.#outbox.stats()), lastScanAt: this.#lastScanAt, clockSkewMs: this.#clock?.skewMs() ?? null };
  }

  async #publishStatus(state: 'online' | 'offline'): Promise<void> {
    const client = this.#client;
    if (!client || !this.#connected) return;
    const status = this.#status(state);
    this.emit('status', status);
    await client.publishAsync(this.topics.status, JSON.stringify(status), { qos: 1, retain: true });
  }

  #onConnect(): void {
    this.#connected = true;
    this.#log.info('connected');
    // After a reconnect nothing unacknowledged counts as in flight any more: send it all again, in order.
    this.#sent.clear();
    this.#client!.subscribe(this.topics.acks, { qos: 1 }, (err) => { if (err) this.#fail(err); });
    // The server's clock; a broker without the time topic in its ACL refuses it, and acks still tell the time.
    this.#client!.subscribe(TIME_TOPIC, { qos: 0 }, (err) => { if (err) this.#log.debug({ err: err.message }, 'time topic not subscribed'); });
    this.#publishStatus('online').catch(() => {});
    this.emit('connected');
    this.#pump();
  }

  #onClose(): void {
    if (this.#connected) {
      this.#log.warn({ depth: this.#outbox?.depth }, 'disconnected');
      this.emit('disconnected');
    }
    this.#connected = false;
    // The will is sent with the next CONNECT: refresh its time and outbox figures.
    const will = this.#client?.options.will;
    if (will) will.payload = this.#statusPayload('offline');
  }

  async #onAck(raw: Buffer): Promise<void> {
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      json = undefined;
    }
    const parsed = ScanAckSchema.safeParse(json);
    if (!parsed.success || !this.#outbox) {
      this.#log.warn('ignored a malformed ScanAck');
      return;
    }
    const { ranges, serverTime } = parsed.data;
    const probe = this.#probe;
    if (probe && ranges.some(([a, b]) => a <= probe.seq && probe.seq <= b)) {
      // The server stamped this ack after our first send of the probe and before it reached us.
      const half = (this.#mono() - probe.atMono) / 2;
      this.#learnTime({ serverMs: Date.parse(serverTime), atMono: probe.atMono + half, uncertaintyMs: half });
      this.#probe = null;
    }
    const count = await this.#outbox.ack(ranges);
    // Only now (ack durable) leave the window, so the pump cannot republish them meanwhile.
    for (const seq of this.#sent.keys()) if (!this.#outbox.has(seq)) this.#sent.delete(seq);
    this.#counters.acked += count;
    if (count > 0) this.emit('acked', { count, ranges });
    this.#pump();
  }

  #onBeacon(raw: Buffer): void {
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      json = undefined;
    }
    const parsed = TimeBeaconSchema.safeParse(json);
    if (!parsed.success) return;
    this.#learnTime({ serverMs: Date.parse(parsed.data.serverTime), atMono: this.#mono(), uncertaintyMs: BEACON_UNCERTAINTY_MS });
  }

  #learnTime(sample: { serverMs: number; atMono: number; uncertaintyMs: number }): void {
    const clock = this.#clock;
    if (!clock) return;
    const wasTrusted = clock.trusted;
    if (!clock.observe(sample)) return;
    if (!wasTrusted) this.#log.info({ skewMs: clock.skewMs() }, 'learned the server time');
    // Kept for an agent restart in the same boot; at most once a minute (acks come many a second).
    const mono = this.#mono();
    if (!wasTrusted || mono - this.#clockSavedAtMono > 60_000) {
      this.#clockSavedAtMono = mono;
      const saved = clock.toSaved();
      if (saved) saveClock(this.config.dataDir, saved).catch((err: Error) => this.#log.warn({ err: err.message }, 'clock anchor not saved'));
    }
  }

  /** Fills the backlog window from the oldest unacknowledged scan on. */
  #pump(): void {
    const outbox = this.#outbox;
    if (!outbox || !this.#connected || !this.#running) return;
    const room = this.config.maxInFlight - this.#sent.size;
    if (room <= 0) return;
    const next: { seq: number; payload: Buffer }[] = [];
    for (const p of outbox.pending()) {
      if (next.length >= room) break;
      if (!this.#sent.has(p.seq)) next.push(p);
    }
    this.#publishBatched(next);
  }

  #retransmitDue(): void {
    const outbox = this.#outbox;
    if (!outbox || !this.#connected) return;
    const due = this.#now() - this.config.retransmitAfterMs;
    const again: { seq: number; payload: Buffer }[] = [];
    for (const [seq, sentAt] of this.#sent) {
      if (sentAt > due) continue;
      const p = outbox.get(seq);
      if (!p) {
        this.#sent.delete(seq);
        continue;
      }
      again.push(p);
    }
    this.#counters.retransmits += again.length;
    this.#publishBatched(again);
    this.#pump();
  }

  #publish(seq: number, payload: Buffer): void {
    this.#publishBatched([{ seq, payload }]);
  }

  /** Publishes these scans in as few messages as fit (one scan alone travels as it is). */
  #publishBatched(scans: readonly { seq: number; payload: Buffer }[]): void {
    if (scans.length === 0) return;
    const at = this.#now();
    for (const group of groupForMessages(scans, (p) => p.payload.length, this.config.maxScansPerMessage)) {
      for (const p of group) this.#sent.set(p.seq, at);
      this.#counters.published += group.length;
      this.#counters.messages++;
      const first = group[0]!.seq;
      // The callback is the broker's PUBACK only; delivery is proven by the server's ScanAck.
      this.#client!.publish(this.topics.scans, joinScanPayloads(group.map((p) => p.payload)) as Buffer, { qos: 1 }, (err) => {
        if (err) this.#log.debug({ seq: first, scans: group.length, err: err.message }, 'publish not confirmed by the broker; will retransmit');
      });
    }
  }

  #fail(err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    this.#log.error({ err: e.message }, 'agent error');
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }
}

