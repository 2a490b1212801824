/**
 * N devices per checkpoint, each a REAL edge agent (`@sk/edge-agent`) with its own data dir, fed
 * with generated travellers. Records what it sent in a ledger and times submit → server ack.
 */
import { join } from 'node:path';
import type { ScanInput } from '@sk/protocol';
import { AckObserver } from './ack-observer.ts';
import { LatencyRecorder } from './latency.ts';
import { Ledger } from './ledger.ts';
import { LinkProxy, tcpTarget } from './link-proxy.ts';

export type SubmitResult = { ok: true; scanId: string; seq: number } | { ok: false; reason: string; message: string };

/** What the fleet needs of an edge agent (the shape of `EdgeAgent` in edge-agent/src/index.ts). */
export interface AgentLike {
  start(): Promise<void>;
  submit(input: ScanInput): Promise<SubmitResult>;
  stats(): unknown;
  stop(): Promise<void>;
  /** Sends every unacknowledged scan again (the `duplicate` fault); absent on test doubles. */
  resendUnacked?(): number;
  /** EdgeAgent emits `acked` once the server's ack is durable in its outbox. */
  on?(event: 'acked', listener: (e: { ranges: [number, number][] }) => void): unknown;
}

export interface AgentConfig {
  brokerUrls: string[];
  checkpointId: string;
  deviceId: string;
  password?: string;
  dataDir: string;
  /** The device's clock (clock-skew faults). */
  now?: () => number;
  /** Scans per MQTT message while a backlog drains. */
  maxScansPerMessage?: number;
}

export type AgentFactory = (config: AgentConfig) => AgentLike;

/** The real one, loaded lazily so `generate` works without loading mqtt or the agent. */
export async function edgeAgentFactory(): Promise<AgentFactory> {
  const { EdgeAgent } = await import('@sk/edge-agent');
  return (config) => new EdgeAgent(config);
}

export interface FleetOptions {
  brokerUrls: string[];
  checkpointIds: readonly string[];
  devicesPerCheckpoint: number;
  /** deviceId → secret, as provisioned on the broker; omit for a bare (no-auth) broker. */
  credentials?: ReadonlyMap<string, string>;
  /** Every device gets `<dataDir>/devices/<deviceId>`; the ledger is `<dataDir>/ledger.jsonl`. */
  dataDir: string;
  /**
   * How the fleet learns of acks. Default: the agents' `acked` events (the device's own view).
   * Or an MQTT observer on every `…/acks` (bare broker: `{}`; with auth a server-kind user).
   */
  observer?: { username?: string; password?: string };
  agentFactory?: AgentFactory;
  /** Route each device through its own LinkProxy so its network can be cut (fault injection). */
  proxied?: boolean;
  /** deviceId → how far its clock is off (ms); devices not listed keep the true time. */
  clockSkewMs?: ReadonlyMap<string, number>;
  /** Scans per MQTT message when a device drains a backlog (the agent's default when absent). */
  scansPerMessage?: number;
}

export interface FleetStats {
  devices: number;
  submitted: number;
  rejected: number;
  rejectReasons: Record<string, number>;
  /** Scans re-submitted on another device after a transient "not accepted". */
  retried: number;
  acked: number;
  pendingAck: number;
  /** Acks for seqs not pending (already acked, or never sent by this run). */
  extraAcks: number;
  latencyMs: ReturnType<LatencyRecorder['summary']>;
}

/** `ketapang-01`: the device id scheme shared with the start script's provisioning. */
export const deviceIdFor = (checkpointId: string, n: number) => `${checkpointId}-${String(n).padStart(2, '0')}`;

interface Device {
  checkpointId: string;
  deviceId: string;
  agent: AgentLike;
  /** seq → performance.now() at submit, until the server acks it. */
  pending: Map<number, number>;
  /** Acked seqs not (yet) pending: an ack can beat `submit()`'s return; the rest are extra acks. */
  early: Set<number>;
  config: AgentConfig;
  proxy?: LinkProxy;
  /** Being restarted: the round robin skips it. */
  down: boolean;
}

/** Bounds the memory of unmatched acks (a server acking ranges it never got would grow it forever). */
const MAX_EARLY = 100_000;
const MAX_RANGE_WALK = 10_000;
const MAX_TRIES = 5;
const BOOT_WAIT_MS = 15_000;
/** Answers that mean "this device, right now" rather than "this traveller's data". */
const TRANSIENT = new Set(['not_running', 'storage_error']);

