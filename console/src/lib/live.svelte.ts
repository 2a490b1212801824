/**
 * The live connection: initial HTTP load, socket.io events, catch-up after a reconnect.
 * Arrivals are queued outside Svelte's reactivity and flushed once per animation frame, so
 * 1,000 events/s cost ~60 renders/s, not 1,000; the buffer is bounded (ArrivalBuffer).
 */
import { io, type Socket } from 'socket.io-client';
import { unpackArrivals, type AlertEvent, type FollowUpEvent, type ArrivalEvent, type CatchUpReply, type CheckpointCount, type ClientToServerEvents, type DeviceStatus, type LiveScope, type ServerToClientEvents } from '@sk/protocol';
import { api, query } from './api.ts';
import { ArrivalBuffer } from './arrival-buffer.ts';
import type { MessageKey } from './i18n.svelte.ts';

// One contract: the scope type is the server's (command | village | checkpoint).
export type { LiveScope };
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting';
export interface ArrivalQuery { checkpoint?: string; district?: string; village?: string; health?: string }

const BUFFER_CAPACITY = 5_000;
const PAGE = 200;
const CATCHUP_TIMEOUT_MS = 10_000;

export class LiveFeed {
  connection = $state<ConnectionState>('connecting');
  /** Newest first; replaced (not mutated) once per frame. */
  arrivals = $state.raw<readonly ArrivalEvent[]>([]);
  counts = $state.raw<Record<string, number>>({});
  devices = $state.raw<DeviceStatus[]>([]);
  notice = $state<MessageKey | null>(null);
  loadError = $state<MessageKey | null>(null);

  #buffer = new ArrivalBuffer(BUFFER_CAPACITY);
  #pending: ArrivalEvent[] = [];
  #frame = 0;
  #socket: Socket<ServerToClientEvents, ClientToServerEvents> | null = null;
  #stopped = false;

  /** Told of every live alert, and of every (re)connect (to reload what may have been missed). */
  readonly alertListeners = new Set<(a: AlertEvent) => void>();
  readonly helloListeners = new Set<() => void>();
  /** Told of every live follow-up change (issue 17). */
  readonly followUpListeners = new Set<(f: FollowUpEvent) => void>();
  /** Told of each live socket `arrival` (not history), e.g. to add it to the hourly chart. */
  readonly arrivalListeners = new Set<(e: ArrivalEvent) => void>();
  /** Told once per animation frame of the events newly merged (history and live). */
  readonly frameListeners = new Set<(added: readonly ArrivalEvent[]) => void>();

  constructor(readonly scope: LiveScope) {}

  /** Loads history first, then connects: the first `hello` catches up from the newest loaded event. */
  async start(): Promise<void> {
    await this.reload();
    if (this.#stopped) return;
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({ path: '/socket.io', withCredentials: true, transports: ['websocket', 'polling'] });
    this.#socket = socket;
    socket.on('connect', () => { this.connection = 'connected'; });
    socket.on('disconnect', () => { this.connection = 'reconnecting'; });
    socket.on('connect_error', () => {
      this.connection = 'reconnecting';
      // A refused handshake may mean the session expired: /me answers 401 and the app shows the login.
      void api('/api/auth/me').catch(() => undefined);
    });
    socket.on('hello', (info) => {
      this.#onHello(info.lastEventId);
      for (const fn of this.helloListeners) fn();
    });
    socket.on('alert', (a) => { for (const fn of this.alertListeners) fn(a); });
    socket.on('follow-up', (f) => { for (const fn of this.followUpListeners) fn(f); });
    socket.on('arrivals', (batch) => {
      const es = unpackArrivals(batch);
      for (const e of es) for (const fn of this.arrivalListeners) fn(e);
      this.#enqueue(es);
    });
    socket.on('counts', (c) => this.#setCounts(c));
    socket.on('device:status', (s) => this.#upsertDevice(s));
  }

  stop(): void {
    this.#stopped = true;
    this.#socket?.close();
    this.#socket = null;
    if (this.#frame) cancelAnimationFrame(this.#frame);
  }

  /**
   * (Re)loads history over HTTP and merges it; for the command centre and a checkpoint supervisor also
   * counts and devices (the server scopes both the arrivals and the devices to the user's role too).
   */
  async reload(filter: ArrivalQuery = {}): Promise<void> {
    const scope = this.scope;
    const scoped = scope.role === 'village' ? { ...filter, village: scope.villageCode } : scope.role === 'checkpoint' ? { ...filter, checkpoint: scope.checkpointId } : filter;
    const operations = scope.role !== 'village'; // villages have no business with device health
    try {
      const [arrivals, counts, devices] = await Promise.all([
        api<ArrivalEvent[]>(`/api/arrivals${query({ ...scoped, limit: PAGE })}`),
        operations ? api<CheckpointCount[]>('/api/counts/today') : Promise.resolve(null),
        operations ? api<DeviceStatus[]>('/api/devices') : Promise.resolve(null),
      ]);
      this.loadError = null;
      this.#enqueue(arrivals);
      if (counts) this.#setCounts(counts);
      if (devices) this.devices = devices;
    } catch (e) {
      this.loadError = (e as { messageKey?: MessageKey }).messageKey ?? 'loadFailed';
    }
  }

  #onHello(serverLastEventId: number): void {
    const cursor = this.#buffer.cursor;
    if (serverLastEventId < cursor) {
      // The server restarted and its eventIds began again: our cursor means nothing to it.
      this.#buffer.clear();
      this.arrivals = [];
      void this.reload();
      return;
    }
    if (serverLastEventId === cursor) return;
    this.#socket?.timeout(CATCHUP_TIMEOUT_MS).emit('catchup', cursor, (err: Error | null, reply: CatchUpReply) => {
      if (err || !reply) { void this.reload(); return; }
      this.#enqueue(reply.events);
      if (reply.truncated) {
        this.notice = 'historyTruncated';
        void this.reload();
      }
    });
  }

  #enqueue(events: readonly ArrivalEvent[]): void {
    for (const e of events) this.#pending.push(e);
    // A hidden tab gets no animation frames: keep only what the buffer could hold anyway.
    if (this.#pending.length > BUFFER_CAPACITY * 2) this.#pending.splice(0, this.#pending.length - BUFFER_CAPACITY);
    if (!this.#frame) this.#frame = requestAnimationFrame(() => this.#flush());
  }

  #flush(): void {
    this.#frame = 0;
    const batch = this.#pending;
    this.#pending = [];
    const added = this.#buffer.merge(batch);
    if (added.length === 0) return;
    this.arrivals = this.#buffer.items;
    for (const fn of this.frameListeners) fn(added);
  }

  #setCounts(list: readonly CheckpointCount[]): void {
    this.counts = Object.fromEntries(list.map((c) => [c.checkpointId, c.today]));
  }

  #upsertDevice(s: DeviceStatus): void {
    const others = this.devices.filter((d) => !(d.checkpointId === s.checkpointId && d.deviceId === s.deviceId));
    this.devices = [...others, s].sort((a, b) => a.checkpointId.localeCompare(b.checkpointId) || a.deviceId.localeCompare(b.deviceId));
  }
}
