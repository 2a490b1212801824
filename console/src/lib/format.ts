/** Display helpers. Times are shown in WIB (Asia/Jakarta), the regency's time zone, whatever the browser's zone. */
const TZ = 'Asia/Jakarta';

const timeFmt = new Intl.DateTimeFormat('id-ID', { timeZone: TZ, hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const dateTimeFmt = new Intl.DateTimeFormat('id-ID', { timeZone: TZ, day: '2-digit', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const partsFmt = new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hour12: false });

export function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : timeFmt.format(d);
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${dateTimeFmt.format(d)} WIB`;
}

/** `wibDayHour('2026-11-28T01:30:00.000Z')` → `{ day: '2026-11-28', hour: 8 }` */
export function wibDayHour(iso: string): { day: string; hour: number } | null {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return null;
  const p = Object.fromEntries(partsFmt.formatToParts(d).map((x) => [x.type, x.value]));
  return { day: `${p.year}-${p.month}-${p.day}`, hour: Number(p.hour) % 24 };
}

/** A birth date stays a plain `YYYY-MM-DD` string (never a JS Date, which would shift the day). */
export function formatPlainDate(ymd: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd);
  return m ? `${m[3]}-${m[2]}-${m[1]}` : ymd;
}

/** `formatSkew(1500)` → `'+1,5 s'`; null → `'—'` */
export function formatSkew(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const s = ms / 1000;
  return `${s >= 0 ? '+' : '−'}${Math.abs(s).toLocaleString('id-ID', { maximumFractionDigits: 1 })} s`;
}
