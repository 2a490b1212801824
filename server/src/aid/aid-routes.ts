/** HTTP for the aid feature, mounted by the app with its guards. Village officers act for their own village only. */
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { AID_PROGRAMMES, AidCheckSchema, AidResolveSchema, HandoutInputSchema, type AidImportReport } from '@sk/protocol';
import type { Regions } from '@sk/protocol/regions';
import { ApiError } from '../http/api-error.ts';
import type { Env, RouteGuards } from '../http/app.ts';
import type { Aid } from './aid.ts';
import { parseAidCsv, semanticProblem } from './csv-import.ts';

const MAX_CSV_BYTES = 8 * 1024 * 1024;

/** null = regency-wide (command); a code = that village only; checkpoint officers have no aid access. */
function villageScope(c: Context<Env>): string | null {
  const u = c.get('user');
  if (u.role === 'command') return null;
  if (u.role === 'village' && u.villageCode) return u.villageCode;
  throw new ApiError('forbidden', 'bansos hanya untuk petugas desa dan pusat komando');
}

export function aidRoutes(aid: Aid, regions: Regions) {
  return (app: Hono<Env>, g: RouteGuards) => {
    const { requireUser, ok, parse } = g;
    const json = async (c: Context<Env>) => c.req.json().catch(() => {
      throw new ApiError('bad_request', 'body: not JSON');
    });

    app.get('/api/aid/programmes', requireUser, (c) => ok(c, AID_PROGRAMMES));

    app.post('/api/aid/check', requireUser, async (c) => {
      const scope = villageScope(c);
      const q = parse(AidCheckSchema, await json(c));
      const problem = semanticProblem(q, regions, scope);
      if (problem) throw new ApiError('bad_request', problem);
      return ok(c, await aid.check(q, c.get('user').username));
    });

    app.post('/api/aid/handouts', requireUser, async (c) => {
      const scope = villageScope(c);
      const h = parse(HandoutInputSchema, await json(c));
      const problem = semanticProblem(h, regions, scope);
      if (problem) throw new ApiError('bad_request', problem);
      return ok(c, (await aid.record([h], c.get('user').username))[0], 201);
    });

    app.post('/api/aid/import', requireUser, async (c) => {
      const scope = villageScope(c);
      if (!(c.req.header('content-type') ?? '').startsWith('text/csv')) throw new ApiError('bad_request', 'content-type: send text/csv');
      const text = await c.req.text();
      if (Buffer.byteLength(text) > MAX_CSV_BYTES) throw new ApiError('bad_request', `CSV larger than ${MAX_CSV_BYTES} bytes`);
      const { rows, errors } = parseAidCsv(text, regions, scope);
      const results = rows.length ? await aid.record(rows, c.get('user').username) : [];
      await aid.importDone(scope, c.get('user').username, results.length, errors.length);
      const report: AidImportReport = {
        imported: results.filter((r) => r.status !== 'redelivered').length,
        redelivered: results.filter((r) => r.status === 'redelivered').length,
        doubles: results.filter((r) => r.status === 'double').length,
        errors,
      };
      return ok(c, report);
    });

    app.get('/api/aid/alarms', requireUser, async (c) => {
      const { active } = parse(z.object({ active: z.enum(['true', 'false']).default('true') }), c.req.query());
      return ok(c, await aid.alarms(villageScope(c), active === 'true'));
    });

    const alarmOf = async (c: Context<Env>) => {
      const { id } = parse(z.object({ id: z.coerce.number().int().min(1) }), { id: c.req.param('id') });
      // Out of scope looks the same as absent: no probing other villages' alarms.
      const a = await aid.alarm(id, villageScope(c));
      if (!a) throw new ApiError('not_found', 'alarm tidak ditemukan');
      return a;
    };
    // First ack kept, resolved once: decided by the database, across servers too (aid-alarm-rows.ts).
    app.post('/api/aid/alarms/:id/ack', requireUser, async (c) => ok(c, await aid.acknowledge((await alarmOf(c)).id, c.get('user').username)));
    app.post('/api/aid/alarms/:id/resolve', requireUser, async (c) => {
      const a = await alarmOf(c);
      const r = await aid.resolve(a.id, parse(AidResolveSchema, await json(c)), c.get('user').username);
      if (r === 'already') throw new ApiError('bad_request', 'alarm sudah diselesaikan');
      return ok(c, r);
    });

    app.get('/api/aid/audit', requireUser, async (c) => {
      const { limit } = parse(z.object({ limit: z.coerce.number().int().min(1).max(5000).default(200) }), c.req.query());
      return ok(c, await aid.audit(villageScope(c), limit));
    });
  };
}
