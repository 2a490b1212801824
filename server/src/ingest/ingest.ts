/**
 * MQTT ingest: one mqtt.js client with a persistent session (clean:false, stable clientId), QoS 1
 * subscriptions to every device's scans and status. Each scan is validated where it enters
 * (protocol's checkScanMessage against the topic's identity, scan by scan when a device sends a batch);
 * rejects become dead letters; an accepted scan's time is bounded by the receive time (a device clock
 * in 1970 or 2099 is replaced by the receive time and flagged, issue 17), and it goes to the batch
 * writer, where the database decides whether it is new (and announces it) or a redelivery.
 *
 * The broker's PUBACK is sent when our handler calls back (mqtt.js `handleMessage`); we call back as
 * soon as the scan is queued, except when too much is pending: then reading pauses (backpressure)
 * instead of dropping. The device's own outbox waits for our ScanAck, not for the PUBACK.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { deviceTopic, DeviceStatusSchema, parseDeviceTopic, SERVER_SUBSCRIPTIONS, toRanges, trustedScanTime, type DeviceStatus, type ScanAck, type ScanTimeBounds } from '@sk/protocol';
import { checkScanMessage } from '@sk/protocol/scan-batch';
import type { Logger } from '../log.ts';
import { isoAt } from '../iso-text.ts';
import type { DeadLetters } from './dead-letters.ts';
import type { ScanWriter } from './scan-writer.ts';
import { TickCork } from '../live/tick-cork.ts';
import { brokerOptions } from '../mqtt-servers.ts';

/** Longest stretch of message handling in one event-loop turn. */
const TURN_BUDGET_MS = 8;

export interface IngestOptions {
  url: string;
  username?: string;
  password?: string;
  clientId: string;
  /**
   * Pause reading while this many scans are not yet durable. Default: one full batch (5,000). Reading on
   * while a batch is written starved the write's own HTTP round trip (bench e2e: 100-scan writes took
   * 2.8 s on a busy event loop); the backlog waits in the broker instead, and a device's window with it.
   */
  maxPending?: number;
  /** Further brokers of the same cluster: on a lost connection mqtt.js tries the next (round robin). */
  failoverUrls?: readonly string[];
  /**
   * Cluster mode: which scan filters to hold (the checkpoints this instance leases) and which to drop
   * (a persistent session may still carry old ones). Default: every device's scans.
   */
  scanFilters?: () => { subscribe: string[]; unsubscribe: string[] };
  /** How far a device's scan time may stray from the receive time (protocol DEFAULT_SCAN_TIME_BOUNDS). */
  timeBounds?: ScanTimeBounds;
}

export interface IngestDeps {
  log: Logger;
  writer: () => ScanWriter;
  deadLetters: DeadLetters;
  onStatus(status: DeviceStatus): void;
}

export class Ingest {
  /** Scans taken from MQTT (accepted or dead-lettered, redeliveries included). */
  received = 0;
  /** Accepted scans whose time was replaced by the receive time (future, past, or untrusted). */
  clockClamped = 0;
  #client: MqttClient | undefined;
  #connected = false;
  #paused = false;

  constructor(private readonly opts: IngestOptions, private readonly d: IngestDeps) {}

  get mqttUp(): boolean {
    return this.#connected;
  }

  /** Connects (waits up to `waitMs` for the first connection, then keeps retrying in the background). */
  async start(waitMs = 10_000): Promise<void> {
    const client = mqtt.connect(this.opts.url, {
      ...brokerOptions([this.opts.url, ...(this.opts.failoverUrls ?? [])]),
      clientId: this.opts.clientId,
      clean: false,
      username: this.opts.username,
      password: this.opts.password,
      reconnectPeriod: 1000,
      connectTimeout: 5000,
      protocolVersion: 4,
    });
    this.#client = client;
    // The PUBACKs (and device acks) of one socket read leave in one write, not one syscall each.
    const cork = new TickCork(() => [client.stream]);
    // Read for at most TURN_BUDGET_MS per event-loop turn, then let the loop breathe before the next
    // message: libuv reads a busy socket up to 32 times (2 MiB) in one poll phase, and handling all of
    // it at once held the loop for 40–200 ms (bench e2e, measured), delaying the InfluxDB replies —
    // and with them every ack — and the live events. Unread bytes wait in the socket (TCP backpressure).
    let turnStart = -1;
    const next = (done: () => void) => {
      if (turnStart >= 0 && performance.now() - turnStart > TURN_BUDGET_MS) {
        turnStart = -1;
        setImmediate(done);
      } else done();
    };
    client.handleMessage = (packet, done) => {
      cork.hold();
      if (turnStart < 0) {
        turnStart = performance.now();
        setImmediate(() => (turnStart = -1));
      }
      // While shutting down: neither take the message nor PUBACK it; the broker redelivers it to our session.
      if (this.#paused) return;
      this.#handle(packet.topic, packet.payload as Buffer).then(
        () => next(done),
        (e: Error) => {
          this.d.log.error({ err: e.message }, 'ingest handler failed');
          next(done);
        },
      );
    };
    client.on('connect', (connack) => {
      this.#connected = true;
      this.d.log.info({ sessionPresent: connack.sessionPresent }, 'mqtt connected');
      // Subscribe every time: cheap, and correct even if the broker lost our session.
      const filters = this.opts.scanFilters?.() ?? { subscribe: [SERVER_SUBSCRIPTIONS.scans], unsubscribe: [] };
      for (const filter of filters.unsubscribe) client.unsubscribe(filter);
      // One filter per SUBSCRIBE: aedes-persistence-redis 11 never SUBACKs a multi-filter SUBSCRIBE of a
      // persistent session (broker cluster mode), and one filter per packet is fine everywhere.
      for (const filter of [...filters.subscribe, SERVER_SUBSCRIPTIONS.status]) {
        client.subscribe(filter, { qos: 1 }, (err) => {
          if (err) this.d.log.error({ err: err.message }, 'mqtt subscribe failed');
        });
      }
    });
    client.on('close', () => {
      if (this.#connected && !this.#paused) this.d.log.warn('mqtt disconnected');
      this.#connected = false;
    });
    client.on('error', (e) => this.d.log.warn({ err: e.message }, 'mqtt error'));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.d.log.warn({ url: this.opts.url }, 'mqtt not reachable yet; retrying in the background');
        resolve();
      }, waitMs);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Cluster mode: start or stop reading one filter now (a reconnect re-applies `scanFilters`). */
  follow(filter: string, on: boolean): void {
    const client = this.#client;
    if (!client?.connected) return;
    const done = (err?: Error) => err && this.d.log.warn({ err: err.message }, on ? 'mqtt subscribe failed' : 'mqtt unsubscribe failed');
    if (on) client.subscribe(filter, { qos: 1 }, (err) => done(err ?? undefined));
    else client.unsubscribe(filter, (err) => done(err ?? undefined));
  }

