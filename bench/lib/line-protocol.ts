/** InfluxDB 1.x line protocol for an ArrivalPoint (the server's schema), escaped per the 1.x spec. */
import type { ArrivalPoint } from '../../server/src/store/arrival-point.ts';

const tagEsc = (s: string) => s.replace(/[,= \\]/g, (c) => `\\${c}`);
const strEsc = (s: string) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;

export function toLine(p: ArrivalPoint): string {
  const tags = Object.entries(p.tags).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${tagEsc(v)}`).join(',');
  const fields = Object.entries(p.fields)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? (Number.isInteger(v) && (k === 'seq' || k === 'vaccinationDoses') ? `${v}i` : String(v)) : strEsc(v)}`)
    .join(',');
  return `${p.measurement},${tags} ${fields} ${p.timestamp}`;
}
