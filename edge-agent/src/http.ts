/**
 * Local HTTP input for the card reader / officer app, bound to localhost by default:
 *   POST /scans   ScanInput JSON → 201 {ok:true,data:{scanId,seq}} | 422 {ok:false,error:{code:<reason>,message}}
 *   GET  /status  small status page (HTML for browsers, JSON for `Accept: application/json`)
 * Replies use the project's one shape (protocol's ApiReply). No personal data on the status page.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ApiReply } from '@sk/protocol';
import type { EdgeAgent } from './agent.ts';

const MAX_BODY = 64 * 1024;

const STATUS_OF: Record<string, number> = { outbox_full: 507, storage_error: 500, not_running: 503 };

function send<T>(res: ServerResponse, status: number, body: ApiReply<T>): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

const fail = (res: ServerResponse, status: number, code: string, message: string) => send(res, status, { ok: false, error: { code, message } });

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      // Too big: answer 413 at once and discard the rest (destroying the socket would lose the reply).
      if (size > MAX_BODY) resolve(null);
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function statusHtml(agent: EdgeAgent): string {
  const s = agent.stats();
  const rows: [string, string][] = [
    ['Pos / perangkat', `${agent.config.checkpointId} / ${agent.config.deviceId}`],
    ['Koneksi broker', s.connected ? 'terhubung' : 'terputus'],
    ['Antrean (belum dikonfirmasi server)', String(s.outbox.depth)],
    ['Umur antrean tertua', s.outbox.oldestAgeSec === null ? '-' : `${Math.round(s.outbox.oldestAgeSec)} detik`],
    ['Disk', `${(s.outbox.diskBytes / 1048576).toFixed(1)} / ${(s.outbox.diskLimitBytes / 1048576).toFixed(0)} MiB${s.outbox.warning ? ' — PERINGATAN: hampir penuh' : ''}`],
    ['Diterima / ditolak', `${s.accepted} / ${s.rejected}`],
    ['Dikonfirmasi server', String(s.acked)],
    ['Pindai terakhir', s.lastScanAt ?? '-'],
    ['Selisih jam (ms)', s.clockSkewMs === null ? '-' : String(s.clockSkewMs)],
  ];
  return `<!doctype html><html lang="id"><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>Status agen pos</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}td{padding:.25rem 1rem;border-bottom:1px solid #ddd}</style>
<h1>Status agen pos pemeriksaan</h1><table>${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table></html>`;
}

/** More routes on the same port (the officer screen, officer/routes.ts): answers true when it took the request. */
export type ExtraRoutes = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>;

export async function handle(agent: EdgeAgent, req: IncomingMessage, res: ServerResponse, extra?: ExtraRoutes): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://local').pathname;
  if (path === '/scans' && req.method === 'POST') {
    const body = await readBody(req);
    if (body === null) return fail(res, 413, 'too_large', `body over ${MAX_BODY} bytes`);
    let input: unknown;
    try {
      input = JSON.parse(body);
    } catch {
      return fail(res, 400, 'not_json', 'body is not JSON');
    }
    const r = await agent.submit(input);
    if (r.ok) return send(res, 201, { ok: true, data: { scanId: r.scanId, seq: r.seq } });
    return fail(res, STATUS_OF[r.reason] ?? 422, r.reason, r.message);
  }
  if (path === '/status' && req.method === 'GET') {
    if ((req.headers.accept ?? '').includes('text/html')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(statusHtml(agent));
      return;
    }
    return send(res, 200, { ok: true, data: { checkpointId: agent.config.checkpointId, deviceId: agent.config.deviceId, ...agent.stats() } });
  }
  if (extra && (await extra(req, res, path))) return;
  return fail(res, 404, 'not_found', `no route ${req.method} ${path}`);
}

/** Starts the local HTTP input; resolves with the server and its actual port. */
export async function startHttp(agent: EdgeAgent, port: number, host = '127.0.0.1', extra?: ExtraRoutes): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    handle(agent, req, res, extra).catch((err: Error) => {
      if (!res.headersSent) fail(res, 500, 'internal', err.message);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as { port: number }).port };
}
