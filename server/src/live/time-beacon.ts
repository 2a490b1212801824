/**
 * Publishes the server's clock on `sk/v1/time` every few seconds (issue 17), for checkpoint devices
 * that booted without a clock worth trusting (a Raspberry Pi has no RTC). QoS 0 and not retained: a
 * beacon is only worth anything live, and a queued or retained copy would arrive with an unknown age.
 * Its own small client, so a busy scan ingest never delays the clock a device reads. A device saying
 * "online" gets a beacon at once (debounced), so it stamps its first scans with the server's time.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { SERVER_SUBSCRIPTIONS, TIME_TOPIC, type TimeBeacon as TimeBeaconMessage } from '@sk/protocol';
import type { Logger } from '../log.ts';
import { brokerOptions } from '../mqtt-servers.ts';

export const TIME_BEACON_INTERVAL_MS = 5000;

export interface TimeBeaconOptions {
  url: string;
  failoverUrls?: readonly string[];
  clientId: string;
  username?: string;
  password?: string;
  intervalMs?: number;
  now?: () => number;
}

export class TimeBeacon {
  #client: MqttClient | undefined;
  #timer: NodeJS.Timeout | undefined;
  #soon: NodeJS.Timeout | undefined;
  constructor(private readonly o: TimeBeaconOptions, private readonly log: Logger) {}

  /** Connects in the background and publishes on every connect and every `intervalMs`. */
  start(): void {
    const client = mqtt.connect(this.o.url, {
      ...brokerOptions([this.o.url, ...(this.o.failoverUrls ?? [])]),
      clientId: this.o.clientId, clean: true, username: this.o.username, password: this.o.password, reconnectPeriod: 1000, connectTimeout: 10_000,
    });
    this.#client = client;
    let warned = false;
    client.on('error', (e) => {
      if (!warned) this.log.warn({ err: e.message }, 'time beacon MQTT error');
      warned = true;
    });
    client.on('connect', () => {
      warned = false;
      this.#publish();
      client.subscribe(SERVER_SUBSCRIPTIONS.status, { qos: 0 });
    });
    client.on('message', (_topic, payload, packet) => {
      // A device that just connected (not a retained status we read at our own start) wants the time now.
      if (packet.retain || !payload.includes('"online"')) return;
      this.#soon ??= setTimeout(() => {
        this.#soon = undefined;
        this.#publish();
      }, 200);
    });
    this.#timer = setInterval(() => this.#publish(), this.o.intervalMs ?? TIME_BEACON_INTERVAL_MS);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    clearTimeout(this.#soon);
    await this.#client?.endAsync(true).catch(() => {});
  }

  #publish(): void {
    const client = this.#client;
    if (!client?.connected) return;
    const beacon: TimeBeaconMessage = { v: 1, serverTime: new Date((this.o.now ?? Date.now)()).toISOString() };
    client.publish(TIME_TOPIC, JSON.stringify(beacon), { qos: 0, retain: false });
  }
}
