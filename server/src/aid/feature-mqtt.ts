/**
 * One MQTT client for the server's feature topics (aid devices, puskesmas reports), apart from the
 * scan ingest so neither can stall the other. clean:false with a stable client id: the broker keeps
 * QoS 1 messages for us while we are down. Handlers are synchronous and durable (journal fsync)
 * before they return, and mqtt.js sends PUBACK after the handler: nothing acked is lost.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { topicMatches } from '@sk/protocol';
import type { Logger } from '../log.ts';

export type TopicHandler = (topic: string, payload: Buffer, reply: (topic: string, body: unknown) => void) => void;

export class FeatureMqtt {
  #client: MqttClient | undefined;
  received = 0;
  rejected = 0;
  constructor(
    private readonly o: { url: string; clientId: string; username?: string; password?: string },
    private readonly handlers: Record<string, TopicHandler>,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const client = mqtt.connect(this.o.url, { clientId: this.o.clientId, clean: false, username: this.o.username, password: this.o.password, reconnectPeriod: 1000, connectTimeout: 10_000 });
    this.#client = client;
    client.on('message', (topic, payload) => {
      this.received++;
      const filter = Object.keys(this.handlers).find((f) => topicMatches(f, topic));
      if (!filter) return;
      try {
        this.handlers[filter]!(topic, payload, (t, body) => void client.publish(t, JSON.stringify(body), { qos: 1 }));
      } catch (e) {
        // A bad message is reported and dropped; it must never take the process down.
        this.rejected++;
        this.log.warn({ err: (e as Error).message, topicKind: filter }, 'feature message failed');
      }
    });
    client.on('error', (e) => this.log.warn({ err: e.message }, 'feature MQTT error'));
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    // One filter per SUBSCRIBE: aedes-persistence-redis 11 (broker cluster mode) never SUBACKs a multi-filter one.
    for (const f of Object.keys(this.handlers)) await client.subscribeAsync(f, { qos: 1 });
  }

  async stop(): Promise<void> {
    await this.#client?.endAsync();
  }
}
