/**
 * Puskesmas daily reports (issue 6): the puskesmas list as data, the report payload (HTTP, console
 * form, MQTT), weekly trends and the missing-report notice. Browser-safe: no Node APIs.
 */
import { z } from 'zod';
import { ID_PATTERN, TOPIC_ROOT } from './topics.ts';
import { IsoDateSchema } from './schemas.ts';

import { PUSKESMAS, type Puskesmas } from './puskesmas-list.ts';
export { PUSKESMAS, type Puskesmas } from './puskesmas-list.ts';

export const PUSKESMAS_IDS = PUSKESMAS.map((p) => p.id);

/** `puskesmasById('sobo')?.districtCode` → `'35.10.16'` */
export function puskesmasById(id: string): Puskesmas | undefined {
  return PUSKESMAS.find((p) => p.id === id);
}

const count = z.number().int().min(0).max(100_000);

/** One puskesmas's report for one day (WIB). A second report for the same day replaces the first. */
export const DailyReportSchema = z.strictObject({
  puskesmasId: z.enum(PUSKESMAS_IDS as [string, ...string[]]),
  date: IsoDateSchema,
  /** Suspects (suspek) under observation at the end of the day. */
  suspects: count,
  newConfirmed: count,
  recoveries: count,
  deaths: count,
  /** Tests (PCR + antigen) taken that day. */
  tests: count,
});
export type DailyReport = z.infer<typeof DailyReportSchema>;

/** MQTT payload from a puskesmas device (the same report, versioned). */
export const PuskesmasReportMessageSchema = DailyReportSchema.extend({ v: z.literal(1) });

/** `puskesmasTopic('sobo', 'sobo-01')` → `sk/v1/puskesmas/sobo/devices/sobo-01/reports` */
export function puskesmasTopic(puskesmasId: string, deviceId: string): string {
  if (!ID_PATTERN.test(puskesmasId) || !ID_PATTERN.test(deviceId)) throw new Error('invalid puskesmas or device id');
  return `${TOPIC_ROOT}/puskesmas/${puskesmasId}/devices/${deviceId}/reports`;
}
export const PUSKESMAS_SUBSCRIPTION = `${TOPIC_ROOT}/puskesmas/+/devices/+/reports`;

/** `parsePuskesmasTopic('sk/v1/puskesmas/sobo/devices/sobo-01/reports')` → `{ puskesmasId: 'sobo', deviceId: 'sobo-01' }`, else null. */
export function parsePuskesmasTopic(topic: string): { puskesmasId: string; deviceId: string } | null {
  const p = topic.split('/');
  if (p.length !== 7 || `${p[0]}/${p[1]}` !== TOPIC_ROOT || p[2] !== 'puskesmas' || p[4] !== 'devices' || p[6] !== 'reports') return null;
  if (!ID_PATTERN.test(p[3]!) || !ID_PATTERN.test(p[5]!)) return null;
  return { puskesmasId: p[3]!, deviceId: p[5]! };
}

/** One ISO week (Monday start, WIB dates) of summed reports. */
export interface WeeklyTrendRow {
  /** Monday of the week, YYYY-MM-DD. */
  weekStart: string;
  newConfirmed: number;
  recoveries: number;
  deaths: number;
  tests: number;
  /** Reports received that week (up to 7 × puskesmas). */
  reports: number;
}
export interface WeeklyTrend { puskesmasId: string | null; weeks: WeeklyTrendRow[] }

/** Sent to the command centre when reports are missing at the deadline hour. */
export interface PuskesmasMissing { date: string; deadlineHour: number; missing: string[]; at: string }

/** `weekStartOf('2021-07-15')` → `'2021-07-12'` (the Monday). Plain calendar arithmetic in UTC, no time zone. */
export function weekStartOf(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  const dow = (d.getUTCDay() + 6) % 7;
  d.setUTCDate(d.getUTCDate() - dow);
  return d.toISOString().slice(0, 10);
}
