/**
 * Failed-login throttle per client IP: at most `maxFailures` in a sliding `windowMs`. Pure, clock injected.
 */
export class LoginThrottle {
  readonly #failures = new Map<string, number[]>();
  constructor(private readonly maxFailures = 5, private readonly windowMs = 60_000, private readonly now = () => Date.now()) {}

  /** True when this IP may try now. */
  allowed(ip: string): boolean {
    return this.#recent(ip).length < this.maxFailures;
  }

  fail(ip: string): void {
    const list = this.#recent(ip);
    list.push(this.now());
    this.#failures.set(ip, list);
    if (this.#failures.size > 10_000) this.#failures.delete(this.#failures.keys().next().value!);
  }

  succeed(ip: string): void {
    this.#failures.delete(ip);
  }

  #recent(ip: string): number[] {
    const cutoff = this.now() - this.windowMs;
    return (this.#failures.get(ip) ?? []).filter((t) => t > cutoff);
  }
}
