/**
 * Rejected MQTT messages: topic, reason, when. Never the payload (it holds personal data).
 * A bounded list (newest last) plus counters by reason, for /api/health, /metrics and the command role.
 */
export interface DeadLetter {
  topic: string;
  reason: string;
  /** A short explanation without personal data (schema paths, sizes), from protocol's validator. */
  message: string;
  receivedAt: string;
}

export class DeadLetters {
  readonly #items: DeadLetter[] = [];
  readonly byReason = new Map<string, number>();
  total = 0;
  constructor(private readonly max = 1000) {}

  add(d: DeadLetter): void {
    this.total++;
    this.byReason.set(d.reason, (this.byReason.get(d.reason) ?? 0) + 1);
    this.#items.push(d);
    if (this.#items.length > this.max) this.#items.shift();
  }

  /** Newest first. */
  list(limit = 100): DeadLetter[] {
    return this.#items.slice(-limit).reverse();
  }
}
