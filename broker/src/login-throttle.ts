/**
 * Failed-login throttling per client IP. Pure (the clock is injected) so it is tested without timers.
 *
 * After `maxFailures` failures inside `windowMs`, the IP is refused outright for `blockMs`, before
 * any scrypt work is done, so a guessing client costs us almost nothing. A success clears the IP's
 * failures: checkpoint devices often share one LTE router (one IP), and one enrolled device must not
 * stay locked out because a neighbour was misconfigured earlier.
 */
export interface ThrottleOptions {
  maxFailures: number;
  windowMs: number;
  blockMs: number;
  /** Bound on tracked IPs so a spray of source addresses cannot grow memory without limit. */
  maxTracked?: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = Object.freeze({ maxFailures: 5, windowMs: 60_000, blockMs: 60_000, maxTracked: 10_000 });

interface Entry {
  failures: number[];
  blockedUntil: number;
}

export class LoginThrottle {
  readonly #opts: ThrottleOptions;
  readonly #now: () => number;
  readonly #byIp = new Map<string, Entry>();

  constructor(opts: Partial<ThrottleOptions> = {}, now: () => number = Date.now) {
    this.#opts = { ...DEFAULT_THROTTLE, ...opts };
    this.#now = now;
  }

  /** True when this IP must be refused without even checking its credentials. */
  isBlocked(ip: string): boolean {
    const e = this.#byIp.get(ip);
    return e !== undefined && e.blockedUntil > this.#now();
  }

  /** Records a failed login; returns true when this failure started a block. */
  fail(ip: string): boolean {
    const now = this.#now();
    let e = this.#byIp.get(ip);
    if (!e) {
      if (this.#byIp.size >= (this.#opts.maxTracked ?? Infinity)) this.#evict(now);
      e = { failures: [], blockedUntil: 0 };
      this.#byIp.set(ip, e);
    }
    e.failures = e.failures.filter((t) => t > now - this.#opts.windowMs);
    e.failures.push(now);
    if (e.failures.length >= this.#opts.maxFailures && e.blockedUntil <= now) {
      e.blockedUntil = now + this.#opts.blockMs;
      e.failures = [];
      return true;
    }
    return false;
  }

  succeed(ip: string): void {
    this.#byIp.delete(ip);
  }

  get trackedIps(): number {
    return this.#byIp.size;
  }

  // Drop entries that no longer matter; if all still matter, drop the oldest (Map keeps insertion order).
  #evict(now: number): void {
    for (const [ip, e] of this.#byIp) {
      if (e.blockedUntil <= now && e.failures.every((t) => t <= now - this.#opts.windowMs)) this.#byIp.delete(ip);
    }
    if (this.#byIp.size >= (this.#opts.maxTracked ?? Infinity)) {
      const oldest = this.#byIp.keys().next().value;
      if (oldest !== undefined) this.#byIp.delete(oldest);
    }
  }
}
