/**
 * From the text an OCR engine read off a KTP to the officer's form fields (issue 16). PURE: no I/O,
 * no OCR engine; region names come from a RegionLookup.
 *
 * Every field goes to the form for the officer to confirm, never straight to the outbox. The NIK is
 * checked three ways and FLAGGED (never silently taken) when any fails:
 *   1. the NIK rules (16 digits, known province, a possible birth date, serial ≠ 0000: nik-core.ts);
 *   2. the card itself: the birth date and sex printed on it must be the ones the NIK encodes, and
 *      the NIK's district should be the card's Kecamatan (a moved person's may differ: a warning);
 *   3. the engine's own confidence in each digit (a misread serial passes 1 and 2).
 */
import { parseNik, type RegionLookup } from '@sk/protocol';

export type NikCheck =
  /** Read, valid, agrees with the card: still shown for the officer to confirm. */
  | 'ok'
  /** No 16-digit NIK found. */
  | 'missing'
  /** Breaks the NIK rules (message says which). */
  | 'invalid'
  /** Valid, but the card's printed birth date or sex says otherwise. */
  | 'mismatch'
  /** Valid and agrees, but some digit was read with low confidence, or the region does not match. */
  | 'uncertain';

export interface KtpRead {
  nik: string | null;
  nikCheck: NikCheck;
  /** Why the NIK is flagged, in Bahasa Indonesia (null when `ok`). */
  nikMessage: string | null;
  name: string | null;
  birthPlace: string | null;
  /** ISO YYYY-MM-DD as printed on the card. */
  birthDate: string | null;
  sex: 'L' | 'P' | null;
  /** Alamat, RT/RW, Kel/Desa, Kecamatan joined as the form's one address line. */
  address: string | null;
  kecamatan: string | null;
}

// Characters OCR confuses with digits, in the NIK's place (a NIK is digits only).
const DIGIT_LOOKALIKES: Record<string, string> = {
  O: '0', o: '0', D: '0', Q: '0', U: '0', I: '1', l: '1', i: '1', '|': '1', '!': '1', ']': '1', '[': '1',
  Z: '2', z: '2', S: '5', s: '5', B: '8', G: '6', b: '6', T: '7', A: '4', g: '9', q: '9',
};
// And letters for digits in a name (names on a KTP carry no digits).
const LETTER_LOOKALIKES: Record<string, string> = { '0': 'O', '1': 'I', '!': 'I', '|': 'I', '5': 'S', '8': 'B', '6': 'G', '2': 'Z', '4': 'A', '7': 'T', '€': 'E', '$': 'S' };

/** A line `Label : value` → value; the separator may come out as `:`, `;`, `©`, `=`, `.` or be lost. */
function valueAfter(line: string, label: RegExp): string | null {
  const m = label.exec(line);
  if (!m) return null;
  return line.slice(m.index + m[0].length).replace(/^\s*[:;©=.,~\-—_]*\s*/, '').trim();
}

const LABELS = {
  nik: /^\W{0,3}N\s?[I1l|]\s?K\b/i,
  nama: /^\W{0,3}N\s?a\s?m\s?a\b/i,
  lahir: /^\W{0,3}T\s?e\s?m\s?p\s?a\s?t.{0,6}T\s?g\s?l\.?\s*L\s?a\s?h\s?i\s?r\b/i,
  kelamin: /^\W{0,3}J\s?e\s?n\s?i\s?s\s+K\s?e\s?l\s?a\s?m\s?i\s?n\b/i,
  alamat: /^\W{0,3}A\s?l\s?a\s?m\s?a\s?t\b/i,
  rtrw: /^\W{0,3}R\s?T\s?[/|l1I]\s?R\s?W\b/i,
  desa: /^\W{0,3}K\s?e\s?l\s?[/|l1I]?\s?D\s?e\s?s\s?a\b/i,
  kecamatan: /^\W{0,3}K\s?e\s?c\s?a\s?m\s?a\s?t\s?a\s?n\b/i,
};

/** `'35I02I4IO790OOO1'` → `'3510214107900001'` (only when the result is digits). */
export function nikDigits(raw: string): string {
  return [...raw.replace(/\s+/g, '')].map((c) => DIGIT_LOOKALIKES[c] ?? c).join('').replace(/\D+$/, '');
}

