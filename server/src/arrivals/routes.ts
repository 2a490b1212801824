/** HTTP for expected arrivals: list (scoped by role), mark arrived, flag a home unfit for self-isolation. */
import type { Hono } from 'hono';
import { z } from 'zod';
import { UlidSchema, VillageCodeSchema } from '@sk/protocol';
import { ApiError } from '../http/api-error.ts';
import type { Env, RouteGuards } from '../http/app.ts';
import type { PublicUser } from '../auth/users.ts';
import type { ExpectedArrival, ExpectedArrivals } from './expected-arrivals.ts';

const ListSchema = z.object({
  status: z.enum(['expected', 'arrived', 'overdue']).optional(),
  village: VillageCodeSchema.optional(),
  district: z.string().regex(/^\d{2}\.\d{2}\.\d{2}$/, 'not a district code like 35.10.21').optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

/** Acting on an arrival: command, or the officer of its destination village. Out of scope looks absent. */
export async function actionable(arrivals: ExpectedArrivals, user: PublicUser, scanId: string): Promise<ExpectedArrival> {
  const r = await arrivals.get(scanId);
  if (!r || !arrivals.visible(user, r)) throw new ApiError('not_found', 'kedatangan tidak ditemukan');
  if (user.role !== 'command' && !(user.role === 'village' && user.villageCode === r.villageCode)) {
    throw new ApiError('forbidden', 'hanya petugas desa tujuan atau pusat komando');
  }
  return r;
}

export function expectedArrivalRoutes(arrivals: ExpectedArrivals) {
  return (app: Hono<Env>, g: RouteGuards) => {
    const { requireUser, ok, parse } = g;
    const scanIdOf = (raw: string) => parse(z.object({ scanId: UlidSchema }), { scanId: raw }).scanId;

    app.get('/api/expected-arrivals', requireUser, async (c) => ok(c, await arrivals.list(c.get('user'), parse(ListSchema, c.req.query()))));

    app.post('/api/expected-arrivals/:scanId/arrived', requireUser, async (c) => {
      const user = c.get('user');
      const r = await actionable(arrivals, user, scanIdOf(c.req.param('scanId') ?? ''));
      return ok(c, (await arrivals.markArrived(r.scanId, user.username))!);
    });

    app.post('/api/expected-arrivals/:scanId/home-unfit', requireUser, async (c) => {
      const user = c.get('user');
      const r = await actionable(arrivals, user, scanIdOf(c.req.param('scanId') ?? ''));
      const { unfit } = parse(z.strictObject({ unfit: z.boolean() }), await c.req.json().catch(() => null));
      await arrivals.setHomeUnfit(r.scanId, unfit);
      return ok(c, { ...r, homeUnfit: unfit });
    });
  };
}
