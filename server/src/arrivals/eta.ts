/**
 * Travel time from a checkpoint to a destination district, pure. An operator's table
 * (DATA_DIR/server/travel-times.json: `{ "defaultMin": 120, "checkpoints": { "ketapang": { "35.10.16": 25 } } }`)
 * wins; otherwise an estimate from the district centres (30 km/h on rural roads, plus 20 minutes,
 * rounded up to 10), and `defaultMin` (2 h) when a district is unknown.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { checkpointById } from '@sk/protocol';
import { distanceKm } from './districts.ts';

export const TravelTimesSchema = z.strictObject({
  defaultMin: z.number().int().min(1).max(7 * 24 * 60).default(120),
  checkpoints: z.record(z.string(), z.record(z.string().regex(/^\d{2}\.\d{2}\.\d{2}$/), z.number().int().min(1).max(7 * 24 * 60))).default({}),
});
export type TravelTimes = z.infer<typeof TravelTimesSchema>;

export const DEFAULT_TRAVEL_TIMES: TravelTimes = { defaultMin: 120, checkpoints: {} };

/** `travelMinutes('ketapang', '35.10.21', table)` → 30 */
export function travelMinutes(checkpointId: string, destDistrict: string, t: TravelTimes): number {
  const fixed = t.checkpoints[checkpointId]?.[destDistrict];
  if (fixed !== undefined) return fixed;
  const from = checkpointById(checkpointId)?.districtCode;
  const km = from ? distanceKm(from, destDistrict) : Number.POSITIVE_INFINITY;
  if (!Number.isFinite(km)) return t.defaultMin;
  return Math.ceil((20 + (km / 30) * 60) / 10) * 10;
}

/** Reads the operator's table once at start; a broken file is an error listing every problem. */
export function loadTravelTimes(file: string): TravelTimes {
  if (!existsSync(file)) return DEFAULT_TRAVEL_TIMES;
  const r = TravelTimesSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!r.success) throw new Error(`${file}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}
