/**
 * HTTP for follow-ups (issue 17): the list (a village officer sees only their village's; command sees
 * all, and may narrow to a village or to what is overdue) and the state change (the destination
 * village's officer, or command). Out of scope looks absent.
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { FOLLOW_UP_STATES, VillageCodeSchema } from '@sk/protocol';
import { ApiError } from '../http/api-error.ts';
import type { Env, RouteGuards } from '../http/app.ts';
import type { Alerts } from './alerts.ts';

const ListSchema = z.object({
  state: z.enum(FOLLOW_UP_STATES).optional(),
  /** true (default): not `selesai`; false: the kept history too. */
  open: z.enum(['true', 'false']).default('true'),
  overdue: z.enum(['true', 'false']).default('false'),
  village: VillageCodeSchema.optional(),
  district: z.string().regex(/^\d{2}\.\d{2}\.\d{2}$/, 'not a district code like 35.10.21').optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

const MoveSchema = z.strictObject({
  state: z.enum(FOLLOW_UP_STATES),
  note: z.string().trim().max(500).refine((s) => !/[\u0000-\u001f<>]/.test(s), 'no control characters or < >').optional(),
});

export function followUpRoutes(alerts: Alerts) {
  return (app: Hono<Env>, g: RouteGuards) => {
    const { requireUser, ok, parse } = g;

    app.get('/api/follow-ups', requireUser, async (c) => {
      const q = parse(ListSchema, c.req.query());
      return ok(c, await alerts.followUps(c.get('user'), {
        state: q.state, open: q.open === 'true', overdue: q.overdue === 'true', villageCode: q.village, districtCode: q.district, limit: q.limit,
      }));
    });

    app.post('/api/follow-ups/:id/state', requireUser, async (c) => {
      const { id } = parse(z.object({ id: z.coerce.number().int().min(1) }), { id: c.req.param('id') });
      const { state, note } = parse(MoveSchema, await c.req.json().catch(() => null));
      const done = await alerts.moveFollowUp(c.get('user'), id, state, note);
      if (!done) throw new ApiError('not_found', 'tindak lanjut tidak ditemukan');
      return ok(c, done);
    });

    app.get('/api/alerts/summary', requireUser, async (c) => ok(c, await alerts.summary(c.get('user'))));
  };
}
