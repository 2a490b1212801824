/**
 * The OpenAPI 3.1 description of the HTTP API, hand-written (routes are plain hono, not a generator's),
 * with request bodies converted from the same zod schemas the routes validate with (`z.toJSONSchema`).
 * Served at `GET /api/openapi.json`; the served document lists any registered route it does not
 * describe under `x-undocumented`, and a test keeps that list empty, so the description cannot drift.
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { AID_PROGRAMMES, AidCheckSchema, AidResolveSchema, FOLLOW_UP_STATES, HandoutInputSchema } from '@sk/protocol';
import type { Env, RouteGuards } from './app.ts';
import { FacilitySchema } from '../quarantine/facilities.ts';
import { QUARANTINE_REASONS } from '../quarantine/quarantine.ts';
import { STATS_GROUPS } from '../store/rollups.ts';

type Role = 'public' | 'user' | 'command';
interface Op { summary: string; role?: Role; query?: Record<string, string>; body?: z.ZodType | Record<string, unknown>; params?: string[] }

const json = (s: z.ZodType | Record<string, unknown>) => (s instanceof z.ZodType ? z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) : s);
const str = (description: string) => ({ type: 'string', description });

function operation(o: Op) {
  const parameters = [
    ...(o.params ?? []).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
    ...Object.entries(o.query ?? {}).map(([name, description]) => ({ name, in: 'query', required: false, schema: { type: 'string' }, description })),
  ];
  return {
    summary: o.summary,
    ...(parameters.length ? { parameters } : {}),
    ...(o.body ? { requestBody: { required: true, content: { 'application/json': { schema: json(o.body) } } } } : {}),
    ...(o.role === 'public' ? { security: [] } : {}),
    ...(o.role === 'command' ? { 'x-roles': ['command'] } : {}),
    responses: {
      '200': { description: 'ok: `{ ok: true, data }`', content: { 'application/json': { schema: { $ref: '#/components/schemas/Reply' } } } },
      default: { description: 'error: `{ ok: false, error: { code, message } }` (400 bad_request, 401, 403, 404, 409 conflict, 429, 503)' },
    },
  };
}

const ID = ['id'];
const SCAN = ['scanId'];
/** path → method → operation. Paths use OpenAPI `{param}` syntax. */
const PATHS: Record<string, Record<string, Op>> = {
  '/api/auth/login': { post: { summary: 'Sign in; sets the httpOnly session cookie (throttled per IP)', role: 'public', body: z.object({ username: z.string(), password: z.string() }) } },
  '/api/auth/logout': { post: { summary: 'Sign out', role: 'public' } },
  '/api/auth/me': { get: { summary: 'The signed-in user (role, village or checkpoint)' } },
  '/api/health': { get: { summary: 'Component health and ingest counters (received = stored + dead-lettered + spooled + dropped + pending)', role: 'public' } },
  '/metrics': { get: { summary: 'Prometheus metrics (text)', role: 'public' } },
  '/api/openapi.json': { get: { summary: 'This document', role: 'public' } },
  '/api/arrivals': { get: { summary: 'Stored arrivals, newest first, scoped by role', query: { checkpoint: 'checkpoint id', district: '35.10.21', village: '35.10.21.2003', health: 'positif|demam|gejala|sehat', limit: '1–500', before: 'ISO time or eventId (paging)' } } },
  '/api/counts/today': { get: { summary: 'Arrivals per checkpoint since midnight WIB' } },
  '/api/devices': { get: { summary: 'Latest status of the checkpoint devices: all for the command centre, its own for a checkpoint supervisor, none for a village officer (403)' } },
  '/api/regions': { get: { summary: 'Banyuwangi districts and villages (Kemendagri codes)' } },
  '/api/stored-scan-ids': { get: { summary: 'Every stored scanId in [from, to) (reconciliation)', role: 'command', query: { from: 'ISO time', to: 'ISO time' } } },
  '/api/dead-letters': { get: { summary: 'Rejected MQTT messages with reasons', role: 'command', query: { limit: '1–1000' } } },
  '/api/alerts': { get: { summary: 'Alerts in scope, newest first (active=true: not cleared; false: history; answerBy=command: what the command centre must answer itself)', query: { active: 'true|false', limit: '1–1000', answerBy: 'command|village' } } },
  '/api/alerts/{id}/{action}': { post: { summary: 'Acknowledge (action=ack) or clear (action=clear) an alert, recording who and when', params: ['id', 'action'] } },
  '/api/alerts/summary': { get: { summary: 'At a glance, in scope: open alerts the command centre must answer, open alerts per rule, follow-ups open/overdue/by state' } },
  '/api/follow-ups': { get: { summary: 'Follow-ups (issue 17), most urgent first: a village officer sees their village only, command all', query: { state: FOLLOW_UP_STATES.join('|'), open: 'true|false', overdue: 'true|false', village: 'village code (command)', district: 'district code', limit: '1–1000' } } },
  '/api/follow-ups/{id}/state': { post: { summary: 'Move a follow-up (village officer of its village, or command): dihubungi acknowledges its alert, selesai clears it', params: ['id'], body: z.strictObject({ state: z.enum(FOLLOW_UP_STATES), note: z.string().max(500).optional() }) } },
  '/api/expected-arrivals': { get: { summary: 'Expected arrivals in scope, by ETA', query: { status: 'expected|arrived|overdue', village: 'village code (command)', district: 'district code', limit: '1–1000' } } },
  '/api/expected-arrivals/{scanId}/arrived': { post: { summary: 'Mark arrived (village officer of the destination, or command); clears an overdue alert', params: SCAN } },
  '/api/expected-arrivals/{scanId}/home-unfit': { post: { summary: 'Flag the home unfit for self-isolation (a quarantine reason)', params: SCAN, body: z.strictObject({ unfit: z.boolean() }) } },
  '/api/quarantine/facilities': {
    get: { summary: 'Quarantine facilities with occupancy (capacity, occupied, free)' },
    post: { summary: 'Add or replace a facility', role: 'command', body: FacilitySchema },
  },
  '/api/quarantine/assignments': {
    get: { summary: 'Quarantine assignments in scope (active=true: not released)', query: { active: 'true|false' } },
    post: { summary: 'Assign a traveller to the nearest facility with room (201; 200 if already assigned; 409 when all are full)', body: z.strictObject({ scanId: z.string(), reason: z.enum(QUARANTINE_REASONS), days: z.number().int().min(1).max(60).optional() }) },
  },
  '/api/quarantine/assignments/{id}/release': { post: { summary: 'Release from quarantine', params: ID } },
  '/api/stats/arrivals': { get: { summary: 'Arrival counts per bucket and group: yesterday and today from exact in-memory counts (single instance), older hours from the InfluxDB rollups; source says which', query: { from: 'ISO time', to: 'ISO time (≤ 400 days after from)', groupBy: STATS_GROUPS.join('|'), interval: '1h|1d (WIB days)' } } },
  '/api/aid/programmes': { get: { summary: `Social-aid programmes (${AID_PROGRAMMES.length})` } },
  '/api/aid/check': { post: { summary: 'Check a household before a handout (double aid)', body: AidCheckSchema } },
  '/api/aid/handouts': { post: { summary: 'Record a handout', body: HandoutInputSchema } },
  '/api/aid/import': { post: { summary: 'Import handouts from CSV (text/csv body, ≤ 8 MB)', body: str('CSV') } },
  '/api/aid/alarms': { get: { summary: 'Double-aid alarms in scope', query: { active: 'true|false' } } },
  '/api/aid/alarms/{id}/ack': { post: { summary: 'Acknowledge a double-aid alarm', params: ID } },
  '/api/aid/alarms/{id}/resolve': { post: { summary: 'Resolve a double-aid alarm (audited override)', params: ID, body: AidResolveSchema } },
  '/api/aid/audit': { get: { summary: 'Aid audit trail', query: { limit: '1–5000' } } },
  '/api/puskesmas': { get: { summary: 'Puskesmas list' } },
  '/api/puskesmas/reports': { post: { summary: 'Daily puskesmas reports (one or many)', role: 'command' } },
  '/api/puskesmas/trends': { get: { summary: 'Puskesmas report trends', query: { from: 'date', to: 'date' } } },
  '/api/puskesmas/export': { get: { summary: 'Export puskesmas reports', query: { from: 'date', to: 'date', format: 'csv|json' } } },
  '/api/puskesmas/missing': { get: { summary: 'Puskesmas whose daily report is missing' } },
};

