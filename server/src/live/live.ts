/**
 * socket.io on the HTTP server: authenticated by the `sk_session` cookie, rooms `command` (everything),
 * `village:<code>` (that village's arrivals and alerts) and `checkpoint:<id>` (that checkpoint's
 * arrivals, alerts and device status). A bounded ring of recent events answers `catchup` after a
 * reconnect, filtered by the socket's scope.
 */
import type { Server as HttpServer } from 'node:http';
import type { Writable } from 'node:stream';
import { Server, type Socket } from 'socket.io';
import { ARRIVAL_COLUMNS, arrivalRow, type AlertEvent, type ArrivalEvent, type ArrivalRow, type CatchUpReply, type CheckpointCount, type ClientToServerEvents, type DeviceStatus, type LiveScope, type ServerToClientEvents } from '@sk/protocol';
import type { Logger } from '../log.ts';
import type { SessionStore } from '../auth/sessions.ts';
import type { PublicUser } from '../auth/users.ts';
import { readCookie, SESSION_COOKIE } from '../http/cookies.ts';
import { TickCork } from './tick-cork.ts';
import { encodeEventsAsJson } from './json-encoder.ts';
import { corkEngineSends } from './engine-cork.ts';

interface SocketData { scope: LiveScope }

/** Arrivals per `arrivals` message (see `#flushArrivals`). */
const EVENTS_PER_MESSAGE = 64;
type LiveServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** Which live data a user may see; null = no live access (an account without its village/checkpoint). */
export function scopeOf(user: PublicUser): LiveScope | null {
  if (user.role === 'command') return { role: 'command' };
  if (user.role === 'village' && user.villageCode) return { role: 'village', villageCode: user.villageCode };
  if (user.role === 'checkpoint' && user.checkpointId) return { role: 'checkpoint', checkpointId: user.checkpointId };
  return null;
}

export function inScope(scope: LiveScope, e: ArrivalEvent): boolean {
  if (scope.role === 'command') return true;
  return scope.role === 'village' ? e.destinationVillageCode === scope.villageCode : e.checkpointId === scope.checkpointId;
}

/** The one room a scope's sockets join. */
export function roomOf(scope: LiveScope): string {
  if (scope.role === 'command') return 'command';
  return scope.role === 'village' ? `village:${scope.villageCode}` : `checkpoint:${scope.checkpointId}`;
}

export class Live {
  #io: LiveServer | undefined;
  /** One write per console per event-loop turn, however many arrivals the turn produced (tick-cork.ts). */
  readonly #cork = new TickCork(() => this.#rawSockets());
  readonly #ring: ArrivalEvent[] = [];
  /** Arrivals of this turn not yet sent (see `arrival`). */
  #pending: ArrivalEvent[] = [];
  #lastEventId = 0;
  #countsTimer: NodeJS.Timeout | undefined;
  #countsDirty = false;

  constructor(
    private readonly d: {
      log: Logger;
      sessions: SessionStore;
      ringSize?: number;
      /** Latest counts, fetched at most once a second while arrivals come in. */
      counts: () => Promise<CheckpointCount[]>;
      /** Cluster mode: @socket.io/redis-adapter, so an emit reaches the consoles on every instance. */
      adapter?: NonNullable<ConstructorParameters<typeof Server>[1]>['adapter'];
    },
  ) {}

  get clients(): number {
    return this.#io?.engine.clientsCount ?? 0;
  }

  nextEventId(): number {
    return ++this.#lastEventId;
  }