  /** Stops taking scans (first step of a graceful shutdown; acks can still be published). */
  pause(): void {
    this.#paused = true;
  }

  async stop(): Promise<void> {
    this.#paused = true;
    const client = this.#client;
    if (!client) return;
    // Give outgoing acks a moment to be PUBACKed, then close whatever is left (the device resends).
    await new Promise<void>((r) => {
      const force = setTimeout(() => client.end(true, {}, () => r()), 2000);
      client.end(false, {}, () => {
        clearTimeout(force);
        r();
      });
    });
  }

  /** Tells a device which of its sequence numbers are durably stored (QoS 1). */
  publishAck(checkpointId: string, deviceId: string, ranges: [number, number][]): void {
    const ack: ScanAck = { v: 1, ranges, serverTime: new Date().toISOString() };
    this.#client?.publish(deviceTopic(checkpointId, deviceId, 'acks'), JSON.stringify(ack), { qos: 1 }, (err) => {
      if (err) this.d.log.warn({ checkpointId, deviceId, err: err.message }, 'ack publish failed; the device will resend and be acked again');
    });
  }

  async #handle(topic: string, payload: Buffer): Promise<void> {
    const where = parseDeviceTopic(topic);
    if (where?.kind === 'status') return this.#status(topic, payload, where);
    if (where?.kind !== 'scans') return;
    // One scan, or a device's backlog in one message: each scan is taken (or rejected) on its own.
    const writer = this.d.writer();
    const release: number[] = [];
    for (const item of checkScanMessage(payload, where)) {
      const checked = item.result;
      if (!checked.ok) {
        this.received++;
        this.d.deadLetters.add({ topic, reason: checked.reason, message: checked.message.slice(0, 300), receivedAt: new Date().toISOString() });
        // A rejected scan would be rejected again on every resend, and would pin the device's outbox for
        // ever: it is kept here as a dead letter for an operator, so release it from the device's outbox.
        release.push(...item.release);
        continue;
      }
      let scan = checked.value;
      this.received++;
      const receivedMs = Date.now();
      const receivedAt = isoAt(receivedMs);
      const bound = trustedScanTime(scan, receivedMs, this.opts.timeBounds);
      if (bound.clock) {
        this.clockClamped++;
        const deviceScannedAt = scan.scannedAt;
        scan = { ...scan, scannedAt: bound.scannedAt };
        writer.enqueue({ scan, receivedAt, deviceScannedAt, clock: bound.clock });
      } else {
        writer.enqueue({ scan, receivedAt });
      }
    }
    if (release.length > 0) this.publishAck(where.checkpointId, where.deviceId, toRanges(release));
    await writer.belowLimit(this.opts.maxPending ?? 5_000);
  }

  #status(topic: string, payload: Buffer, where: { checkpointId: string; deviceId: string }): void {
    if (payload.length === 0) return; // a cleared retained message
    let parsed;
    try {
      parsed = DeviceStatusSchema.safeParse(JSON.parse(payload.toString('utf8')));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success || parsed.data.checkpointId !== where.checkpointId || parsed.data.deviceId !== where.deviceId) {
      this.d.deadLetters.add({ topic, reason: 'status_invalid', message: 'device status does not match the schema or the topic', receivedAt: new Date().toISOString() });
      return;
    }
    this.d.onStatus(parsed.data);
  }
}
