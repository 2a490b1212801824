/**
 * Watches the server's ScanAcks on `…/acks` with its own MQTT client, so the fleet can time
 * submit → stored without reaching into the edge agent. Needs a broker identity that may subscribe
 * to every device's acks (bare mode, or a `server`-kind user: devices may only read their own).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { ScanAckSchema, TOPIC_ROOT, parseDeviceTopic } from '@sk/protocol';

export type AckHandler = (checkpointId: string, deviceId: string, ranges: readonly (readonly [number, number])[]) => void;

export interface AckObserverOptions {
  brokerUrl: string;
  username?: string;
  password?: string;
  onAck: AckHandler;
}

export class AckObserver {
  #client: MqttClient | undefined;
  /** Ack payloads that failed the schema: the server broke the contract. */
  invalid = 0;

  constructor(private readonly options: AckObserverOptions) {}

  async start(): Promise<void> {
    const { brokerUrl, username, password } = this.options;
    const client = await mqtt.connectAsync(brokerUrl, {
      clientId: `sim-ack-observer-${process.pid}-${Date.now().toString(36)}`,
      username,
      password,
      reconnectPeriod: 500,
    });
    this.#client = client;
    client.on('message', (topic, payload) => {
      const parsed = parseDeviceTopic(topic);
      if (!parsed || parsed.kind !== 'acks') return;
      let json: unknown;
      try {
        json = JSON.parse(payload.toString('utf8'));
      } catch {
        this.invalid++;
        return;
      }
      const ack = ScanAckSchema.safeParse(json);
      if (!ack.success) {
        this.invalid++;
        return;
      }
      this.options.onAck(parsed.checkpointId, parsed.deviceId, ack.data.ranges);
    });
    const granted = await client.subscribeAsync(`${TOPIC_ROOT}/checkpoints/+/devices/+/acks`, { qos: 1 });
    // [MQTT-3.9.3] return code 0x80 = refused by the broker's ACL.
    if (granted.some((g) => g.qos === 128)) throw new Error('broker refused the ack subscription (needs a server-kind identity, or --bare)');
  }

  async stop(): Promise<void> {
    await this.#client?.endAsync();
    this.#client = undefined;
  }
}
