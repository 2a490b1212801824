/**
 * The HTTP API (hono): one error type, one onError, one reply shape (protocol's ApiReply).
 * Every input is zod-validated; every data route is scoped by the signed-in user's role.
 */
import { Hono, type Context } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import { getConnInfo } from '@hono/node-server/conninfo';
import { serveStatic } from '@hono/node-server/serve-static';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { HEALTH_STATUSES, IdSchema, VillageCodeSchema, type ApiReply, type ArrivalEvent, type CheckpointCount, type DeviceStatus } from '@sk/protocol';
import type { Regions } from '@sk/protocol/regions';
import type { Logger } from '../log.ts';
import type { LoginThrottle } from '../auth/login-throttle.ts';
import type { SessionStore } from '../auth/sessions.ts';
import type { PublicUser, UserDirectory } from '../auth/users.ts';
import type { DeadLetter } from '../ingest/dead-letters.ts';
import type { Alerts } from '../alerts/alerts.ts';
import { ApiError } from './api-error.ts';
import { SESSION_COOKIE } from './cookies.ts';

export interface AppDeps {
  log: Logger;
  users: UserDirectory;
  sessions: SessionStore;
  throttle: LoginThrottle;
  cookieSecure: boolean;
  consoleDir: string;
  regions: Regions;
  health(): Promise<unknown>;
  metrics(): Promise<string>;
  arrivals(user: PublicUser, q: ArrivalQuery): Promise<ArrivalEvent[]>;
  countsToday(): Promise<CheckpointCount[]>;
  devices(): DeviceStatus[];
  storedScanIds(from: string, to: string): Promise<string[]>;
  deadLetters(limit: number): Promise<DeadLetter[]>;
  alerts: Alerts;
  /** Feature routes (aid, puskesmas, …) mounted before the /api catch-all, with the shared guards. */
  features?: ((app: Hono<Env>, g: RouteGuards) => void)[];
}

/** What a feature's routes need from the app: the auth guards and the one reply/parse helpers. */
export interface RouteGuards {
  requireUser: (c: Context<Env>, next: () => Promise<void>) => Promise<void>;
  requireCommand: (c: Context<Env>, next: () => Promise<void>) => Promise<void>;
  ok: typeof ok;
  parse: typeof parse;
}

const ArrivalQuerySchema = z.object({
  checkpoint: IdSchema.optional(),
  district: z.string().regex(/^\d{2}\.\d{2}\.\d{2}$/, 'not a district code like 35.10.21').optional(),
  village: VillageCodeSchema.optional(),
  health: z.enum(HEALTH_STATUSES as [string, ...string[]]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.union([z.iso.datetime({ offset: true }), z.string().regex(/^\d{1,15}$/)]).optional(),
});
export type ArrivalQuery = z.infer<typeof ArrivalQuerySchema>;

const LoginSchema = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(200) });
const WindowSchema = z.object({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) });

export type Env = { Variables: { user: PublicUser } };

const ok = <T>(c: Context, data: T, status: 200 | 201 = 200) => c.json({ ok: true, data } satisfies ApiReply<T>, status);

function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const r = schema.safeParse(input);
  if (!r.success) throw new ApiError('bad_request', r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  return r.data;
}

