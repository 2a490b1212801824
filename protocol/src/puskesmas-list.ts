/** Banyuwangi's puskesmas as data (issue 6), apart from puskesmas.ts's zod schemas so a browser bundle takes them without zod. */
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
