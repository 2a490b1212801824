/**
 * Indonesian personal names by cultural group and sex, as they appear on a KTP (no honorifics).
 * Balinese names follow the birth-order system: I (male) / Ni (female), then Wayan/Putu/Gede (1st),
 * Made/Kadek/Nengah (2nd), Nyoman/Komang (3rd), Ketut (4th), then a given name.
 */
import type { Rng } from './rng.ts';

export type NameGroup = 'jawa' | 'osing' | 'madura' | 'bali' | 'muslim' | 'umum';
export type Sex = 'L' | 'P';

type Pool = { L: readonly string[]; P: readonly string[] };

const JAWA: Pool = {
  L: ['Budi', 'Slamet', 'Sugeng', 'Joko', 'Bambang', 'Agus', 'Heru', 'Wahyu', 'Eko', 'Dwi', 'Tri', 'Sutrisno', 'Suyanto', 'Purnomo', 'Hartono', 'Prasetyo', 'Widodo', 'Santoso', 'Nugroho', 'Setiawan', 'Gunawan', 'Suparman', 'Teguh', 'Bayu', 'Adi'],
  P: ['Sri', 'Sulastri', 'Suwarni', 'Rahayu', 'Endang', 'Wulandari', 'Lestari', 'Puji', 'Astuti', 'Ningsih', 'Wahyuni', 'Yuliani', 'Retno', 'Kartini', 'Suharti', 'Setyowati', 'Rini', 'Tutik', 'Dewi', 'Sumiati', 'Handayani', 'Purwanti', 'Indah', 'Ayu'],
};
// Osing (Banyuwangi's own people): Javanese-rooted names plus local favourites.
const OSING: Pool = {
  L: ['Sunardi', 'Supriyadi', 'Suroso', 'Sahuni', 'Mistar', 'Juhadi', 'Sapi\'i', 'Bunali', 'Misnadi', 'Kadir', 'Sutikno', 'Rusdi', 'Sanusi', 'Pitoyo', 'Asmuni', 'Hariyanto'],
  P: ['Temu', 'Misrawi', 'Sunarsih', 'Juwariyah', 'Supiyah', 'Murtini', 'Sumarni', 'Painah', 'Sutiyah', 'Suliha', 'Marsiti', 'Tumini', 'Wiwik', 'Sriatun', 'Kasiyani'],
};
const MADURA: Pool = {
  L: ['Moh. Hasan', 'Abd. Rahem', 'Holil', 'Sahrawi', 'Moh. Toyyib', 'Matsuri', 'Busiri', 'Jumhari', 'Moh. Sholeh', 'Hosnan', 'Sukri', 'Marsuki', 'Rasid', 'Sahlan', 'Maskur'],
  P: ['Siti Aisyah', 'Hotijah', 'Maimunah', 'Marlena', 'Sumiyati', 'Holifah', 'Rukmini', 'Sitti Romlah', 'Nurhayati', 'Saniyah', 'Misnati', 'Jamilah', 'Muzayyanah', 'Salma'],
};
const BALI_GIVEN: Pool = {
  L: ['Sudarsana', 'Suarjana', 'Wirawan', 'Artana', 'Sukarta', 'Budiarta', 'Mertayasa', 'Adnyana', 'Suputra', 'Darmawan', 'Widiana', 'Parwata', 'Sutama', 'Arsana'],
  P: ['Ayu Lestari', 'Sri Wahyuni', 'Suartini', 'Sukarmi', 'Ariani', 'Puspawati', 'Widiastuti', 'Rai Sukmawati', 'Kusumawati', 'Sumerti', 'Ayu Purnami', 'Dewi Astiti', 'Wartini'],
};
const BALI_ORDER = [['Wayan', 'Putu', 'Gede'], ['Made', 'Kadek', 'Nengah'], ['Nyoman', 'Komang'], ['Ketut']] as const;
const MUSLIM: Pool = {
  L: ['Muhammad', 'Ahmad', 'Abdullah', 'Abdul Rahman', 'Ali', 'Hasan', 'Husein', 'Ibrahim', 'Ismail', 'Yusuf', 'Rizky', 'Fauzi', 'Arif', 'Hidayat', 'Syaiful', 'Nur', 'Imam', 'Zainal', 'Mukhlis', 'Lukman'],
  P: ['Siti', 'Nur', 'Fatimah', 'Aisyah', 'Khadijah', 'Zahra', 'Nurul', 'Annisa', 'Aminah', 'Laila', 'Zainab', 'Rahmawati', 'Halimah', 'Fitri', 'Umi', 'Khoirunnisa'],
};
const MUSLIM_FAMILY = ['Hidayat', 'Rahman', 'Hakim', 'Fauzan', 'Maulana', 'Hasyim', 'Syafi\'i', 'Azizah', 'Kurniawan', 'Ramadhan', 'Fadillah', 'Hanafi'];
const UMUM: Pool = {
  L: ['Andi', 'Kevin', 'Reza', 'Dimas', 'Fajar', 'Yoga', 'Aditya', 'Rendy', 'Hendra', 'Christian', 'Michael', 'Yohanes', 'Daniel', 'Ricky', 'Fernando', 'Rafi'],
  P: ['Putri', 'Nadia', 'Amelia', 'Citra', 'Maria', 'Angelina', 'Vania', 'Clara', 'Natalia', 'Rina', 'Melati', 'Anggraini', 'Febriani', 'Novita', 'Yulia', 'Intan'],
};
const UMUM_FAMILY = ['Saputra', 'Pratama', 'Wijaya', 'Kusuma', 'Halim', 'Susanto', 'Siregar', 'Simanjuntak', 'Nasution', 'Tanjung', 'Sihombing', 'Lubis', 'Pangaribuan', 'Manurung', 'Tanoto', 'Permana'];

