/**
 * One write per burst on each console's WebSocket. engine.io holds a socket's packets while its
 * previous write is in flight, then sends them all at once — each through ws as a frame with its
 * own cork/uncork, so each its own `writev` system call (5 % of the server's busy time at e2e load,
 * issue 5: the bursts come right after a write completes, outside the event-loop turn that
 * `TickCork` holds). Corking the TCP socket around the transport's `send(packets)` sends the same
 * frames, in the same order, in one call. engine.io encodes string packets synchronously, so every
 * frame of the burst is written before the uncork.
 */
import type { Server } from 'socket.io';
import type { Writable } from 'node:stream';

interface TransportLike {
  name: string;
  send(packets: unknown[]): void;
  socket?: { _socket?: Writable };
}
interface EngineSocketLike {
  transport: TransportLike;
  on(event: 'upgrade', fn: (t: TransportLike) => void): void;
}

const CORKED = Symbol('corked');

export function corkSends(t: TransportLike): void {
  const raw = t.socket?._socket;
  if (t.name !== 'websocket' || typeof raw?.cork !== 'function' || (t as { [CORKED]?: true })[CORKED]) return;
  (t as { [CORKED]?: true })[CORKED] = true;
  const send = t.send.bind(t);
  t.send = (packets) => {
    if (packets.length < 2) return send(packets);
    raw.cork();
    try {
      send(packets);
    } finally {
      raw.uncork();
    }
  };
}

/** Call once after creating the server: every WebSocket transport (also after an upgrade from polling) sends its bursts corked. */
export function corkEngineSends(io: Server): void {
  io.engine.on('connection', (s: EngineSocketLike) => {
    corkSends(s.transport);
    s.on('upgrade', (t) => corkSends(t));
  });
}
