/**
 * HTTP for puskesmas reports. Submitting is for the command centre (Dinkes staff sit there; puskesmas
 * devices use MQTT); reading trends is for every signed-in officer (aggregates, no personal data).
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { DailyReportSchema, IsoDateSchema, PUSKESMAS_IDS, todayWib } from '@sk/protocol';
import { ApiError } from '../http/api-error.ts';
import type { Env, RouteGuards } from '../http/app.ts';
import type { PuskesmasReports } from './puskesmas.ts';
import { exportCsv, weeklyTrend } from './trends.ts';

const RangeSchema = z.object({
  from: IsoDateSchema.optional(),
  to: IsoDateSchema.optional(),
  puskesmas: z.enum(PUSKESMAS_IDS as [string, ...string[]]).optional(),
});

function range(q: z.infer<typeof RangeSchema>): { from: string; to: string } {
  const to = q.to ?? todayWib();
  const from = q.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 83 * 86_400_000).toISOString().slice(0, 10);
  if (from > to) throw new ApiError('bad_request', 'from: after to');
  if (Date.parse(to) - Date.parse(from) > 800 * 86_400_000) throw new ApiError('bad_request', 'range: at most 800 days');
  return { from, to };
}

export function puskesmasRoutes(p: PuskesmasReports) {
  return (app: Hono<Env>, g: RouteGuards) => {
    const { requireUser, requireCommand, ok, parse } = g;
    const unavailable = (e: unknown): never => {
      if (e instanceof ApiError) throw e;
      throw new ApiError('unavailable', 'laporan puskesmas sedang tidak tersedia (InfluxDB atau basis data down)');
    };

    app.get('/api/puskesmas', requireUser, (c) => ok(c, p.list));

    app.post('/api/puskesmas/reports', requireUser, requireCommand, async (c) => {
      const body = await c.req.json().catch(() => null);
      const list = Array.isArray(body) ? parse(z.array(DailyReportSchema).min(1).max(5000), body) : [parse(DailyReportSchema, body)];
      // Recorded in the database either way; `pending` > 0 when InfluxDB is down (the retry writes them).
      const r = await p.submit(list, c.get('user').username).catch(unavailable);
      return ok(c, { stored: list.length, pending: r.stored ? 0 : list.length }, 201);
    });

    app.get('/api/puskesmas/trends', requireUser, async (c) => {
      const q = parse(RangeSchema, c.req.query());
      const { from, to } = range(q);
      const reports = await p.reports(from, to, q.puskesmas).catch(unavailable);
      return ok(c, { puskesmasId: q.puskesmas ?? null, from, to, weeks: weeklyTrend(reports) });
    });

    app.get('/api/puskesmas/export', requireUser, async (c) => {
      const q = parse(RangeSchema.extend({ format: z.enum(['csv', 'json']).default('json') }), c.req.query());
      const { from, to } = range(q);
      const rows = p.exportRows(await p.reports(from, to, q.puskesmas).catch(unavailable));
      if (q.format === 'json') return ok(c, { layout: 'sk-puskesmas-daily/v1', from, to, rows });
      return c.body(exportCsv(rows), 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="puskesmas-${from}_${to}.csv"` });
    });

    app.get('/api/puskesmas/missing', requireUser, async (c) => {
      const m = await p.checkMissing(true).catch(unavailable);
      return ok(c, m);
    });
  };
}
