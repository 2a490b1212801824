/**
 * The officer screen's HTTP side, on the agent's local port (127.0.0.1 by default; nothing outside
 * the device is needed):
 *   GET  /                 the screen (edge-agent/dist-ui, built from edge-agent/ui)
 *   GET  /assets/*         its bundle
 *   GET  /api/events       server-sent events: the desk (status + latest entries) on every change
 *   GET  /api/nik?nik=…    the NIK decoded (province, regency, district, birth date, sex) or why not
 *   GET  /api/villages     Banyuwangi's 217 villages, for the destination search
 *   PUT  /api/officer      {officer} the officer on duty (null: off duty)
 *   POST /api/scans        the form → 201 once fsynced | 422/507/500 with the reason
 *   POST /api/ocr          a JPEG/PNG of a KTP → the fields read, for the officer to confirm
 * Replies use protocol's ApiReply. Logs carry timings and checks, never a NIK, a name or an address.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import type { ApiReply } from '@sk/protocol';
import { validateNik } from '@sk/protocol/nik';
import { loadRegions } from '@sk/protocol/regions';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import type { KtpReader } from '../ocr/ktp-reader.ts';
import type { OfficerDesk } from './desk.ts';

const MAX_JSON = 64 * 1024;
const MAX_IMAGE = 8 * 1024 * 1024;
const STATUS_OF: Record<string, number> = { outbox_full: 507, storage_error: 500, not_running: 503 };
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json', '.woff2': 'font/woff2',
};

export interface OfficerRoutesOptions {
  desk: OfficerDesk;
  /** Lazily started; absent = no OCR on this device. */
  reader?: KtpReader;
  /** The built screen (index.html + assets/). */
  uiDir: string;
  logger?: Logger;
}

function send<T>(res: ServerResponse, status: number, body: ApiReply<T>): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
const fail = (res: ServerResponse, status: number, code: string, message: string) => send(res, status, { ok: false, error: { code, message } });

function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) resolve(null);
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function readJson(req: IncomingMessage, res: ServerResponse): Promise<{ value: unknown } | null> {
  const body = await readBody(req, MAX_JSON);
  if (body === null) return fail(res, 413, 'too_large', `body over ${MAX_JSON} bytes`), null;
  try {
    return { value: JSON.parse(body.toString('utf8')) };
  } catch {
    return fail(res, 400, 'not_json', 'body is not JSON'), null;
  }
}

/** JPEG, PNG or WebP by their first bytes: anything else never reaches the OCR engine. */
function isImage(b: Buffer): boolean {
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return true;
  if (b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return true;
  return b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP';
}

/** Returns a handler that answers the screen's routes and says false for any other path. */
export function officerRoutes(o: OfficerRoutesOptions): (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean> {
  const log = (o.logger ?? silentLogger).child({ area: 'officer' });
  let villages: string | null = null;
  const root = normalize(o.uiDir);

  function serveFile(res: ServerResponse, file: string, immutable: boolean): boolean {
    if (!existsSync(file) || !statSync(file).isFile()) return false;
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      // The screen loads nothing from outside the device.
      'content-security-policy': "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob: mediastream:; style-src 'self' 'unsafe-inline'",
    });
    res.end(readFileSync(file));
    return true;
  }

  return async (req, res, path) => {
    const m = req.method ?? 'GET';
    if (m === 'GET' && (path === '/' || path === '/index.html')) {
      if (serveFile(res, join(root, 'index.html'), false)) return true;
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Layar petugas belum dibangun: jalankan `npm run build:ui -w edge-agent` (scripts/ensure.sh melakukannya).\n');
      return true;
    }
    if (m === 'GET' && path.startsWith('/assets/')) {
      const file = normalize(join(root, path));
      if (!file.startsWith(root + sep)) return fail(res, 404, 'not_found', 'no such file'), true;
      if (!serveFile(res, file, true)) fail(res, 404, 'not_found', 'no such file');
      return true;
    }
    if (m === 'GET' && path === '/api/events') {
      o.desk.subscribe(res);
      return true;
    }
    if (m === 'GET' && path === '/api/nik') {
      const nik = new URL(req.url ?? '/', 'http://local').searchParams.get('nik') ?? '';
      const p = validateNik(nik);
      if (!p.ok) return fail(res, 422, p.error, p.message), true;
      send(res, 200, { ok: true, data: { provinceName: p.provinceName, regencyName: p.regencyName, districtName: p.districtName, birthDate: p.birthDate, sex: p.sex, warnings: p.warnings } });
      return true;
    }
    if (m === 'GET' && path === '/api/villages') {
      villages ??= JSON.stringify({ ok: true, data: loadRegions().villages.map((v) => ({ code: v.code, name: v.name, district: v.districtName, kind: v.kind })) });
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'public, max-age=3600' });
      res.end(villages);
      return true;
    }
    if (m === 'PUT' && path === '/api/officer') {
      const body = await readJson(req, res);
      if (!body) return true;
      const problem = o.desk.setOfficer((body.value as { officer?: unknown } | null)?.officer ?? null);
      if (problem) return fail(res, 422, 'invalid_officer', problem), true;
      log.info({ onDuty: o.desk.officer !== null }, 'officer on duty changed');
      send(res, 200, { ok: true, data: { officer: o.desk.officer } });
      return true;
    }
    if (m === 'POST' && path === '/api/scans') {
      const body = await readJson(req, res);
      if (!body) return true;
      const r = await o.desk.submit(body.value);
      if (r.ok) send(res, 201, { ok: true, data: { scanId: r.scanId, seq: r.seq } });
      else fail(res, STATUS_OF[r.reason] ?? 422, r.reason, r.message);
      return true;
    }
    if (m === 'POST' && path === '/api/ocr') {
      if (!o.reader) return fail(res, 501, 'no_ocr', 'OCR tidak tersedia di perangkat ini'), true;
      const image = await readBody(req, MAX_IMAGE);
      if (image === null) return fail(res, 413, 'too_large', `image over ${MAX_IMAGE} bytes`), true;
      if (image.length < 100 || !isImage(image)) return fail(res, 415, 'no_image', 'kirim foto KTP (JPEG, PNG atau WebP)'), true;
      let r;
      try {
        r = await o.reader.read(image);
      } catch (err) {
        log.warn({ err: String(err).slice(0, 200) }, 'card not readable');
        return fail(res, 422, 'unreadable', 'foto tidak dapat dibaca: ambil ulang foto KTP'), true;
      }
      log.info({ ms: Math.round(r.ms), nikCheck: r.nikCheck, confidence: Math.round(r.confidence) }, 'card read');
      send(res, 200, { ok: true, data: r });
      return true;
    }
    return false;
  };
}
