/**
 * POST a body and return the reply's status, on node:http with a keep-alive agent. The store's writes
 * used fetch (undici), which copies every body before sending it and wraps the request in web
 * streams: for 1.8 MB write bodies that was about 3 % of the server's busy time at e2e load (issue 5).
 * The reply body is read and dropped (InfluxDB's error text may quote the data: personal data).
 */
import http from 'node:http';
import https from 'node:https';

export class HttpPoster {
  readonly #url: URL;
  readonly #agent: http.Agent;
  readonly #lib: typeof http | typeof https;

  constructor(url: string, private readonly headers: Record<string, string>) {
    this.#url = new URL(url);
    this.#lib = this.#url.protocol === 'https:' ? https : http;
    this.#agent = new this.#lib.Agent({ keepAlive: true });
  }

  /** Resolves with the HTTP status; rejects on a network error or after `timeoutMs` (error name `TimeoutError`). */
  post(body: Uint8Array, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = this.#lib.request(this.#url, { method: 'POST', agent: this.#agent, headers: { ...this.headers, 'content-length': body.length } }, (res) => {
        res.on('data', () => {});
        res.on('end', () => {
          clearTimeout(timer);
          resolve(res.statusCode ?? 0);
        });
        res.on('error', fail);
      });
      const timer = setTimeout(() => req.destroy(Object.assign(new Error('write timed out'), { name: 'TimeoutError' })), timeoutMs);
      function fail(e: Error) {
        clearTimeout(timer);
        reject(e);
      }
      req.on('error', fail);
      req.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
