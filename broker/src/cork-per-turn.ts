/**
 * Coalesces a socket's writes of one event-loop turn into one system call.
 *
 * Why (issue 5, bench e2e CPU profile): aedes delivers each QoS 1 message in its own setImmediate
 * callback and mqtt-packet uncorks after each packet, so every message to the server's session left
 * in its own writev — about a tenth of the broker's CPU. Corking at the first write of a turn and
 * uncorking in a setImmediate queued behind the deliveries sends the same bytes, in the same order,
 * in one call. Node counts cork() calls, so mqtt-packet's own cork/uncork pairs nest inside ours.
 */
import type { Socket } from 'node:net';

export function corkPerTurn(socket: Socket): Socket {
  // We coalesce writes ourselves (one per turn), so Nagle's algorithm only adds delay: with it, a
  // PUBACK waited for the peer's delayed TCP ACK (up to 40 ms on Linux) whenever data was in flight.
  socket.setNoDelay(true);
  const write = socket.write;
  let corked = false;
  const release = () => {
    corked = false;
    if (!socket.destroyed) socket.uncork();
  };
  socket.write = function corkingWrite(this: Socket, ...args: Parameters<Socket['write']>) {
    if (!corked && !socket.destroyed) {
      corked = true;
      socket.cork();
      setImmediate(release);
    }
    return write.apply(this, args as never);
  } as Socket['write'];
  return socket;
}
