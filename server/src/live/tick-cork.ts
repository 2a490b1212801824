/**
 * Coalesces many small writes made in one event-loop turn into one write per socket.
 *
 * Why (issue 5, bench e2e CPU profile): every arrival became its own WebSocket frame and its own
 * `writev` system call per console, and every MQTT PUBACK its own as well — about a third of the
 * server's time under load went to those calls. Corking a socket when the first write of a turn is
 * about to happen and uncorking it in `setImmediate` (after the I/O phase that produced the burst)
 * sends the same bytes, in the same order, in one call. Node counts cork() calls, so the libraries'
 * own cork/uncork pairs nest inside ours.
 */
import type { Writable } from 'node:stream';

export class TickCork {
  #held: Writable[] = [];
  #scheduled = false;

  /** `streams()` lists the sockets to hold for the rest of this turn (called once per turn). */
  constructor(private readonly streams: () => Iterable<Writable | undefined>) {}

  /** Call before writing; cheap after the first call in a turn. */
  hold(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    for (const s of this.streams()) {
      if (!s || s.destroyed || typeof s.cork !== 'function') continue;
      s.cork();
      this.#held.push(s);
    }
    setImmediate(() => this.release());
  }

  /** Lets the held bytes go now (also on shutdown). */
  release(): void {
    this.#scheduled = false;
    for (const s of this.#held.splice(0)) s.uncork();
  }
}
