/** `GET /api/stats/arrivals`: counts per bucket and group; rollups for long ranges, exact in-memory counts for yesterday/today (see rollups.ts). */
import type { Hono } from 'hono';
import { z } from 'zod';
import { ApiError } from '../http/api-error.ts';
import type { Env, RouteGuards } from '../http/app.ts';
import { STATS_GROUPS, type ArrivalRollups } from './rollups.ts';

const StatsSchema = z
  .object({
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
    groupBy: z.enum(STATS_GROUPS).default('checkpoint'),
    interval: z.enum(['1h', '1d']).default('1h'),
  })
  .refine((s) => Date.parse(s.to) > Date.parse(s.from), 'to must be after from')
  .refine((s) => Date.parse(s.to) - Date.parse(s.from) <= 400 * 86_400_000, 'at most 400 days');

export function statsRoutes(rollups: ArrivalRollups) {
  return (app: Hono<Env>, g: RouteGuards) => {
    // Aggregates only, no personal data: every signed-in role may read them.
    app.get('/api/stats/arrivals', g.requireUser, async (c) => {
      const q = g.parse(StatsSchema, c.req.query());
      try {
        return g.ok(c, await rollups.stats(q));
      } catch {
        throw new ApiError('unavailable', 'statistik sedang tidak tersedia (InfluxDB down)');
      }
    });
  };
}
