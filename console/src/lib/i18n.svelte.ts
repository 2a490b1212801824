/**
 * A tiny i18n: Bahasa Indonesia first, English as a toggle. One dictionary, typed by the Indonesian
 * keys so a missing English string is a type error. `{name}` placeholders are filled by `t()`.
 * Strings are always rendered as text (never {@html}).
 */
const id = {
  appTitle: 'Smart Kampung Checkpoint',
  appSubtitle: 'Kabupaten Banyuwangi',
  language: 'Bahasa',
  switchLanguage: 'English',
  loginTitle: 'Masuk ke konsol',
  username: 'Nama pengguna',
  password: 'Kata sandi',
  login: 'Masuk',
  loggingIn: 'Sedang masuk…',
  logout: 'Keluar',
  loginFailed: 'Nama pengguna atau kata sandi salah.',
  loginThrottled: 'Terlalu banyak percobaan. Coba lagi beberapa saat lagi.',
  networkError: 'Server tidak dapat dihubungi. Periksa jaringan lalu coba lagi.',
  serverError: 'Terjadi kesalahan di server. Coba lagi.',
  sessionExpired: 'Sesi berakhir. Silakan masuk kembali.',
  connected: 'Terhubung',
  reconnecting: 'Koneksi terputus — menyambung ulang…',
  connecting: 'Menghubungkan…',
  commandTitle: 'Pusat komando',
  villageTitle: 'Kedatangan yang diharapkan',
  villageOf: 'Desa {name}',
  noScreen: 'Peran ini tidak memiliki layar di konsol.',
  today: 'hari ini',
  arrivalsToday: 'Kedatangan hari ini',
  liveFeed: 'Kedatangan langsung',
  shownOf: '{shown} dari {total} ditampilkan',
  noArrivals: 'Belum ada kedatangan.',
  filters: 'Saring',
  checkpoint: 'Pos pemeriksaan',
  district: 'Kecamatan',
  village: 'Desa/Kelurahan',
  health: 'Status kesehatan',
  all: 'Semua',
  clearFilters: 'Hapus saringan',
  name: 'Nama',
  origin: 'Asal',
  destination: 'Tujuan',
  scanTime: 'Waktu pindai',
  colTime: 'Waktu',
  colHealth: 'Kesehatan',
  arrivalsCount: '{n} kedatangan',
  receivedTime: 'Waktu diterima',
  detail: 'Rincian pelaku perjalanan',
  close: 'Tutup',
  selectHint: 'Pilih baris untuk melihat rincian.',
  nik: 'NIK',
  sex: 'Jenis kelamin',
  sexL: 'Laki-laki',
  sexP: 'Perempuan',
  birthDate: 'Tanggal lahir',
  address: 'Alamat asal',
  nikRegency: 'Daerah NIK',
  temperature: 'Suhu',
  symptoms: 'Gejala',
  noSymptoms: 'Tidak ada',
  rapidTest: 'Tes cepat',
  vaccination: 'Dosis vaksin',
  device: 'Perangkat',
  devices: 'Perangkat pos',
  noDevices: 'Belum ada perangkat yang melapor.',
  online: 'Daring',
  offline: 'Luring',
  outboxDepth: 'Antrean',
  lastSeen: 'Terakhir terlihat',
  clockSkew: 'Selisih',
  unknown: '—',
  hourlyChart: 'Kedatangan per jam (WIB)',
  hourlyNote: 'Dihitung dari kedatangan yang diterima konsol ini.',
  status_positif: 'Positif',
  status_demam: 'Demam',
  status_gejala: 'Bergejala',
  status_sehat: 'Sehat',
  rapid_negatif: 'Negatif',
  rapid_positif: 'Positif',
  rapid_tidak_dites: 'Tidak dites',
  loading: 'Memuat…',
  loadFailed: 'Data tidak dapat dimuat.',
  retry: 'Coba lagi',
  historyTruncated: 'Sebagian kedatangan terlewat saat terputus; daftar dimuat ulang.',
};

export type MessageKey = keyof typeof id;

