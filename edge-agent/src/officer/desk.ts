/**
 * The officer's desk on the device (issue 16): who is on duty, the latest entries with their state
 * ("tersimpan di perangkat" once fsynced, "diterima pusat" once the server's ack arrives) and the
 * device's health, pushed to every open screen as it changes (server-sent events, no polling).
 *
 * The screen gets masked NIKs only (351021********01); a name is sent for the officer's own list and
 * never logged.
 */
import type { ServerResponse } from 'node:http';
import { maskNik, OfficerSchema } from '@sk/protocol';
import type { EdgeAgent, SubmitResult } from '../agent.ts';

export type EntryState = 'stored' | 'acked';

export interface DeskEntry {
  seq: number;
  scanId: string;
  nikMasked: string;
  name: string;
  /** Device time it was saved, ISO. */
  at: string;
  state: EntryState;
}

export interface DeskStatus {
  checkpointId: string;
  deviceId: string;
  officer: string | null;
  connected: boolean;
  depth: number;
  oldestAgeSec: number | null;
  diskBytes: number;
  diskLimitBytes: number;
  diskWarning: boolean;
  clockSkewMs: number | null;
}

/** One SSE message: the whole desk (small: status + at most {@link MAX_ENTRIES} entries). */
export interface DeskSnapshot {
  status: DeskStatus;
  entries: DeskEntry[];
}

export const MAX_ENTRIES = 12;

type DeskAgent = Pick<EdgeAgent, 'submit' | 'stats' | 'on' | 'off' | 'config'>;

export class OfficerDesk {
  readonly #agent: DeskAgent;
  readonly #clients = new Set<ServerResponse>();
  #officer: string | null = null;
  #entries: DeskEntry[] = [];
  #timer: NodeJS.Timeout | null = null;
  readonly #onChange = () => this.#broadcast();
  readonly #onAcked = ({ ranges }: { ranges: [number, number][] }) => {
    let changed = false;
    for (const e of this.#entries) {
      if (e.state !== 'acked' && ranges.some(([a, b]) => e.seq >= a && e.seq <= b)) {
        e.state = 'acked';
        changed = true;
      }
    }
    if (changed) this.#broadcast();
  };

  /** `pushEveryMs`: the status (backlog age) is pushed this often while a screen is open. */
  constructor(agent: DeskAgent, readonly o: { pushEveryMs?: number } = {}) {
    this.#agent = agent;
  }

  start(): void {
    this.#agent.on('acked', this.#onAcked);
    this.#agent.on('connected', this.#onChange);
    this.#agent.on('disconnected', this.#onChange);
    this.#timer = setInterval(() => {
      if (this.#clients.size > 0) this.#broadcast();
    }, this.o.pushEveryMs ?? 2000);
    this.#timer.unref();
  }

  stop(): void {
    this.#agent.off('acked', this.#onAcked);
    this.#agent.off('connected', this.#onChange);
    this.#agent.off('disconnected', this.#onChange);
    if (this.#timer) clearInterval(this.#timer);
    for (const c of this.#clients) c.end();
    this.#clients.clear();
  }

  get officer(): string | null {
    return this.#officer;
  }

  /** Sets (or with null clears) the officer on duty; returns an error sentence for a bad id. */
  setOfficer(officer: unknown): string | null {
    if (officer === null) this.#officer = null;
    else {
      const p = OfficerSchema.safeParse(typeof officer === 'string' ? officer.trim().toLowerCase() : officer);
      if (!p.success) return 'ID petugas: huruf kecil, angka dan tanda minus, mis. bu-rina';
      this.#officer = p.data;
    }
    this.#broadcast();
    return null;
  }

  /**
   * Submits the officer's form. The scan names the officer on duty (a v2 scan) unless it names one
   * itself. Resolves once the agent has fsynced it — only then is it listed as "stored".
   */
  async submit(input: unknown): Promise<SubmitResult> {
    const withOfficer = input && typeof input === 'object' && !Array.isArray(input) && !('officer' in input) && this.#officer
      ? { ...(input as Record<string, unknown>), officer: this.#officer }
      : input;
    const r = await this.#agent.submit(withOfficer);
    if (r.ok) {
      const i = withOfficer as { nik: string; name: string };
      this.#entries.unshift({ seq: r.seq, scanId: r.scanId, nikMasked: maskNik(i.nik), name: i.name.trim(), at: new Date().toISOString(), state: 'stored' });
      this.#entries.length = Math.min(this.#entries.length, MAX_ENTRIES);
      // After the reply: the officer's "tersimpan" must not wait behind the list's push.
      setImmediate(() => this.#broadcast());
    }
    return r;
  }

  snapshot(): DeskSnapshot {
    const s = this.#agent.stats();
    return {
      status: {
        checkpointId: this.#agent.config.checkpointId,
        deviceId: this.#agent.config.deviceId,
        officer: this.#officer,
        connected: s.connected,
        depth: s.outbox.depth,
        oldestAgeSec: s.outbox.oldestAgeSec,
        diskBytes: s.outbox.diskBytes,
        diskLimitBytes: s.outbox.diskLimitBytes,
        diskWarning: s.outbox.warning,
        clockSkewMs: s.clockSkewMs,
      },
      entries: this.#entries.map((e) => ({ ...e })),
    };
  }

  /** Holds an SSE response open and sends the desk now and on every change. */
  subscribe(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 1000\n\n');
    this.#clients.add(res);
    res.on('close', () => this.#clients.delete(res));
    this.#send(res, this.snapshot());
  }

  #send(res: ServerResponse, snap: DeskSnapshot): void {
    res.write(`event: desk\ndata: ${JSON.stringify(snap)}\n\n`);
  }

  #broadcast(): void {
    if (this.#clients.size === 0) return;
    const snap = this.snapshot();
    for (const c of this.#clients) this.#send(c, snap);
  }
}
