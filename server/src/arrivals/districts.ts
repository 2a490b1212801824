/**
 * Approximate centres (lat, lon) of Banyuwangi's 25 kecamatan (rounded to ~1 km from public maps), used
 * for travel-time estimates and "nearest facility". Keyed by Kemendagri district code.
 */
export const DISTRICT_CENTRES: Readonly<Record<string, readonly [number, number]>> = Object.freeze({
  '35.10.01': [-8.58, 114.06], // Pesanggaran
  '35.10.02': [-8.49, 114.15], // Bangorejo
  '35.10.03': [-8.50, 114.23], // Purwoharjo
  '35.10.04': [-8.56, 114.34], // Tegaldlimo
  '35.10.05': [-8.43, 114.33], // Muncar
  '35.10.06': [-8.43, 114.23], // Cluring
  '35.10.07': [-8.39, 114.19], // Gambiran
  '35.10.08': [-8.38, 114.27], // Srono
  '35.10.09': [-8.37, 114.15], // Genteng
  '35.10.10': [-8.34, 114.06], // Glenmore
  '35.10.11': [-8.29, 113.97], // Kalibaru
  '35.10.12': [-8.31, 114.23], // Singojuruh
  '35.10.13': [-8.31, 114.29], // Rogojampi
  '35.10.14': [-8.27, 114.32], // Kabat
  '35.10.15': [-8.22, 114.31], // Glagah
  '35.10.16': [-8.21, 114.37], // Banyuwangi
  '35.10.17': [-8.19, 114.33], // Giri
  '35.10.18': [-7.97, 114.40], // Wongsorejo
  '35.10.19': [-8.24, 114.19], // Songgon
  '35.10.20': [-8.33, 114.14], // Sempu
  '35.10.21': [-8.12, 114.38], // Kalipuro
  '35.10.22': [-8.55, 114.10], // Siliragung
  '35.10.23': [-8.43, 114.15], // Tegalsari
  '35.10.24': [-8.19, 114.25], // Licin
  '35.10.25': [-8.32, 114.33], // Blimbingsari
});

/** Great-circle distance in km (haversine); Infinity when a code is unknown. */
export function distanceKm(fromDistrict: string, toDistrict: string): number {
  const a = DISTRICT_CENTRES[fromDistrict];
  const b = DISTRICT_CENTRES[toDistrict];
  if (!a || !b) return Number.POSITIVE_INFINITY;
  const rad = Math.PI / 180;
  const dLat = (b[0] - a[0]) * rad;
  const dLon = (b[1] - a[1]) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[0] * rad) * Math.cos(b[0] * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}
