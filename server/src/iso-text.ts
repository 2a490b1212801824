/** An instant as ISO text, formatted once per millisecond: thousands of scans share one at load, and formatting per scan showed in the e2e profile (issue 5). `isoAt(0)` → `'1970-01-01T00:00:00.000Z'` */
let lastMs = -1;
let lastIso = '';
export function isoAt(ms: number): string {
  if (ms !== lastMs) (lastMs = ms), (lastIso = new Date(ms).toISOString());
  return lastIso;
}
