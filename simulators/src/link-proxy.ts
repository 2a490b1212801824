/**
 * A TCP proxy between one simulated device and the broker, so tests can cut the device's network
 * (a flaky 4G link at a checkpoint) without touching the agent: `cut(ms)` destroys live connections
 * abruptly (the broker sees no DISCONNECT, so the last will fires) and refuses new ones for a while.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class LinkProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #downUntil = 0;
  cuts = 0;

  constructor(private readonly target: { host: string; port: number }, private readonly now: () => number = Date.now) {
    this.#server = createServer((client) => this.#accept(client));
  }

  /** Listens on 127.0.0.1, a free port; returns the URL the agent should use. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `mqtt://127.0.0.1:${(this.#server.address() as { port: number }).port}`;
  }

  #accept(client: Socket): void {
    if (this.now() < this.#downUntil) {
      client.destroy();
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    for (const s of [client, upstream]) {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  /** Drops the link now and keeps it down for `ms`. */
  cut(ms: number): void {
    this.cuts++;
    this.#downUntil = Math.max(this.#downUntil, this.now() + ms);
    for (const s of this.#sockets) s.destroy();
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** `mqtt://host:1883` → `{ host, port }`; only plain TCP URLs can be proxied. */
export function tcpTarget(url: string): { host: string; port: number } {
  const u = new URL(url);
  if (u.protocol !== 'mqtt:' && u.protocol !== 'tcp:') throw new Error(`network faults need an mqtt:// broker URL, got ${u.protocol}`);
  return { host: u.hostname, port: Number(u.port || 1883) };
}