const en: Record<MessageKey, string> = {
  appTitle: 'Smart Kampung Checkpoint',
  appSubtitle: 'Banyuwangi Regency',
  language: 'Language',
  switchLanguage: 'Bahasa Indonesia',
  loginTitle: 'Sign in to the console',
  username: 'Username',
  password: 'Password',
  login: 'Sign in',
  loggingIn: 'Signing in…',
  logout: 'Sign out',
  loginFailed: 'Wrong username or password.',
  loginThrottled: 'Too many attempts. Try again in a moment.',
  networkError: 'The server cannot be reached. Check the network and try again.',
  serverError: 'Something went wrong on the server. Try again.',
  sessionExpired: 'Your session has ended. Please sign in again.',
  connected: 'Connected',
  reconnecting: 'Connection lost — reconnecting…',
  connecting: 'Connecting…',
  commandTitle: 'Command centre',
  villageTitle: 'Expected arrivals',
  villageOf: 'Village {name}',
  noScreen: 'This role has no console screen.',
  today: 'today',
  arrivalsToday: 'Arrivals today',
  liveFeed: 'Live arrivals',
  shownOf: '{shown} of {total} shown',
  noArrivals: 'No arrivals yet.',
  filters: 'Filter',
  checkpoint: 'Checkpoint',
  district: 'District',
  village: 'Village',
  health: 'Health status',
  all: 'All',
  clearFilters: 'Clear filters',
  name: 'Name',
  origin: 'Origin',
  destination: 'Destination',
  scanTime: 'Scan time',
  colTime: 'Time',
  colHealth: 'Health',
  arrivalsCount: '{n} arrivals',
  receivedTime: 'Received',
  detail: 'Traveller details',
  close: 'Close',
  selectHint: 'Select a row to see details.',
  nik: 'NIK',
  sex: 'Sex',
  sexL: 'Male',
  sexP: 'Female',
  birthDate: 'Date of birth',
  address: 'Origin address',
  nikRegency: 'NIK regency',
  temperature: 'Temperature',
  symptoms: 'Symptoms',
  noSymptoms: 'None',
  rapidTest: 'Rapid test',
  vaccination: 'Vaccine doses',
  device: 'Device',
  devices: 'Checkpoint devices',
  noDevices: 'No device has reported yet.',
  online: 'Online',
  offline: 'Offline',
  outboxDepth: 'Outbox',
  lastSeen: 'Last seen',
  clockSkew: 'Skew',
  unknown: '—',
  hourlyChart: 'Arrivals per hour (WIB)',
  hourlyNote: 'Counted from the arrivals this console received.',
  status_positif: 'Positive',
  status_demam: 'Fever',
  status_gejala: 'Symptoms',
  status_sehat: 'Healthy',
  rapid_negatif: 'Negative',
  rapid_positif: 'Positive',
  rapid_tidak_dites: 'Not tested',
  loading: 'Loading…',
  loadFailed: 'The data could not be loaded.',
  retry: 'Retry',
  historyTruncated: 'Some arrivals were missed while disconnected; the list was reloaded.',
};

export type Locale = 'id' | 'en';
const DICTS: Record<Locale, Record<MessageKey, string>> = { id, en };
const STORAGE_KEY = 'sk.locale';

class I18n {
  locale = $state<Locale>(readStoredLocale());

  /** `i18n.t('villageOf', { name: 'Ketapang' })` → `'Desa Ketapang'` */
  t = (key: MessageKey, params?: Record<string, string | number>): string => {
    let s = DICTS[this.locale][key];
    if (params) for (const [k, v] of Object.entries(params)) s = s.replaceAll(`{${k}}`, String(v));
    return s;
  };

  toggle(): void {
    this.locale = this.locale === 'id' ? 'en' : 'id';
    try { localStorage.setItem(STORAGE_KEY, this.locale); } catch { /* private mode: keep in memory */ }
    document.documentElement.lang = this.locale;
  }
}

function readStoredLocale(): Locale {
  try { return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'id'; } catch { return 'id'; }
}

export const i18n = new I18n();
export const t = i18n.t;
