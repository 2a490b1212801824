/**
 * Broker counters, kept twice on purpose: plain numbers for `metrics()` (cheap, synchronous, for
 * health endpoints and tests) and a prom-client registry of the broker's own (never the global one,
 * so several brokers in one test process or next to the server never collide).
 */
import { Counter, Gauge, Registry } from 'prom-client';

export const REFUSAL_REASONS = [
  'anonymous',
  'bad_credentials',
  'revoked',
  'throttled',
  'rate_limited',
  'client_id',
  'publish_acl',
  'payload_too_large',
  'subscribe_acl',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export interface BrokerMetrics {
  connectedClients: number;
  /** PUBLISH packets accepted from clients (not the broker's own $SYS traffic). */
  messagesIn: number;
  /** PUBLISH packets forwarded to subscribers. */
  messagesOut: number;
  refusals: Record<RefusalReason, number>;
}

export class BrokerMetricsRecorder {
  readonly registry = new Registry();
  #in = 0;
  #out = 0;
  readonly #refusals = Object.fromEntries(REFUSAL_REASONS.map((r) => [r, 0])) as Record<RefusalReason, number>;
  readonly #inCounter: Counter;
  readonly #outCounter: Counter;
  readonly #refusalCounter: Counter<'reason'>;

  constructor(connectedClients: () => number) {
    const registers = [this.registry];
    new Gauge({ name: 'sk_broker_connected_clients', help: 'MQTT clients connected now', registers, collect() { this.set(connectedClients()); } });
    this.#inCounter = new Counter({ name: 'sk_broker_messages_in_total', help: 'PUBLISH packets accepted from clients', registers });
    this.#outCounter = new Counter({ name: 'sk_broker_messages_out_total', help: 'PUBLISH packets forwarded to subscribers', registers });
    this.#refusalCounter = new Counter({ name: 'sk_broker_refusals_total', help: 'Refused connects, publishes and subscriptions', labelNames: ['reason'], registers });
    // Export every reason at 0 so a dashboard's rate() works before the first refusal.
    for (const r of REFUSAL_REASONS) this.#refusalCounter.inc({ reason: r }, 0);
    this.connectedClients = connectedClients;
  }

  readonly connectedClients: () => number;

  messageIn(): void {
    this.#in++;
    this.#inCounter.inc();
  }

  messageOut(): void {
    this.#out++;
    this.#outCounter.inc();
  }

  refused(reason: RefusalReason): void {
    this.#refusals[reason]++;
    this.#refusalCounter.inc({ reason });
  }

  snapshot(): BrokerMetrics {
    return { connectedClients: this.connectedClients(), messagesIn: this.#in, messagesOut: this.#out, refusals: { ...this.#refusals } };
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