export function openApiDocument(undocumented: string[] = []) {
  const paths = Object.fromEntries(Object.entries(PATHS).map(([p, ops]) => [p, Object.fromEntries(Object.entries(ops).map(([m, o]) => [m, operation(o)]))]));
  return {
    openapi: '3.1.0',
    info: { title: 'Smart Kampung Checkpoint API', version: '0.1.0', description: 'Every reply is `{ ok: true, data }` or `{ ok: false, error: { code, message } }`. Data is scoped by role: command (all), village officer (one village), checkpoint supervisor (one checkpoint).' },
    components: {
      securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'sk_session' } },
      schemas: { Reply: { type: 'object', required: ['ok'], properties: { ok: { type: 'boolean' }, data: {}, error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } } } } },
    },
    security: [{ session: [] }],
    paths,
    'x-undocumented': undocumented,
  };
}

/** `/api/alerts/:id/:action{ack|clear}` → `/api/alerts/{id}/{action}` */
export const toOpenApiPath = (honoPath: string) => honoPath.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}');

export function openApiRoutes() {
  return (app: Hono<Env>, _g: RouteGuards) => {
    app.get('/api/openapi.json', (c) => {
      const documented = new Set(Object.entries(PATHS).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
      const registered = app.routes.filter((r) => r.method !== 'ALL' && (r.path.startsWith('/api/') || r.path === '/metrics')).map((r) => `${r.method} ${toOpenApiPath(r.path)}`);
      // The bare document (not the `{ ok, data }` envelope), as OpenAPI tools expect.
      return c.json(openApiDocument([...new Set(registered)].filter((r) => !documented.has(r))));
    });
  };
}