export class Fleet {
  readonly #devices: Device[] = [];
  readonly #byId = new Map<string, Device>();
  readonly #roundRobin = new Map<string, number>();
  readonly #latency = new LatencyRecorder();
  readonly #ledger: Ledger;
  #observer: AckObserver | undefined;
  #factory: AgentFactory | undefined;
  #submitted = 0;
  #rejected = 0;
  #acked = 0;
  #droppedEarly = 0;
  #retried = 0;
  #upWaiters: (() => void)[] = [];
  readonly #reasons: Record<string, number> = {};
  #ackWaiters: { atMost: number; done: () => void }[] = [];

  constructor(private readonly options: FleetOptions) {
    this.#ledger = new Ledger(join(options.dataDir, 'ledger.jsonl'));
  }

  #newAgent(deviceId: string, config: AgentConfig): AgentLike {
    const agent = this.#factory!(config);
    if (!this.options.observer) {
      if (!agent.on) throw new Error('this agent emits no acked events: give the fleet an ack observer');
      agent.on('acked', (e) => this.#onAck(deviceId, e.ranges));
    }
    return agent;
  }

  get ledgerFile(): string {
    return this.#ledger.file;
  }

  async start(): Promise<void> {
    const { options } = this;
    if (options.observer) {
      this.#observer = new AckObserver({ brokerUrl: options.brokerUrls[0]!, ...options.observer, onAck: (cp, dev, ranges) => this.#onAck(dev, ranges) });
      await this.#observer.start();
    }
    this.#factory = options.agentFactory ?? (await edgeAgentFactory());
    for (const checkpointId of options.checkpointIds) {
      for (let n = 1; n <= options.devicesPerCheckpoint; n++) {
        const deviceId = deviceIdFor(checkpointId, n);
        const password = options.credentials?.get(deviceId);
        if (options.credentials && password === undefined) throw new Error(`no credentials for device ${deviceId}`);
        let brokerUrls = options.brokerUrls;
        let proxy: LinkProxy | undefined;
        if (options.proxied) {
          proxy = new LinkProxy(tcpTarget(options.brokerUrls[0]!));
          brokerUrls = [await proxy.start()];
        }
        const skew = options.clockSkewMs?.get(deviceId);
        const config: AgentConfig = { brokerUrls, checkpointId, deviceId, password, dataDir: join(options.dataDir, 'devices', deviceId), ...(skew ? { now: () => Date.now() + skew } : {}), ...(options.scansPerMessage ? { maxScansPerMessage: options.scansPerMessage } : {}) };
        const device: Device = { checkpointId, deviceId, agent: this.#newAgent(deviceId, config), pending: new Map(), early: new Set(), config, proxy, down: false };
        this.#devices.push(device);
        this.#byId.set(deviceId, device);
      }
    }
    await Promise.all(this.#devices.map((d) => d.agent.start()));
  }

  /**
   * Hands a traveller to the next device of that checkpoint (round robin), as an officer would. A
   * device that is rebooting answers "not accepted" (`not_running`, `storage_error`): the officer
   * scans again on another device, up to `MAX_TRIES` times; only the final answer counts.
   */
  async submit(checkpointId: string, input: ScanInput): Promise<SubmitResult> {
    const all = this.#devices.filter((d) => d.checkpointId === checkpointId);
    if (all.length === 0) throw new Error(`no devices at checkpoint ${checkpointId}`);
    let result: SubmitResult | undefined;
    let device: Device | undefined;
    let startedAt = 0;
    for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
      if (attempt > 0) {
        this.#retried++;
        await new Promise((r) => setTimeout(r, 50 * attempt));
      }
      // An officer uses a working device; if all are rebooting, they wait (bounded) for one to boot.
      if (all.every((d) => d.down)) await this.#deviceUp(BOOT_WAIT_MS);
      const devices = all.some((d) => !d.down) ? all.filter((d) => !d.down) : all;
      const i = this.#roundRobin.get(checkpointId) ?? 0;
      this.#roundRobin.set(checkpointId, i + 1);
      device = devices[i % devices.length]!;
      startedAt = performance.now();
      result = await device.agent.submit(input);
      if (result.ok || !TRANSIENT.has(result.reason)) break;
    }
    if (!result!.ok) {
      this.#rejected++;
      this.#reasons[result!.reason] = (this.#reasons[result!.reason] ?? 0) + 1;
      return result!;
    }
    device = device!;
    result = result!;
    this.#submitted++;
    if (device.early.delete(result.seq)) {
      this.#settle(performance.now() - startedAt);
      this.#notify();
    }
    else device.pending.set(result.seq, startedAt);
    this.#ledger.append({ scanId: result.scanId, checkpointId, deviceId: device.deviceId, seq: result.seq, at: new Date().toISOString() });
    return result;
  }

  #settle(latencyMs: number): void {
    this.#latency.record(latencyMs);
    this.#acked++;
  }

