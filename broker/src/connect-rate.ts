/**
 * Connection attempts per client IP, as a token bucket. Pure (the clock is injected).
 *
 * Why: the failed-login throttle (login-throttle.ts) only counts bad credentials; a client that opens
 * and drops connections in a loop (broken firmware, a flood) still costs a TLS handshake, a CONNECT
 * parse and a scrypt check each time. The bucket allows a burst (a checkpoint's devices behind one
 * router all reconnecting after a broker restart) and then `perSecond` sustained.
 */
export interface ConnectRateOptions {
  /** Attempts allowed at once from one IP. */
  burst: number;
  /** Refill per second. */
  perSecond: number;
  /** Bound on tracked IPs (a spray of source addresses cannot grow memory without limit). */
  maxTracked?: number;
  /**
   * Limit loopback clients too. Default false: on one machine the server, the simulators and the
   * tests connect from 127.0.0.1 by the dozen (fault injection opens one connection per hostile
   * payload); they are local processes, not the checkpoints' network.
   */
  limitLoopback?: boolean;
}

export const isLoopback = (ip: string): boolean => ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');

export const DEFAULT_CONNECT_RATE: ConnectRateOptions = Object.freeze({ burst: 30, perSecond: 2, maxTracked: 10_000 });

export class ConnectRate {
  readonly #o: ConnectRateOptions;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(opts: Partial<ConnectRateOptions> = {}, now: () => number = Date.now) {
    this.#o = { ...DEFAULT_CONNECT_RATE, ...opts };
    this.#now = now;
  }

  /** Takes one attempt for `ip`; false when it is over its rate (refuse the connection). */
  take(ip: string): boolean {
    if (!this.#o.limitLoopback && isLoopback(ip)) return true;
    const now = this.#now();
    let b = this.#buckets.get(ip);
    if (!b) {
      if (this.#buckets.size >= (this.#o.maxTracked ?? Infinity)) this.#evict(now);
      b = { tokens: this.#o.burst, at: now };
      this.#buckets.set(ip, b);
    }
    b.tokens = Math.min(this.#o.burst, b.tokens + ((now - b.at) / 1000) * this.#o.perSecond);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  get tracked(): number {
    return this.#buckets.size;
  }

  /** Drops full buckets (they behave like new ones); if none, the oldest half. */
  #evict(now: number): void {
    for (const [ip, b] of this.#buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.#o.perSecond >= this.#o.burst) this.#buckets.delete(ip);
    }
    if (this.#buckets.size < (this.#o.maxTracked ?? Infinity)) return;
    let n = Math.ceil(this.#buckets.size / 2);
    for (const ip of this.#buckets.keys()) {
      if (n-- <= 0) break;
      this.#buckets.delete(ip);
    }
  }
}
