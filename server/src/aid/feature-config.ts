/**
 * Settings of the aid and puskesmas features, read once and validated (every problem listed).
 * Kept beside the features so server/config.ts stays untouched while others change it; to be folded
 * into config.ts when that settles.
 */
import { z } from 'zod';

const Schema = z.object({
  /** The HMAC secret of the double-aid index; default: DATA_DIR/server/aid/secret (made 0600). */
  AID_HMAC_SECRET: z.string().min(16, 'at least 16 characters').optional(),
  /** Hour (WIB, 0–23) by which every puskesmas must have sent today's report. */
  PUSKESMAS_DEADLINE_HOUR: z.coerce.number().int().min(0).max(23).default(14),
});

export interface FeatureConfig { readonly aidHmacSecret?: string; readonly puskesmasDeadlineHour: number }

export function loadFeatureConfig(env: Record<string, string | undefined>): FeatureConfig {
  const clean = Object.fromEntries(Object.entries(env).filter(([k, v]) => v !== undefined && v !== '' && k in Schema.shape));
  const r = Schema.safeParse(clean);
  if (!r.success) throw new Error(`invalid configuration:\n  ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n  ')}`);
  return Object.freeze({ aidHmacSecret: r.data.AID_HMAC_SECRET, puskesmasDeadlineHour: r.data.PUSKESMAS_DEADLINE_HOUR });
}
