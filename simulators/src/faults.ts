/**
 * Faults on demand for a running fleet (issue 8): network drops, device power cycles, hostile
 * payloads, clock skew. Each is counted, and the run's summary reports it next to lost/doubled —
 * the point is to show that nothing is lost or doubled *despite* them.
 */
import mqtt from 'mqtt';
import { ulid } from 'ulid';
import { deviceTopic, type Scan, type ScanInput } from '@sk/protocol';
import type { Fleet } from './fleet.ts';
import { hostilePayloads } from './hostile.ts';
import { Rng } from './rng.ts';

export const FAULT_KINDS = ['drop', 'restart', 'hostile', 'skew', 'revoke', 'duplicate'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultReport {
  drop: number;
  restart: number;
  /** Duplicate delivery: times a device sent its unacknowledged scans again at once, and how many scans. */
  duplicate: { injections: number; scans: number };
  hostile: { sent: number; kinds: Record<string, number>; scanIds: string[] };
  /** Per skewed device: the offset injected, the one it measured against the server, and whether it stamps scans with the server's time by the end. */
  skew: { deviceId: string; injectedMs: number; measuredMs: number | null; serverTime: boolean }[];
  /** Devices whose broker identity was revoked mid-run; their later scans stay held in their outboxes. */
  revoked: { deviceId: string; at: string; heldInOutbox: number }[];
  errors: string[];
}

/** A device whose clock starts at the epoch: a Raspberry Pi (no RTC) booted offline (issue 17). */
export const EPOCH_1970 = 0;
/** A dead or corrupted RTC that says 2099. */
export const YEAR_2099 = Date.parse('2099-01-01T00:00:00.000Z');

/**
 * Seeded clock offsets for about a quarter of the devices (issue 8, 17): ±30 s … ±2 h drift (a device
 * with a dead RTC battery), exactly ±1 h (a wrong time zone), a clock at 1970 (a Raspberry Pi booted
 * without RTC or network) or at 2099 (a bad RTC). 1970 and 2099 are offsets from `now`, the start of
 * the run. The agent stamps its scans with the server's time once it has heard it; before that it
 * flags them `untrustedTime`. With `only`, every device's clock is set to that variant.
 */
export const SKEW_VARIANTS = ['1970', '2099', '+1h', '-1h'] as const;
export type SkewVariant = (typeof SKEW_VARIANTS)[number];

/** The offset of one named variant at `now`: `skewOffset('+1h', now)` → 3,600,000. */
export function skewOffset(variant: SkewVariant, now = Date.now()): number {
  if (variant === '1970') return EPOCH_1970 - now;
  if (variant === '2099') return YEAR_2099 - now;
  return (variant === '+1h' ? 1 : -1) * 3_600_000;
}

export function planClockSkew(deviceIds: readonly string[], seed: string, now = Date.now(), only?: SkewVariant): Map<string, number> {
  const rng = new Rng(`${seed}/skew`);
  const out = new Map<string, number>();
  for (const id of deviceIds) {
    if (only) {
      out.set(id, skewOffset(only, now));
      continue;
    }
    if (!rng.chance(0.25)) continue;
    const kind = rng.weighted([['drift', 5], ['zone', 2], ['1970', 1], ['2099', 1]] as const);
    const sign = rng.chance(0.5) ? 1 : -1;
    if (kind === 'drift') {
      const magnitude = rng.weighted([[30_000, 3], [5 * 60_000, 3], [2 * 3_600_000, 1]] as const);
      out.set(id, sign * Math.round(magnitude * (0.5 + rng.next())));
    } else out.set(id, skewOffset(kind === 'zone' ? (sign > 0 ? '+1h' : '-1h') : kind, now));
  }
  return out;
}

export interface FaultInjectorOptions {
  kinds: readonly FaultKind[];
  seed: string;
  /** For hostile publishes: broker URL and the devices' secrets (bare: none). */
  brokerUrl: string;
  credentials?: ReadonlyMap<string, string>;
  skew?: ReadonlyMap<string, number>;
  sampleInput: ScanInput;
  /** The broker's credentials file (the broker watches it), for `revoke`. */
  brokerCredentialsFile?: string;
}

export class FaultInjector {
  readonly #rng: Rng;
  readonly report: FaultReport = { drop: 0, restart: 0, duplicate: { injections: 0, scans: 0 }, hostile: { sent: 0, kinds: {}, scanIds: [] }, skew: [], revoked: [], errors: [] };
  readonly #busy = new Set<Promise<unknown>>();

  constructor(private readonly fleet: Fleet, private readonly o: FaultInjectorOptions) {
    this.#rng = new Rng(`${o.seed}/faults`);
  }

  /** Injects one fault of a (seeded) random enabled kind; skew is set at start, not injected. */
  injectOne(): void {
    const kinds = this.o.kinds.filter((k) => k !== 'skew');
    if (kinds.length === 0) return;
    const kind = this.#rng.pick(kinds);
    const device = this.#rng.pick(this.fleet.devices());
    const p = this.#inject(kind, device.deviceId, device.checkpointId).catch((err: Error) => this.report.errors.push(`${kind}: ${err.message}`));
    this.#busy.add(p);
    void p.finally(() => this.#busy.delete(p));
  }

  async #inject(kind: FaultKind, deviceId: string, checkpointId: string): Promise<void> {
    if (kind === 'drop') {
      const d = this.fleet.devices().find((x) => x.deviceId === deviceId);
      if (!d?.proxy) throw new Error('drop needs a proxied fleet');
      d.proxy.cut(this.#rng.int(1000, 5000));
      this.report.drop++;
    } else if (kind === 'restart') {
      await this.fleet.restartDevice(deviceId, this.#rng.int(200, 2000));
      this.report.restart++;
    } else if (kind === 'duplicate') {
      const d = this.fleet.devices().find((x) => x.deviceId === deviceId);
      if (!d?.agent.resendUnacked) throw new Error('duplicate needs the real edge agent');
      this.report.duplicate.scans += d.agent.resendUnacked();
      this.report.duplicate.injections++;
    } else if (kind === 'hostile') {
      await this.#hostile(checkpointId, deviceId);
    } else if (kind === 'revoke') {
      // Once per run: a stolen device reported to the command centre, cut off by an admin.
      if (this.report.revoked.length > 0) return;
      if (!this.o.brokerCredentialsFile) throw new Error('revoke needs --broker-credentials');
      // Recorded before any await, so two overlapping injections cannot both revoke.
      this.report.revoked.push({ deviceId, at: new Date().toISOString(), heldInOutbox: 0 });
      const { revoke } = await import('@sk/broker');
      await revoke(this.o.brokerCredentialsFile, deviceId);
    }
  }

  /** Publishes every hostile payload once on the device's own topic, with its own credentials. */
  async #hostile(checkpointId: string, deviceId: string): Promise<void> {
    const base: Scan = { v: 1, scanId: ulid(), checkpointId, deviceId, seq: 1, scannedAt: new Date().toISOString(), ...this.o.sampleInput };
    const password = this.o.credentials?.get(deviceId);
    for (const h of hostilePayloads(base, () => ulid())) {
      // Bare broker: a second session as the same device (another client id), what a cloned device does.
      // Authenticated broker: it insists on client id = device id, so this is a rogue firmware taking
      // the device's own session over for one publish (clean: false keeps the session; the real agent
      // reconnects and resends whatever acks the rogue session swallowed). One connection per payload:
      // the broker closes the connection on a refused publish (e.g. the 1 MB one).
      const clientId = password ? deviceId : `${deviceId}-hostile-${this.#rng.int(0, 1e9)}`;
      const client = await mqtt
        .connectAsync(this.o.brokerUrl, { clientId, clean: !password, username: password ? deviceId : undefined, password, reconnectPeriod: 0, connectTimeout: 5000 })
        .catch((e: Error) => {
          this.report.errors.push(`hostile connect as ${deviceId}: ${e.message}`);
          return undefined;
        });
      if (!client) return;
      try {
        const published = client.publishAsync(deviceTopic(checkpointId, deviceId, 'scans'), h.payload, { qos: 1 }).catch(() => {});
        // A refused publish gets no PUBACK, only a closed connection: don't wait for ever.
        await Promise.race([published, new Promise((r) => setTimeout(r, 2000))]);
        this.report.hostile.sent++;
        this.report.hostile.kinds[h.kind] = (this.report.hostile.kinds[h.kind] ?? 0) + 1;
        if (h.scanId) this.report.hostile.scanIds.push(h.scanId);
      } finally {
        await client.endAsync(true).catch(() => {});
      }
    }
  }

  /** Waits for faults still running, then reads what each skewed device measured against the server. */
  async finish(): Promise<FaultReport> {
    await Promise.allSettled([...this.#busy]);
    for (const [deviceId, injectedMs] of this.o.skew ?? []) {
      const d = this.fleet.devices().find((x) => x.deviceId === deviceId);
      const stats = d?.agent.stats() as { clockSkewMs?: number | null; clockTrusted?: boolean } | undefined;
      this.report.skew.push({ deviceId, injectedMs, measuredMs: stats?.clockSkewMs ?? null, serverTime: stats?.clockTrusted ?? false });
    }
    for (const r of this.report.revoked) r.heldInOutbox = this.fleet.pendingFor(r.deviceId);
    return this.report;
  }
}