/** `personName(rng, 'bali', 'P')` → e.g. `'Ni Made Ayu Lestari'`. */
export function personName(rng: Rng, group: NameGroup, sex: Sex): string {
  switch (group) {
    case 'bali': {
      const order = rng.pick(BALI_ORDER);
      return `${sex === 'L' ? 'I' : 'Ni'} ${rng.pick(order)} ${rng.pick(BALI_GIVEN[sex])}`;
    }
    case 'muslim':
      return rng.chance(0.7) ? `${rng.pick(MUSLIM[sex])} ${rng.pick(MUSLIM_FAMILY)}` : rng.pick(MUSLIM[sex]);
    case 'umum':
      return `${rng.pick(UMUM[sex])} ${rng.pick(UMUM_FAMILY)}`;
    case 'jawa':
      // Many Javanese have a single name; some have two.
      return rng.chance(0.45) ? rng.pick(JAWA[sex]) : twoDistinct(rng, JAWA[sex]);
    case 'osing':
      return rng.chance(0.6) ? rng.pick(OSING[sex]) : `${rng.pick(OSING[sex])} ${rng.pick(JAWA[sex])}`;
    case 'madura':
      return rng.pick(MADURA[sex]);
  }
}

function twoDistinct(rng: Rng, pool: readonly string[]): string {
  const a = rng.pick(pool);
  const b = rng.pick(pool);
  return a === b ? a : `${a} ${b}`;
}

const STREETS = ['Jl. Ahmad Yani', 'Jl. Diponegoro', 'Jl. Gajah Mada', 'Jl. Sudirman', 'Jl. Kartini', 'Jl. Imam Bonjol', 'Jl. Hayam Wuruk', 'Jl. Pahlawan', 'Jl. Raya', 'Jl. Masjid', 'Jl. Mawar', 'Jl. Melati', 'Dusun Krajan', 'Dusun Kidul', 'Gg. Anggrek'];
export function streetAddress(rng: Rng): string {
  const street = rng.pick(STREETS);
  return `${street} No. ${rng.int(1, 150)}, RT ${String(rng.int(1, 12)).padStart(3, '0')}/RW ${String(rng.int(1, 8)).padStart(3, '0')}`;
}