  #onAck(deviceId: string, ranges: readonly (readonly [number, number])[]): void {
    const device = this.#byId.get(deviceId);
    if (!device) return;
    const now = performance.now();
    for (const [from, to] of ranges) {
      if (to - from < MAX_RANGE_WALK) {
        for (let seq = from; seq <= to; seq++) {
          const t = device.pending.get(seq);
          if (t !== undefined) {
            device.pending.delete(seq);
            this.#settle(now - t);
          } else if (device.early.size < MAX_EARLY) device.early.add(seq);
          else this.#droppedEarly++;
        }
      } else {
        for (const [seq, t] of [...device.pending]) {
          if (seq < from || seq > to) continue;
          device.pending.delete(seq);
          this.#settle(now - t);
        }
      }
    }
    this.#notify();
  }

  /** Scans of one device still waiting for the server's ack. */
  pendingFor(deviceId: string): number {
    return this.#byId.get(deviceId)?.pending.size ?? 0;
  }

  get pendingAck(): number {
    return this.#devices.reduce((n, d) => n + d.pending.size, 0);
  }

  #notify(): void {
    if (this.#ackWaiters.length === 0) return;
    const pending = this.pendingAck;
    const ready = this.#ackWaiters.filter((w) => pending <= w.atMost);
    this.#ackWaiters = this.#ackWaiters.filter((w) => pending > w.atMost);
    for (const w of ready) w.done();
  }

  /** Resolves true once at most `atMost` scans await their ack, false after `timeoutMs`. */
  waitForPending(atMost: number, timeoutMs: number): Promise<boolean> {
    if (this.pendingAck <= atMost) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { atMost, done: () => {
        clearTimeout(timer);
        resolve(true);
      } };
      const timer = setTimeout(() => {
        this.#ackWaiters = this.#ackWaiters.filter((w) => w !== waiter);
        resolve(this.pendingAck <= atMost);
      }, timeoutMs);
      this.#ackWaiters.push(waiter);
    });
  }

  /** Resolves true when every submitted scan is acked, false after `timeoutMs`. */
  waitForAcks(timeoutMs: number): Promise<boolean> {
    return this.waitForPending(0, timeoutMs);
  }

  stats(): FleetStats {
    return {
      devices: this.#devices.length,
      submitted: this.#submitted,
      rejected: this.#rejected,
      rejectReasons: { ...this.#reasons },
      retried: this.#retried,
      acked: this.#acked,
      pendingAck: this.pendingAck,
      extraAcks: this.#droppedEarly + this.#devices.reduce((n, d) => n + d.early.size, 0),
      latencyMs: this.#latency.summary(),
    };
  }

  /** Per-device agent stats (outbox depth etc.), as the agent reports them. */
  deviceStats(): { deviceId: string; stats: unknown }[] {
    return this.#devices.map((d) => ({ deviceId: d.deviceId, stats: d.agent.stats() }));
  }

  #deviceUp(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#upWaiters = this.#upWaiters.filter((w) => w !== done);
        resolve();
      }, timeoutMs);
      this.#upWaiters.push(done);
    });
  }

  /** The devices, for fault injection and reports. */
  devices(): readonly { checkpointId: string; deviceId: string; proxy?: LinkProxy; agent: AgentLike }[] {
    return this.#devices;
  }

  /**
   * Power-cycles a device: its link is cut first (so nothing is flushed politely), the agent stops,
   * and a new agent opens the same outbox — what survives is what was durable on disk.
   */
  async restartDevice(deviceId: string, offlineMs = 1000): Promise<void> {
    const d = this.#byId.get(deviceId);
    if (!d || d.down) return;
    d.down = true;
    try {
      d.proxy?.cut(offlineMs);
      await d.agent.stop();
      d.agent = this.#newAgent(deviceId, d.config);
      await d.agent.start();
    } finally {
      d.down = false;
      for (const w of this.#upWaiters.splice(0)) w();
    }
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.#devices.map((d) => d.agent.stop()));
    await Promise.allSettled(this.#devices.map((d) => d.proxy?.stop()));
    await this.#observer?.stop();
    await this.#ledger.close();
  }
}
