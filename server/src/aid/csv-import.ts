/**
 * CSV distribution lists → validated handouts, each bad row reported with its line number and reason
 * (the rest still import). Pure: regions come in, no I/O. Layout: AID_CSV_COLUMNS, header first,
 * comma-separated, double quotes around a field that holds a comma or a quote ("" inside quotes).
 * Without a handoutId column, the id is derived from programme+NIK+date+village, so importing the
 * same list twice redelivers instead of doubling.
 */
import { createHash } from 'node:crypto';
import { AID_CSV_COLUMNS, HandoutInputSchema, describeIssues, parseKk, parseNik, type HandoutInput } from '@sk/protocol';
import type { Regions } from '@sk/protocol/regions';

export const MAX_IMPORT_ROWS = 50_000;

/** Splits one CSV line; quotes per RFC 4180 (no newlines inside fields). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"' && cur === '') quoted = true;
    else if (ch === ',') out.push(cur), (cur = '');
    else cur += ch;
  }
  out.push(cur);
  return out.map((f) => f.trim());
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** A ULID-shaped id derived from the row, so the same row always gets the same id. */
export function derivedHandoutId(programmeId: string, nik: string, date: string, villageCode: string): string {
  const h = createHash('sha256').update(`${programmeId}|${nik}|${date}|${villageCode}`).digest();
  let s = '0';
  for (let i = 0; i < 25; i++) s += CROCKFORD[h[i]! & 31];
  return s;
}

export interface ParsedImport { rows: HandoutInput[]; errors: { line: number; reason: string }[] }

/** `onlyVillage`: a village officer may import only its own village's rows. */
export function parseAidCsv(text: string, regions: Regions, onlyVillage: string | null): ParsedImport {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const errors: ParsedImport['errors'] = [];
  const rows: HandoutInput[] = [];
  const header = splitCsvLine(lines[0] ?? '');
  const missing = AID_CSV_COLUMNS.filter((c) => c !== 'handoutId' && !header.includes(c));
  if (missing.length) return { rows, errors: [{ line: 1, reason: `header: missing column(s) ${missing.join(', ')}` }] };
  if (lines.length - 1 > MAX_IMPORT_ROWS) return { rows, errors: [{ line: 1, reason: `too many rows (at most ${MAX_IMPORT_ROWS})` }] };
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (!raw.trim()) continue;
    const fields = splitCsvLine(raw);
    const lineNo = i + 1;
    if (fields.length !== header.length) {
      errors.push({ line: lineNo, reason: `expected ${header.length} fields, found ${fields.length}` });
      continue;
    }
    const rec: Record<string, string> = Object.fromEntries(header.map((h, j) => [h, fields[j]!]));
    if (!rec.handoutId) rec.handoutId = derivedHandoutId(rec.programmeId ?? '', rec.nik ?? '', rec.date ?? '', rec.villageCode ?? '');
    const parsed = HandoutInputSchema.safeParse(Object.fromEntries(AID_CSV_COLUMNS.map((c) => [c, rec[c]])));
    if (!parsed.success) {
      errors.push({ line: lineNo, reason: describeIssues(parsed.error) });
      continue;
    }
    const reason = semanticProblem(parsed.data, regions, onlyVillage);
    if (reason) errors.push({ line: lineNo, reason });
    else rows.push(parsed.data);
  }
  return { rows, errors };
}

/** NIK/KK layout, a real village, scope. Shared by every entry point. */
export function semanticProblem(h: Pick<HandoutInput, 'nik' | 'villageCode'> & { kk?: string }, regions: Regions, onlyVillage: string | null): string | null {
  const nik = parseNik(h.nik, regions);
  if (!nik.ok) return `nik: ${nik.message}`;
  if (h.kk) {
    const kk = parseKk(h.kk, regions);
    if (!kk.ok) return `kk: ${kk.message}`;
  }
  if (!regions.village(h.villageCode)) return `villageCode: bukan desa/kelurahan di Banyuwangi (${h.villageCode})`;
  if (onlyVillage && h.villageCode !== onlyVillage) return `villageCode: hanya desa Anda sendiri (${onlyVillage})`;
  return null;
}
