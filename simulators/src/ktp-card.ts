/**
 * KTP-like card pictures of generated travellers (issue 16), for the officer screen's OCR tests and
 * benchmark. PURE: a traveller and a seed give the card's text fields (the truth) and an HTML page
 * that draws it in the layout of the real KTP-el (Permendagri 2019): PROVINSI …, KABUPATEN …, NIK,
 * Nama, Tempat/Tgl Lahir, Jenis Kelamin, Alamat, RT/RW, Kel/Desa, Kecamatan, Agama, Status
 * Perkawinan, Pekerjaan, Kewarganegaraan, Berlaku Hingga, a photo box, place and date of issue.
 * Every person is synthetic (a generated NIK and name): never a real person's KTP. The card says
 * "SPESIMEN" under the photo box so no picture can pass for a document.
 * Degraded variants are drawn by the same page (CSS filters and overlays); `cards-render.ts` shoots them.
 */
import { Rng } from './rng.ts';
import type { Traveller } from './travellers.ts';

export const CARD_VARIANTS = ['clean', 'blur', 'rotate', 'jpeg', 'light', 'glare'] as const;
export type CardVariant = (typeof CARD_VARIANTS)[number];
export const DEGRADED_VARIANTS: readonly CardVariant[] = CARD_VARIANTS.filter((v) => v !== 'clean');

/** What is printed on the card, upper case as on a KTP; also the truth written beside each image. */
export interface KtpFields {
  provinsi: string;
  kabupaten: string;
  nik: string;
  nama: string;
  tempatLahir: string;
  /** DD-MM-YYYY as printed. */
  tanggalLahir: string;
  jenisKelamin: 'LAKI-LAKI' | 'PEREMPUAN';
  golDarah: string;
  alamat: string;
  rtRw: string;
  kelDesa: string;
  kecamatan: string;
  agama: string;
  statusPerkawinan: string;
  pekerjaan: string;
  kewarganegaraan: string;
  berlakuHingga: string;
  kotaTerbit: string;
  tanggalTerbit: string;
}

/** The truth beside each image: the printed fields and what the officer's form should receive. */
export interface CardTruth {
  variant: CardVariant;
  fields: KtpFields;
  input: { nik: string; name: string; birthDate: string; sex: 'L' | 'P'; originAddress: string };
}

const RELIGIONS: readonly (readonly [string, number])[] = [['ISLAM', 80], ['HINDU', 8], ['KRISTEN', 7], ['KATHOLIK', 3], ['BUDHA', 2]];
const JOBS = ['PELAJAR/MAHASISWA', 'KARYAWAN SWASTA', 'WIRASWASTA', 'PETANI/PEKEBUN', 'NELAYAN/PERIKANAN', 'MENGURUS RUMAH TANGGA', 'PEDAGANG', 'GURU', 'BURUH HARIAN LEPAS', 'PEGAWAI NEGERI SIPIL'];
const VILLAGE_WORDS = ['SUKA', 'KARANG', 'SUMBER', 'TEGAL', 'WONO', 'BANYU', 'KEBON', 'REJO', 'SARI', 'AGUNG', 'MULYO', 'JATI', 'ASRI', 'DADI'];
const BLOOD = ['A', 'B', 'AB', 'O', '-'];

const up = (s: string) => s.toUpperCase();
const stripKind = (s: string) => s.replace(/^(KABUPATEN|KOTA ADMINISTRASI|KOTA ADM\.|KOTA)\s+/i, '');

/** `ktpFields(traveller, regions, rng)` — the printed text of this traveller's card. */
export function ktpFields(t: Traveller, names: { province: string; regency: string; district: string }, rng: Rng, today: string): KtpFields {
  const [y, m, d] = t.input.birthDate.split('-');
  // originAddress is "<street> No. n, RT 00a/RW 00b, Kec. …, …" (travellers.ts): the card splits it.
  const [street = '', rtrw = ''] = t.input.originAddress.split(', ');
  const rt = /RT (\d+)\/RW (\d+)/.exec(rtrw);
  const age = Number(today.slice(0, 4)) - Number(y);
  const issued = `${String(rng.int(1, 28)).padStart(2, '0')}-${String(rng.int(1, 12)).padStart(2, '0')}-${rng.int(2012, Number(today.slice(0, 4)) - 1)}`;
  const regency = up(names.regency);
  return {
    provinsi: `PROVINSI ${up(names.province)}`,
    kabupaten: regency,
    nik: t.input.nik,
    nama: up(t.input.name),
    tempatLahir: stripKind(regency),
    tanggalLahir: `${d}-${m}-${y}`,
    jenisKelamin: t.input.sex === 'L' ? 'LAKI-LAKI' : 'PEREMPUAN',
    golDarah: rng.pick(BLOOD),
    alamat: up(street),
    rtRw: rt ? `${rt[1]}/${rt[2]}` : '001/001',
    kelDesa: `${rng.pick(VILLAGE_WORDS)}${rng.pick(VILLAGE_WORDS)}`.replace(/(.+)\1/, '$1JAYA'),
    kecamatan: up(names.district),
    agama: rng.weighted(RELIGIONS),
    statusPerkawinan: age < 20 ? 'BELUM KAWIN' : rng.weighted([['KAWIN', 70], ['BELUM KAWIN', 25], ['CERAI MATI', 5]]),
    pekerjaan: age < 20 ? 'PELAJAR/MAHASISWA' : rng.pick(JOBS),
    kewarganegaraan: 'WNI',
    berlakuHingga: 'SEUMUR HIDUP',
    kotaTerbit: stripKind(regency),
    tanggalTerbit: issued,
  };
}

