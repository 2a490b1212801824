import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpPoster } from './http-post.ts';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => { s.closeAllConnections(); s.close(r); });
});

async function serve(handler: http.RequestListener): Promise<string> {
  const s = http.createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/write?db=x`;
}

describe('HttpPoster', () => {
  it('sends the body with its length and headers, returns the status, reuses the connection', async () => {
    const seen: { body: string; length?: string; type?: string; socket: unknown }[] = [];
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ body, length: req.headers['content-length'], type: req.headers['content-type'], socket: req.socket });
        res.writeHead(seen.length === 1 ? 204 : 400).end('unable to parse "Budi"'); // a reply that quotes data is dropped
      });
    });
    const poster = new HttpPoster(url, { 'content-type': 'text/plain' });
    expect(await poster.post(Buffer.from('a,b=1 c=2 3'), 2000)).toBe(204);
    expect(await poster.post(Buffer.from('é'), 2000)).toBe(400);
    expect(seen.map((s) => [s.body, s.length, s.type])).toEqual([['a,b=1 c=2 3', '11', 'text/plain'], ['é', '2', 'text/plain']]);
    expect(seen[1]!.socket).toBe(seen[0]!.socket); // keep-alive
    poster.close();
  });

  it('rejects on a refused connection and after the timeout when no reply comes', async () => {
    const silent = await serve(() => {}); // takes the request, never answers
    const poster = new HttpPoster(silent, {});
    await expect(poster.post(Buffer.from('x'), 150)).rejects.toMatchObject({ name: 'TimeoutError' });
    poster.close();
    const closed = new HttpPoster('http://127.0.0.1:1/write', {});
    await expect(closed.post(Buffer.from('x'), 2000)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    closed.close();
  });
});
