/**
 * The time a checkpoint device stamps a scan with (issue 17). A Raspberry Pi has no RTC: it boots at
 * 1970 or at its last saved time, and NTP may step its clock at any moment later. So the device never
 * trusts its wall clock; it trusts the server's time as it learns it — the `sk/v1/time` beacon, or an
 * ack's `serverTime` — and carries that forward on the MONOTONIC clock (CLOCK_MONOTONIC: never steps,
 * counts from boot, the same for every process of one boot).
 *
 * A sample says "the server's clock read `serverMs` at monotonic `atMono`, give or take
 * `uncertaintyMs`". The tightest sample wins, its uncertainty growing with age at the oscillator's
 * drift (`driftPpm`), so a fresh ack (±half its round trip) replaces an old beacon and not the other
 * way round. The anchor is saved with the kernel's boot id: after an agent restart in the same boot
 * the monotonic clock still runs, so the time is still known; after a reboot it is not.
 *
 * Pure: the clocks come in as functions, nothing is read or written here.
 */

export interface ClockSample {
  /** The server's clock, ms since the epoch. */
  serverMs: number;
  /** The device's monotonic clock (ms) at the moment the server's clock read `serverMs`. */
  atMono: number;
  /** How far off `serverMs` may be for that moment (half a round trip, or a one-way latency bound). */
  uncertaintyMs: number;
}

/** What is kept on disk between runs of the agent. */
export interface SavedClock extends ClockSample {
  v: 1;
  /** /proc/sys/kernel/random/boot_id when the sample was taken; a sample of another boot is void. */
  bootId: string;
}

export interface DeviceClockOptions {
  /** The device's own wall clock, ms since the epoch (may say 1970, 2099, or an hour off). */
  wall: () => number;
  /** A monotonic clock in ms, continuous across agent restarts within one boot (CLOCK_MONOTONIC). */
  mono: () => number;
  /** This boot's id; null when unknown (then nothing saved is trusted). */
  bootId: string | null;
  saved?: SavedClock | null;
  /** Samples less certain than this are ignored (default 10 s). */
  maxUncertaintyMs?: number;
  /** How fast the uncertainty of an anchor grows (default 100 ppm, a cheap crystal: ±8.6 s a day). */
  driftPpm?: number;
}

export interface DeviceTime {
  ms: number;
  /** False until the device has learned the server's time (then `ms` is its own wall clock). */
  trusted: boolean;
}

export class DeviceClock {
  readonly #wall: () => number;
  readonly #mono: () => number;
  readonly #bootId: string | null;
  readonly #maxUncertaintyMs: number;
  readonly #drift: number;
  #anchor: ClockSample | null = null;

  constructor(o: DeviceClockOptions) {
    this.#wall = o.wall;
    this.#mono = o.mono;
    this.#bootId = o.bootId;
    this.#maxUncertaintyMs = o.maxUncertaintyMs ?? 10_000;
    this.#drift = (o.driftPpm ?? 100) / 1e6;
    const s = o.saved;
    // Same boot and the monotonic clock has not gone backwards: the saved anchor still holds.
    if (s && s.v === 1 && o.bootId !== null && s.bootId === o.bootId && [s.serverMs, s.atMono, s.uncertaintyMs].every(Number.isFinite) && s.atMono <= this.#mono()) {
      this.#anchor = { serverMs: s.serverMs, atMono: s.atMono, uncertaintyMs: s.uncertaintyMs };
    }
  }

  /** True once the server's time is known. */
  get trusted(): boolean {
    return this.#anchor !== null;
  }

  /** The current anchor's uncertainty now (grown by drift since it was taken); Infinity when none. */
  uncertaintyMs(): number {
    const a = this.#anchor;
    return a ? a.uncertaintyMs + Math.max(0, this.#mono() - a.atMono) * this.#drift : Infinity;
  }

  /** Offers a sample of the server's clock; true when it became the anchor. */
  observe(sample: ClockSample): boolean {
    const { serverMs, atMono, uncertaintyMs } = sample;
    if (![serverMs, atMono, uncertaintyMs].every(Number.isFinite) || uncertaintyMs < 0 || uncertaintyMs > this.#maxUncertaintyMs) return false;
    if (atMono > this.#mono()) return false;
    const aged = uncertaintyMs + (this.#mono() - atMono) * this.#drift;
    if (aged > this.uncertaintyMs()) return false;
    this.#anchor = { serverMs, atMono, uncertaintyMs };
    return true;
  }

  /** The time to stamp a scan with: the server's time carried forward, or (untrusted) the wall clock. */
  now(): DeviceTime {
    const a = this.#anchor;
    if (!a) return { ms: this.#wall(), trusted: false };
    return { ms: Math.round(a.serverMs + (this.#mono() - a.atMono)), trusted: true };
  }

  /** Device wall clock minus server time, ms (`DeviceStatus.clockSkewMs`); null until known. */
  skewMs(): number | null {
    return this.#anchor ? this.#wall() - this.now().ms : null;
  }

  /** The anchor to keep on disk; null when there is none or no boot id to tie it to. */
  toSaved(): SavedClock | null {
    const a = this.#anchor;
    return a && this.#bootId !== null ? { v: 1, bootId: this.#bootId, ...a } : null;
  }
}
