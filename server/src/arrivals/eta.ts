/**
 * Travel time from a checkpoint to a destination district, pure. An operator's table
 * (DATA_DIR/server/travel-times.json: `{ "defaultMin": 120, "checkpoints": { "ketapang": { "35.10.16": 25 } } }`)
 * wins; otherwise an estimate from the district centres (30 km/h on rural roads, plus 20 minutes,
 * rounded up to 10), and `defaultMin` (2 h) when a district is unknown.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { checkpointById, type Scan } from '@sk/protocol';
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

/**
 * When a traveller is expected at the destination village: the server's receive time plus the route's
 * travel time, in whole seconds (a travel estimate in minutes has no milliseconds). The scans table
 * keeps it per row (`eta`) at insert, so every scan is its village's expected arrival.
 * `makeEtaFor(loadTravelTimes(file))` honours the operator's table; `etaFor` uses the estimate.
 *
 * `etaFor(scan, Date.parse('2026-11-28T03:00:00.400Z'))` for Ketapang → Kalipuro → `'2026-11-28T03:20:00.000Z'`
 */
export function makeEtaFor(t: TravelTimes): (scan: Pick<Scan, 'checkpointId' | 'destinationVillageCode'>, receivedAtMs: number) => string {
  // Per `checkpoint>district` route (at most 4 × 25): its minutes, and the last text with its second:
  // the scans of one route in one second share one string (formatting an ISO time per scan showed in
  // the e2e profile, issue 5).
  const routes = new Map<string, { ms: number; second: number; eta: string }>();
  return (scan, receivedAtMs) => {
    const district = scan.destinationVillageCode.slice(0, 8);
    const key = `${scan.checkpointId}>${district}`;
    let r = routes.get(key);
    if (!r) routes.set(key, (r = { ms: travelMinutes(scan.checkpointId, district, t) * 60_000, second: Number.NaN, eta: '' }));
    const second = Math.floor(receivedAtMs / 1000);
    if (second !== r.second) {
      r.second = second;
      r.eta = new Date(second * 1000 + r.ms).toISOString();
    }
    return r.eta;
  };
}

/** {@link makeEtaFor} on the district-centre estimate (no operator table). */
export const etaFor: (scan: Pick<Scan, 'checkpointId' | 'destinationVillageCode'>, receivedAtMs: number) => string = makeEtaFor(DEFAULT_TRAVEL_TIMES);