/** The address the officer's form gets from a card: street, RT/RW, village and district. */
export function cardAddress(f: Pick<KtpFields, 'alamat' | 'rtRw' | 'kelDesa' | 'kecamatan'>): string {
  return `${f.alamat}, RT/RW ${f.rtRw}, ${f.kelDesa}, KEC. ${f.kecamatan}`;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Overlay and transform of each variant; `rng` varies angle, blur and light between cards. */
function variantStyle(v: CardVariant, rng: Rng): { card: string; overlay: string } {
  switch (v) {
    case 'clean':
      return { card: '', overlay: '' };
    case 'blur':
      return { card: `filter: blur(${(0.6 + rng.next() * 0.5).toFixed(2)}px);`, overlay: '' };
    case 'rotate': {
      const deg = (rng.chance(0.5) ? -1 : 1) * (2 + rng.next() * 3);
      return { card: `transform: rotate(${deg.toFixed(2)}deg);`, overlay: '' };
    }
    case 'jpeg':
      // Sensor noise drawn as fine turbulence; the shot itself is a low-quality JPEG (cards-render.ts).
      return { card: '', overlay: `<svg class="ov" viewBox="0 0 1000 630" preserveAspectRatio="none"><filter id="n"><feTurbulence type="fractalNoise" baseFrequency="0.9" numOctaves="2" seed="${rng.int(1, 999)}"/><feColorMatrix values="0 0 0 0 0.5  0 0 0 0 0.5  0 0 0 0 0.5  0 0 0 0.35 0"/></filter><rect width="100%" height="100%" filter="url(#n)"/></svg>` };
    case 'light': {
      const angle = rng.int(0, 359);
      return { card: '', overlay: `<div class="ov" style="background:linear-gradient(${angle}deg, rgba(0,0,0,.45), rgba(0,0,0,0) 70%); mix-blend-mode:multiply"></div>` };
    }
    case 'glare': {
      const x = rng.int(15, 85);
      const y = rng.int(15, 85);
      return { card: '', overlay: `<div class="ov" style="background:radial-gradient(ellipse 22% 30% at ${x}% ${y}%, rgba(255,255,255,.8), rgba(255,255,255,0) 100%)"></div>` };
    }
  }
}

/** A full HTML page drawing the card in `#card` (1000 × 630 px, ~ 85.6 × 54 mm at 11.7 px/mm). */
export function ktpCardHtml(f: KtpFields, variant: CardVariant, rng: Rng): string {
  const { card, overlay } = variantStyle(variant, rng);
  const row = (label: string, value: string) => `<tr><td class="l">${esc(label)}</td><td class="c">:</td><td>${esc(value)}</td></tr>`;
  return `<!doctype html><html><head><meta charset="utf-8"><style>
  html,body{margin:0;background:#8a8f94}
  #shot{width:1080px;height:710px;display:flex;align-items:center;justify-content:center}
  #card{position:relative;width:1000px;height:630px;border-radius:28px;overflow:hidden;font-family:'DejaVu Sans',sans-serif;color:#111;
    background:linear-gradient(135deg,#bfe0f5 0%,#e3f1fb 45%,#c9e6f7 100%);${card}}
  #card::before{content:'';position:absolute;inset:0;background:repeating-radial-gradient(circle at 30% 60%,rgba(255,255,255,.0) 0 14px,rgba(120,170,210,.12) 14px 16px)}
  .hd{position:absolute;top:18px;left:0;right:0;text-align:center;font-weight:bold;font-size:28px;line-height:36px}
  table{position:absolute;top:104px;left:34px;border-collapse:collapse;font-size:21px;line-height:29px}
  td{padding:0;vertical-align:top;white-space:nowrap}
  td.l{width:230px}td.c{width:22px}
  tr.nik td{font-size:34px;font-weight:bold;line-height:46px;padding-bottom:4px}
  .photo{position:absolute;right:40px;top:130px;width:210px;height:270px;background:#d6d9dc;border:2px solid #7c8a96}
  .photo span{position:absolute;bottom:8px;left:0;right:0;text-align:center;font-size:14px;color:#555}
  .issued{position:absolute;right:40px;top:420px;width:210px;text-align:center;font-size:17px;line-height:24px}
  .ov{position:absolute;inset:0;width:100%;height:100%;pointer-events:none}
  </style></head><body><div id="shot"><div id="card">
  <div class="hd">${esc(f.provinsi)}<br>${esc(f.kabupaten)}</div>
  <table>
  <tr class="nik"><td class="l">NIK</td><td class="c">:</td><td>${esc(f.nik)}</td></tr>
  ${row('Nama', f.nama)}
  ${row('Tempat/Tgl Lahir', `${f.tempatLahir}, ${f.tanggalLahir}`)}
  <tr><td class="l">Jenis Kelamin</td><td class="c">:</td><td>${esc(f.jenisKelamin)}&nbsp;&nbsp;&nbsp;&nbsp;Gol. Darah : ${esc(f.golDarah)}</td></tr>
  ${row('Alamat', f.alamat)}
  ${row('RT/RW', f.rtRw)}
  ${row('Kel/Desa', f.kelDesa)}
  ${row('Kecamatan', f.kecamatan)}
  ${row('Agama', f.agama)}
  ${row('Status Perkawinan', f.statusPerkawinan)}
  ${row('Pekerjaan', f.pekerjaan)}
  ${row('Kewarganegaraan', f.kewarganegaraan)}
  ${row('Berlaku Hingga', f.berlakuHingga)}
  </table>
  <div class="photo"><span>SPESIMEN</span></div>
  <div class="issued">${esc(f.kotaTerbit)}<br>${esc(f.tanggalTerbit)}</div>
  ${overlay}
  </div></div></body></html>`;
}