/** A name as printed: capitals, spaces and the few signs names carry (`'`, `.`, `-`, `,`). */
export function cleanName(raw: string): string {
  // A lone bar at the end is the edge of the photo box, not an I.
  return [...raw.replace(/\s+[|\][]+\s*$/, '').toUpperCase()]
    .map((c) => LETTER_LOOKALIKES[c] ?? c)
    .join('')
    .replace(/[^A-Z .,'-]/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/^[ .,'-]+|[ .,'-]+$/g, '')
    .trim();
}

/** Cuts what the right column (photo box, place and date of issue) put after a value. */
function leftColumn(v: string): string {
  return v.replace(/\s{2,}.*$/, '').replace(/\s+[|\][{}]+.*$/, '').trim();
}

const up = (s: string) => s.toUpperCase();

/**
 * `readKtpText(text, regions)` → the form's fields with the NIK's check. `nikDigitConfidence` is the
 * engine's lowest confidence (0–100) over the NIK's digits, when it gave one.
 */
export function readKtpText(text: string, regions: RegionLookup, o: { nikDigitConfidence?: number; minDigitConfidence?: number; today?: string } = {}): KtpRead {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const find = (label: RegExp) => {
    for (const l of lines) {
      const v = valueAfter(l, label);
      if (v !== null) return v;
    }
    return null;
  };

  // NIK: after its label; else the first run of 16 digit-like characters anywhere.
  let nikRaw = find(LABELS.nik);
  let nik = nikRaw !== null ? nikDigits(nikRaw.split(/\s{2,}/)[0] ?? '') : '';
  if (!/^\d{16}$/.test(nik)) {
    const any = /(?:^|\D)(\d{16})(?:\D|$)/.exec(lines.map((l) => nikDigits(l)).join('\n'));
    nik = any ? any[1]! : nik;
  }

  const nameRaw = find(LABELS.nama);
  const name = nameRaw ? cleanName(leftColumn(nameRaw)) || null : null;

  let birthPlace: string | null = null;
  let birthDate: string | null = null;
  const lahir = find(LABELS.lahir);
  if (lahir) {
    // The date is digits: read look-alike letters as digits for the match only (the place keeps its letters).
    const d = /(\d{2})\s*[-/.]\s*(\d{2})\s*[-/.]\s*(\d{4})/.exec(lahir.replace(/[OoD]/g, '0').replace(/[Il|!]/g, '1'));
    if (d) birthDate = `${d[3]}-${d[2]}-${d[1]}`;
    const place = lahir.split(',')[0];
    birthPlace = place ? cleanName(place) || null : null;
  }

  const kelamin = find(LABELS.kelamin);
  const k = kelamin ? up(kelamin) : '';
  const sex: 'L' | 'P' | null = /PEREM|PEREN|REMPU/.test(k) ? 'P' : /LAKI|LAK[I1l]|AKI-/.test(k) ? 'L' : null;

  const alamat = find(LABELS.alamat);
  const rtrw = find(LABELS.rtrw);
  const desa = find(LABELS.desa);
  const kec = find(LABELS.kecamatan);
  const kecamatan = kec ? cleanName(leftColumn(kec)) || null : null;
  const parts: string[] = [];
  if (alamat) parts.push(up(leftColumn(alamat)).replace(/\s+/g, ' '));
  const rw = rtrw ? /(\d{1,3})\s*[/|l1I]\s*(\d{1,3})/.exec(nikDigits(leftColumn(rtrw)).replace(/(\d{3})(\d{3})/, '$1/$2')) : null;
  if (rw) parts.push(`RT/RW ${rw[1]!.padStart(3, '0')}/${rw[2]!.padStart(3, '0')}`);
  if (desa) parts.push(cleanName(leftColumn(desa)));
  if (kecamatan) parts.push(`KEC. ${kecamatan}`);
  const address = parts.filter(Boolean).join(', ') || null;

  const read: Omit<KtpRead, 'nikCheck' | 'nikMessage'> = { nik: nik || null, name, birthPlace, birthDate, sex, address, kecamatan };
  return { ...read, ...checkNik(read, regions, o) };
}

function checkNik(r: Omit<KtpRead, 'nikCheck' | 'nikMessage'>, regions: RegionLookup, o: { nikDigitConfidence?: number; minDigitConfidence?: number; today?: string }): Pick<KtpRead, 'nikCheck' | 'nikMessage'> {
  if (!r.nik || !/^\d{16}$/.test(r.nik)) return { nikCheck: 'missing', nikMessage: 'NIK tidak terbaca: ketik dari kartu' };
  const p = parseNik(r.nik, regions, o.today);
  if (!p.ok) return { nikCheck: 'invalid', nikMessage: `${p.message}: periksa dan ketik ulang dari kartu` };
  if (r.birthDate && r.birthDate !== p.birthDate) return { nikCheck: 'mismatch', nikMessage: 'Tanggal lahir di kartu tidak sesuai NIK terbaca: cocokkan NIK dengan kartu' };
  if (r.sex && r.sex !== p.sex) return { nikCheck: 'mismatch', nikMessage: 'Jenis kelamin di kartu tidak sesuai NIK terbaca: cocokkan NIK dengan kartu' };
  if (!r.birthDate || !r.sex) return { nikCheck: 'uncertain', nikMessage: 'Tanggal lahir atau jenis kelamin di kartu tidak terbaca: cocokkan NIK dengan kartu' };
  if (o.nikDigitConfidence !== undefined && o.nikDigitConfidence < (o.minDigitConfidence ?? 60)) {
    return { nikCheck: 'uncertain', nikMessage: 'Sebagian angka NIK kurang jelas: cocokkan NIK dengan kartu' };
  }
  if (p.warnings.length > 0 || (r.kecamatan && p.districtName && cleanName(p.districtName) !== r.kecamatan)) {
    return { nikCheck: 'uncertain', nikMessage: 'Wilayah NIK tidak sama dengan kecamatan di kartu: cocokkan NIK dengan kartu' };
  }
  return { nikCheck: 'ok', nikMessage: null };
}