  start(http: HttpServer): void {
    const io: LiveServer = new Server(http, { serveClient: false, cors: { origin: false }, ...(this.d.adapter ? { adapter: this.d.adapter } : {}) });
    this.#io = io;
    encodeEventsAsJson(io);
    corkEngineSends(io);
    io.use((socket, next) => {
      const token = readCookie(socket.request.headers.cookie, SESSION_COOKIE);
      const fail = () => next(Object.assign(new Error('unauthorized'), { data: { code: 'unauthorized' } }));
      if (!token) return fail();
      this.d.sessions.get(token).then((user) => {
        const scope = user && scopeOf(user);
        if (!scope) return fail();
        socket.data.scope = scope;
        next();
      }, fail);
    });
    io.on('connection', (socket) => this.#onConnection(socket));
    this.#countsTimer = setInterval(() => void this.#emitCounts(), 1000);
  }

  async stop(): Promise<void> {
    clearInterval(this.#countsTimer);
    this.#flushArrivals();
    // io.close() would also close the HTTP server; the caller closes that.
    this.#io?.disconnectSockets(true);
    this.#io?.removeAllListeners();
  }

  #onConnection(socket: Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>): void {
    const scope = socket.data.scope;
    void socket.join(roomOf(scope));
    socket.emit('hello', { serverTime: new Date().toISOString(), lastEventId: this.#lastEventId, scope });
    socket.on('catchup', (afterEventId, reply) => {
      if (typeof reply !== 'function') return;
      const after = Number.isFinite(afterEventId) ? Number(afterEventId) : 0;
      const oldest = this.#ring[0]?.eventId ?? this.#lastEventId + 1;
      reply({
        events: this.#ring.filter((e) => e.eventId > after && inScope(scope, e)),
        truncated: after < oldest - 1,
        lastEventId: this.#lastEventId,
      } satisfies CatchUpReply);
    });
  }

  /** The socket.io server (cluster mode sends its ring entries to the other instances through it). */
  get io(): LiveServer | undefined {
    return this.#io;
  }

  /** Keeps an event for catch-up without emitting it (cluster mode: another instance emitted it). */
  remember(e: ArrivalEvent): void {
    this.#ring.push(e);
    if (this.#ring.length > (this.d.ringSize ?? 5000)) this.#ring.shift();
    this.#lastEventId = Math.max(this.#lastEventId, e.eventId);
  }

  /**
   * Queued and sent at the end of this event-loop turn as one `arrivals` message per room: under load
   * one MQTT read brings a hundred scans, and one encode + one frame per room replaces a hundred
   * (socket.io encoded and framed every event on its own: ~10 % of the server's CPU at e2e load).
   */
  arrival(e: ArrivalEvent): void {
    this.remember(e);
    this.#pending.push(e);
    if (this.#pending.length === 1) setImmediate(this.#flushArrivals);
  }

  readonly #flushArrivals = (): void => {
    const batch = this.#pending;
    this.#pending = [];
    const io = this.#io;
    if (!io || batch.length === 0) return;
    this.#cork.hold();
    // Each event packed once as a row (arrival-batch.ts), whatever the number of rooms it goes to;
    // messages of at most EVENTS_PER_MESSAGE rows: one message for a whole turn's batch was a string
    // of several hundred KB, and turning that into bytes cost about seven times more per event than
    // for a 30 KB one (measured: 1.35 vs 0.19 µs per event; 10 % of the server's busy time at e2e load).
    // The writes of one turn still leave corked, in one syscall per console.
    const rows = batch.map(arrivalRow);
    const emit = (room: string, list: ArrivalRow[]) => {
      for (let i = 0; i < list.length; i += EVENTS_PER_MESSAGE) {
        io.to(room).emit('arrivals', { c: ARRIVAL_COLUMNS, r: list.length <= EVENTS_PER_MESSAGE ? list : list.slice(i, i + EVENTS_PER_MESSAGE) });
      }
    };
    // One message per room: a socket is in exactly one room (roomOf), so nobody gets an event twice.
    // socket.io encodes a message even for a room nobody is in; most of the 217 villages have no
    // console open. Alone we know our rooms; in cluster mode another instance may hold the socket.
    const rooms = this.d.adapter ? undefined : io.sockets.adapter.rooms;
    if (!rooms || rooms.has('command')) emit('command', rows);
    const byRoom = new Map<string, ArrivalRow[]>();
    const add = (room: string, row: ArrivalRow) => {
      if (rooms && !rooms.has(room)) return;
      const list = byRoom.get(room);
      if (list) list.push(row);
      else byRoom.set(room, [row]);
    };
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i]!;
      add(`village:${e.destinationVillageCode}`, rows[i]!);
      add(`checkpoint:${e.checkpointId}`, rows[i]!);
    }
    for (const [room, list] of byRoom) emit(room, list);
  };

  /** The TCP sockets under the consoles' WebSocket transports (not long-polling ones). */
  *#rawSockets(): Iterable<Writable | undefined> {
    for (const socket of this.#io?.sockets.sockets.values() ?? []) {
      yield (socket.conn as unknown as { transport?: { socket?: { _socket?: Writable } } }).transport?.socket?._socket;
    }
  }

  /** Stored data changed: push fresh counts within a second. */
  countsChanged(): void {
    this.#countsDirty = true;
  }

  /** Emits to the named rooms (`command`, `village:<code>`); a socket in several rooms gets it once. */
  emitToRooms<E extends keyof ServerToClientEvents>(rooms: readonly string[], event: E, ...args: Parameters<ServerToClientEvents[E]>): void {
    if (!this.#io || !rooms.length) return;
    this.#cork.hold();
    (this.#io.to([...rooms]).emit as (e: string, ...a: unknown[]) => boolean)(event, ...args);
  }

  /** To the command centre, the traveller's village (if any) and the checkpoint (if any); never a third room. */
  alert(a: AlertEvent): void {
    const io = this.#io;
    if (!io) return;
    // Corked like the arrivals: at e2e load about one scan in eight raises an alert, and each emit
    // was its own writev per console (3 % of the server's busy time, issue 5).
    this.#cork.hold();
    const rooms = ['command'];
    if (a.villageCode) rooms.push(`village:${a.villageCode}`);
    if (a.checkpointId) rooms.push(`checkpoint:${a.checkpointId}`);
    io.to(rooms).emit('alert', a);
  }

  /** Device health is the command centre's and that checkpoint supervisor's business only. */
  deviceStatus(s: DeviceStatus): void {
    this.#cork.hold();
    this.#io?.to(['command', `checkpoint:${s.checkpointId}`]).emit('device:status', s);
  }

  /** Recent events in scope, newest first (fallback for /api/arrivals while the store is down). */
  recent(scope: LiveScope, limit: number): ArrivalEvent[] {
    return this.#ring.filter((e) => inScope(scope, e)).slice(-limit).reverse();
  }

  async #emitCounts(): Promise<void> {
    if (!this.#countsDirty || !this.#io) return;
    this.#countsDirty = false;
    try {
      const counts = await this.d.counts();
      // Counts carry no personal data: everyone signed in may see them.
      this.#cork.hold();
      this.#io.emit('counts', counts);
    } catch (e) {
      this.#countsDirty = true;
      this.d.log.debug({ err: (e as Error).message }, 'counts unavailable');
    }
  }
}
