/** Pure aggregation of daily reports into weekly trends (Monday weeks) and the export layout. */
import { weekStartOf, type DailyReport, type WeeklyTrendRow } from '@sk/protocol';

export function weeklyTrend(reports: readonly DailyReport[]): WeeklyTrendRow[] {
  const weeks = new Map<string, WeeklyTrendRow>();
  for (const r of reports) {
    const w = weekStartOf(r.date);
    const row = weeks.get(w) ?? { weekStart: w, newConfirmed: 0, recoveries: 0, deaths: 0, tests: 0, reports: 0 };
    row.newConfirmed += r.newConfirmed;
    row.recoveries += r.recoveries;
    row.deaths += r.deaths;
    row.tests += r.tests;
    row.reports++;
    weeks.set(w, row);
  }
  return [...weeks.values()].sort((a, b) => a.weekStart.localeCompare(b.weekStart));
}

/** Column order of the CSV export (docs/puskesmas-export.md). */
export const EXPORT_COLUMNS = ['date', 'puskesmas_id', 'puskesmas_name', 'district_code', 'suspects', 'new_confirmed', 'recoveries', 'deaths', 'tests'] as const;

export function exportCsv(rows: readonly { date: string; puskesmasId: string; puskesmasName: string; districtCode: string; suspects: number; newConfirmed: number; recoveries: number; deaths: number; tests: number }[]): string {
  const esc = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = rows.map((r) => [r.date, r.puskesmasId, esc(r.puskesmasName), r.districtCode, r.suspects, r.newConfirmed, r.recoveries, r.deaths, r.tests].join(','));
  return [EXPORT_COLUMNS.join(','), ...lines].join('\r\n') + '\r\n';
}

/** Puskesmas without a report for `date`. */
export function missingFor(date: string, reports: readonly DailyReport[], all: readonly string[]): string[] {
  const have = new Set(reports.filter((r) => r.date === date).map((r) => r.puskesmasId));
  return all.filter((id) => !have.has(id));
}
