/**
 * One MQTT client for the server's feature topics (aid devices, puskesmas reports), apart from the
 * scan ingest so neither can stall the other. clean:false with a stable client id: the broker keeps
 * QoS 1 messages for us while we are down.
 *
 * PUBACK is ours to give: handlers run inside mqtt.js's handleMessage, whose callback sends the
 * PUBACK. A handler is durable (a database commit) before it returns, or before the promise it returns
 * resolves:
 *   - returned / resolved → PUBACK (stored);
 *   - threw BadMessage    → PUBACK too, counted as rejected: a bad payload never gets better;
 *   - threw or rejected   → storage failed: NO PUBACK, and we reconnect shortly so the broker
 *     redelivers it [MQTT-4.4.0-1] (a session resumes with unacknowledged QoS 1 messages resent).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { topicMatches } from '@sk/protocol';
import type { Logger } from '../log.ts';
import { brokerOptions } from '../mqtt-servers.ts';

/** Returns once the message is stored: synchronously, or with a promise that settles when it is durable. */
export type TopicHandler = (topic: string, payload: Buffer, reply: (topic: string, body: unknown) => void) => void | Promise<void>;

/** Thrown by a handler for input that can never be stored (acknowledged and dropped, with a reason). */
export class BadMessage extends Error {}

const RETRY_RECONNECT_MS = 1000;

export class FeatureMqtt {
  #client: MqttClient | undefined;
  #retry: NodeJS.Timeout | undefined;
  received = 0;
  rejected = 0;
  /** Messages left unacknowledged because storing them failed (the broker redelivers them). */
  unstored = 0;
  constructor(
    /** `failoverUrls`: further brokers of a cluster (mqtt.js moves on at each reconnect). */
    private readonly o: { url: string; failoverUrls?: readonly string[]; clientId: string; username?: string; password?: string },
    private readonly handlers: Record<string, TopicHandler>,
    private readonly log: Logger,
  ) {}

  /** Connects (waits up to `waitMs` for the first connection, then keeps retrying in the background). */
  async start(waitMs = 10_000): Promise<void> {
    const client = mqtt.connect(this.o.url, {
      ...brokerOptions([this.o.url, ...(this.o.failoverUrls ?? [])]),
      clientId: this.o.clientId, clean: false, username: this.o.username, password: this.o.password, reconnectPeriod: 1000, connectTimeout: 10_000,
    });
    this.#client = client;
    client.handleMessage = (packet, done) => {
      if (packet.cmd !== 'publish') return done();
      this.received++;
      const filter = Object.keys(this.handlers).find((f) => topicMatches(f, packet.topic));
      if (!filter) return done();
      const failed = (e: unknown) => {
        if (e instanceof BadMessage) {
          // A bad message is reported and dropped; it must never take the process down.
          this.rejected++;
          this.log.warn({ err: e.message, topicKind: filter }, 'feature message rejected');
          return done();
        }
        this.unstored++;
        this.log.error({ err: (e as Error).message, topicKind: filter }, 'feature message not stored; left unacknowledged for redelivery');
        done(e as Error);
        this.#scheduleRedelivery();
      };
      try {
        const r = this.handlers[filter]!(packet.topic, packet.payload as Buffer, (t, body) => void client.publish(t, JSON.stringify(body), { qos: 1 }));
        // A handler storing in the database answers with a promise: PUBACK once it is committed.
        if (r instanceof Promise) r.then(() => done(), failed);
        else done();
      } catch (e) {
        failed(e);
      }
    };
    client.on('error', (e) => this.log.warn({ err: e.message }, 'feature MQTT error'));
    // Subscribe on every connect (another broker of a cluster may not hold our session yet), one filter
    // per SUBSCRIBE: aedes-persistence-redis 11 never answers a multi-filter SUBSCRIBE of a persistent session.
    client.on('connect', () => {
      for (const filter of Object.keys(this.handlers)) {
        client.subscribe(filter, { qos: 1 }, (err) => err && this.log.warn({ err: err.message }, 'feature subscribe failed'));
      }
    });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.log.warn('feature MQTT not reachable yet; retrying in the background');
        resolve();
      }, waitMs);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Drops the connection once, a moment later: on reconnect the broker resends what we did not acknowledge. */
  #scheduleRedelivery(): void {
    if (this.#retry) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#client?.stream?.destroy();
    }, RETRY_RECONNECT_MS);
  }

  async stop(): Promise<void> {
    clearTimeout(this.#retry);
    await this.#client?.endAsync();
  }
}
