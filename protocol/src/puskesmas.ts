/**
 * Puskesmas daily reports (issue 6): the puskesmas list as data, the report payload (HTTP, console
 * form, MQTT), weekly trends and the missing-report notice. Browser-safe: no Node APIs.
 */
import { z } from 'zod';
import { ID_PATTERN, TOPIC_ROOT } from './topics.ts';
import { IsoDateSchema } from './schemas.ts';

export interface Puskesmas { id: string; name: string; districtCode: string }

/**
 * Banyuwangi's puskesmas, keyed to Kemendagri district codes (idn-area-data). Names as published by
 * the regency's health office as far as we know them; THIS LIST NEEDS THE DINKES'S CHECK before
 * production (names, count and district of each, ~45 expected).
 */
export const PUSKESMAS: readonly Puskesmas[] = Object.freeze(
  ([
    ['pesanggaran', 'Pesanggaran', '35.10.01'], ['sumberagung', 'Sumberagung', '35.10.01'],
    ['bangorejo', 'Bangorejo', '35.10.02'], ['sambirejo', 'Sambirejo', '35.10.02'],
    ['purwoharjo', 'Purwoharjo', '35.10.03'], ['grajagan', 'Grajagan', '35.10.03'],
    ['tegaldlimo', 'Tegaldlimo', '35.10.04'], ['kedungwungu', 'Kedungwungu', '35.10.04'],
    ['kedungrejo', 'Kedungrejo', '35.10.05'], ['tembokrejo', 'Tembokrejo', '35.10.05'], ['sumberberas', 'Sumberberas', '35.10.05'],
    ['cluring', 'Cluring', '35.10.06'], ['benculuk', 'Benculuk', '35.10.06'],
    ['gambiran', 'Gambiran', '35.10.07'], ['jajag', 'Jajag', '35.10.07'],
    ['srono', 'Srono', '35.10.08'], ['parijatah-kulon', 'Parijatah Kulon', '35.10.08'],
    ['genteng-kulon', 'Genteng Kulon', '35.10.09'], ['kembiritan', 'Kembiritan', '35.10.09'],
    ['glenmore', 'Glenmore', '35.10.10'], ['sepanjang', 'Sepanjang', '35.10.10'],
    ['kalibaru-kulon', 'Kalibaru Kulon', '35.10.11'],
    ['singojuruh', 'Singojuruh', '35.10.12'],
    ['rogojampi', 'Rogojampi', '35.10.13'], ['gitik', 'Gitik', '35.10.13'],
    ['kabat', 'Kabat', '35.10.14'], ['badean', 'Badean', '35.10.14'],
    ['paspan', 'Paspan', '35.10.15'],
    ['sobo', 'Sobo', '35.10.16'], ['kertosari', 'Kertosari', '35.10.16'], ['singotrunan', 'Singotrunan', '35.10.16'], ['kampung-mandar', 'Kampung Mandar', '35.10.16'],
    ['mojopanggung', 'Mojopanggung', '35.10.17'],
    ['wongsorejo', 'Wongsorejo', '35.10.18'], ['bajulmati', 'Bajulmati', '35.10.18'],
    ['songgon', 'Songgon', '35.10.19'],
    ['sempu', 'Sempu', '35.10.20'], ['gendoh', 'Gendoh', '35.10.20'],
    ['klatak', 'Klatak', '35.10.21'], ['kelir', 'Kelir', '35.10.21'],
    ['siliragung', 'Siliragung', '35.10.22'], ['seneporejo', 'Seneporejo', '35.10.22'],
    ['tegalsari', 'Tegalsari', '35.10.23'],
    ['licin', 'Licin', '35.10.24'],
    ['blimbingsari', 'Blimbingsari', '35.10.25'],
  ] as const).map(([id, name, districtCode]) => Object.freeze({ id, name: `Puskesmas ${name}`, districtCode })),
);

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