export function createApp(d: AppDeps): Hono<Env> {
  const app = new Hono<Env>();

  app.onError((err, c) => {
    const e = err instanceof ApiError ? err : new ApiError('internal', 'internal error');
    if (!(err instanceof ApiError)) d.log.error({ err: err.message, path: c.req.path }, 'unhandled HTTP error');
    return c.json({ ok: false, error: { code: e.code, message: e.message } } satisfies ApiReply<never>, e.status);
  });
  app.notFound((c) => c.json({ ok: false, error: { code: 'not_found', message: 'no such endpoint' } } satisfies ApiReply<never>, 404));

  const requireUser = async (c: Context<Env>, next: () => Promise<void>) => {
    const token = getCookie(c, SESSION_COOKIE);
    const user = token ? await d.sessions.get(token) : null;
    if (!user) throw new ApiError('unauthorized', 'silakan masuk (login required)');
    c.set('user', user);
    await next();
  };
  const requireCommand = async (c: Context<Env>, next: () => Promise<void>) => {
    if (c.get('user').role !== 'command') throw new ApiError('forbidden', 'khusus pusat komando (command role only)');
    await next();
  };

  app.post('/api/auth/login', async (c) => {
    const ip = clientIp(c);
    if (!d.throttle.allowed(ip)) throw new ApiError('too_many_requests', 'terlalu banyak percobaan, coba lagi nanti');
    const body = parse(LoginSchema, await c.req.json().catch(() => null));
    const user = await d.users.authenticate(body.username, body.password);
    if (!user) {
      d.throttle.fail(ip);
      throw new ApiError('unauthorized', 'nama pengguna atau kata sandi salah');
    }
    d.throttle.succeed(ip);
    const token = await d.sessions.create(user);
    setCookie(c, SESSION_COOKIE, token, { httpOnly: true, sameSite: 'Lax', path: '/', secure: d.cookieSecure, maxAge: 12 * 3600 });
    d.log.info({ username: user.username, role: user.role }, 'login');
    return ok(c, { user });
  });

  app.post('/api/auth/logout', async (c) => {
    const token = getCookie(c, SESSION_COOKIE);
    if (token) await d.sessions.destroy(token);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return ok(c, {});
  });

  app.get('/api/auth/me', requireUser, (c) => ok(c, { user: c.get('user') }));
  app.get('/api/health', async (c) => ok(c, await d.health()));
  app.get('/metrics', async (c) => c.text(await d.metrics(), 200, { 'content-type': 'text/plain; version=0.0.4' }));

  app.get('/api/arrivals', requireUser, async (c) => ok(c, await d.arrivals(c.get('user'), parse(ArrivalQuerySchema, c.req.query()))));
  app.get('/api/counts/today', requireUser, async (c) => ok(c, await d.countsToday()));
  app.get('/api/devices', requireUser, (c) => {
    // Device health is for the command centre and that checkpoint's supervisor; villages have no use for it.
    const user = c.get('user');
    if (user.role === 'command') return ok(c, d.devices());
    if (user.role === 'checkpoint' && user.checkpointId) return ok(c, d.devices().filter((s) => s.checkpointId === user.checkpointId));
    throw new ApiError('forbidden', 'khusus pusat komando dan pos pemeriksaan (command or checkpoint role only)');
  });
  app.get('/api/regions', requireUser, (c) =>
    ok(c, {
      districts: d.regions.districts.map(({ code, name }) => ({ code, name })),
      villages: d.regions.villages.map(({ code, name, districtCode, districtName, kind }) => ({ code, name, districtCode, districtName, kind })),
    }),
  );
  app.get('/api/stored-scan-ids', requireUser, requireCommand, async (c) => {
    const { from, to } = parse(WindowSchema, c.req.query());
    return ok(c, { scanIds: await d.storedScanIds(from, to) });
  });
  app.get('/api/dead-letters', requireUser, requireCommand, async (c) => {
    const { limit } = parse(z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }), c.req.query());
    return ok(c, { deadLetters: await d.deadLetters(limit) });
  });
  app.get('/api/alerts', requireUser, async (c) => {
    // active=true: not cleared yet (active or acknowledged); active=false: the whole history.
    // answerBy=command: only what the command centre itself must answer (issue 17).
    const { active, limit, answerBy } = parse(
      z.object({ active: z.enum(['true', 'false']).default('true'), limit: z.coerce.number().int().min(1).max(1000).default(200), answerBy: z.enum(['command', 'village']).optional() }),
      c.req.query(),
    );
    return ok(c, await d.alerts.list(c.get('user'), { openOnly: active === 'true', answerBy, limit }));
  });
  app.post('/api/alerts/:id/:action{ack|clear}', requireUser, async (c) => {
    const { id } = parse(z.object({ id: z.coerce.number().int().min(1) }), { id: c.req.param('id') });
    const user = c.get('user');
    const alert = await d.alerts.get(id);
    // Out of scope looks the same as absent: no probing other villages' alerts.
    if (!alert || !d.alerts.visibleTo(user)(alert)) throw new ApiError('not_found', 'peringatan tidak ditemukan');
    const done = c.req.param('action') === 'ack' ? await d.alerts.acknowledge(id, user.username) : await d.alerts.clear(id, user.username);
    return ok(c, done);
  });
  for (const mount of d.features ?? []) mount(app, { requireUser, requireCommand, ok, parse });
  app.all('/api/*', () => {
    throw new ApiError('not_found', 'no such endpoint');
  });

  // The built console, with the SPA fallback to index.html for client-side routes.
  const root = resolve(d.consoleDir);
  app.use('/*', serveStatic({ root }));
  app.get('/*', (c) => {
    const index = join(root, 'index.html');
    if (!existsSync(index)) throw new ApiError('not_found', 'console not built (npm run build:console)');
    return serveStatic({ root, rewriteRequestPath: () => '/index.html' })(c, async () => {});
  });
  return app;
}

function clientIp(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
