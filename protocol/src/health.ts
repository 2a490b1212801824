/** A traveller's health status (zod-free, so a browser bundle takes it without zod). */
import type { HealthScreening } from './schemas.ts';

/** Health status of a traveller, derived from the screening; an InfluxDB tag and a console filter. */
export type HealthStatus = 'positif' | 'demam' | 'gejala' | 'sehat';
export const HEALTH_STATUSES: readonly HealthStatus[] = ['positif', 'demam', 'gejala', 'sehat'];
export const FEVER_THRESHOLD_C = 37.5;

/** `healthStatus({ temperatureC: 38.1, symptoms: [], rapidTest: 'negatif', vaccinationDoses: 2 })` → `'demam'` (worst first). */
export function healthStatus(h: HealthScreening, feverC = FEVER_THRESHOLD_C): HealthStatus {
  if (h.rapidTest === 'positif') return 'positif';
  if (h.temperatureC >= feverC) return 'demam';
  if (h.symptoms.length > 0) return 'gejala';
  return 'sehat';
}
