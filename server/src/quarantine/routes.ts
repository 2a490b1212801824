/** HTTP for quarantine: facilities with occupancy (everyone signed in), facility upsert (command), assignments (scoped). */
import type { Hono } from 'hono';
import { z } from 'zod';
import { UlidSchema } from '@sk/protocol';
import { ApiError } from '../http/api-error.ts';
import type { Env, RouteGuards } from '../http/app.ts';
import type { PublicUser } from '../auth/users.ts';
import type { ExpectedArrivals } from '../arrivals/expected-arrivals.ts';
import { actionable } from '../arrivals/routes.ts';
import { FacilitySchema } from './facilities.ts';
import { QUARANTINE_REASONS, QuarantineError, type Assignment, type Quarantine } from './quarantine.ts';

const AssignSchema = z.strictObject({ scanId: UlidSchema, reason: z.enum(QUARANTINE_REASONS), days: z.number().int().min(1).max(60).optional() });

const visibleTo = (user: PublicUser) => (a: Assignment) =>
  user.role === 'command' || (user.role === 'village' ? a.villageCode === user.villageCode : a.checkpointId === user.checkpointId);

function mapError(e: unknown): never {
  if (e instanceof QuarantineError) {
    throw new ApiError(e.code === 'full' ? 'conflict' : e.code === 'not_found' ? 'not_found' : 'bad_request', e.message);
  }
  throw e;
}

export function quarantineRoutes(q: Quarantine, arrivals: ExpectedArrivals) {
  return (app: Hono<Env>, g: RouteGuards) => {
    const { requireUser, requireCommand, ok, parse } = g;
    const body = (c: { req: { json(): Promise<unknown> } }) => c.req.json().catch(() => null);

    app.get('/api/quarantine/facilities', requireUser, async (c) => ok(c, await q.occupancy()));
    app.post('/api/quarantine/facilities', requireUser, requireCommand, async (c) => ok(c, await q.upsertFacility(parse(FacilitySchema, await body(c)), c.get('user').username), 201));

    app.get('/api/quarantine/assignments', requireUser, async (c) => {
      const { active } = parse(z.object({ active: z.enum(['true', 'false']).default('true') }), c.req.query());
      return ok(c, await q.assignments(c.get('user'), active === 'true'));
    });

    app.post('/api/quarantine/assignments', requireUser, async (c) => {
      const user = c.get('user');
      const input = parse(AssignSchema, await body(c));
      const r = await arrivals.get(input.scanId);
      // A checkpoint supervisor may place the travellers screened at their checkpoint.
      const atOwnCheckpoint = r && user.role === 'checkpoint' && r.checkpointId === user.checkpointId;
      const target = atOwnCheckpoint ? r : await actionable(arrivals, user, input.scanId);
      if (input.reason === 'home_unfit') await arrivals.setHomeUnfit(target.scanId, true);
      try {
        const { assignment, created } = await q.assign(target, input.reason, user, input.days);
        return ok(c, assignment, created ? 201 : 200);
      } catch (e) {
        mapError(e);
      }
    });

    app.post('/api/quarantine/assignments/:id/release', requireUser, async (c) => {
      const { id } = parse(z.object({ id: z.string().regex(/^\d{1,15}$/, 'an assignment id') }), { id: c.req.param('id') });
      const user = c.get('user');
      const a = await q.get(id);
      if (!a || !visibleTo(user)(a)) throw new ApiError('not_found', 'penempatan tidak ditemukan');
      try {
        return ok(c, await q.release(id, user.username));
      } catch (e) {
        mapError(e);
      }
    });
  };
}
