/**
 * Geometry for the schematic map of Banyuwangi: a coastline sketch and the 25 districts placed at
 * their approximate centres (longitude/latitude to SVG units, 500 units per degree). Hand-made and
 * deliberately rough: the map shows where the checkpoints are and how they are doing, not borders.
 */
const LON0 = 113.82;
const LAT0 = -7.82;
const K = 500;
export const MAP_W = 420;
export const MAP_H = 490;

export const project = ([lon, lat]: readonly [number, number]): [number, number] => [Math.round((lon - LON0) * K), Math.round((LAT0 - lat) * K)];
const path = (pts: readonly (readonly [number, number])[], close = false) =>
  pts.map((p, i) => `${i ? 'L' : 'M'}${project(p).join(',')}`).join(' ') + (close ? ' Z' : '');

/** The land, north-west corner clockwise along the coast and back along the inland border. */
const LAND: [number, number][] = [
  [113.85, -8.08], [114.05, -7.98], [114.2, -7.9], [114.3, -7.86], [114.43, -7.87], [114.41, -8.0], [114.38, -8.12],
  [114.39, -8.25], [114.36, -8.37], [114.34, -8.45], [114.42, -8.52], [114.55, -8.55], [114.63, -8.66], [114.52, -8.77],
  [114.38, -8.71], [114.24, -8.67], [114.1, -8.63], [113.96, -8.61], [113.85, -8.56],
];
export const LAND_PATH = path(LAND, true);
/** The coast only (the inland border to Situbondo/Bondowoso/Jember is drawn dashed). */
export const COAST_PATH = path(LAND.slice(1, -1));
export const BORDER_PATH = path([LAND[LAND.length - 2]!, LAND[LAND.length - 1]!, LAND[0]!, LAND[1]!]);
/** The western tip of Bali across the strait. */
export const BALI_PATH = path([[114.47, -8.09], [114.68, -8.1], [114.68, -8.42], [114.58, -8.36], [114.5, -8.27], [114.46, -8.18]], true);

/** District code (35.10.xx) → [lon, lat] of its approximate centre. Names come from /api/regions. */
export const DISTRICT_AT: Record<string, [number, number]> = {
  '35.10.01': [114.02, -8.57], '35.10.02': [114.14, -8.53], '35.10.03': [114.24, -8.52], '35.10.04': [114.36, -8.61],
  '35.10.05': [114.32, -8.44], '35.10.06': [114.22, -8.43], '35.10.07': [114.12, -8.44], '35.10.08': [114.25, -8.38],
  '35.10.09': [114.15, -8.37], '35.10.10': [114.04, -8.3], '35.10.11': [113.93, -8.28], '35.10.12': [114.22, -8.31],
  '35.10.13': [114.29, -8.33], '35.10.14': [114.33, -8.27], '35.10.15': [114.28, -8.22], '35.10.16': [114.36, -8.21],
  '35.10.17': [114.33, -8.17], '35.10.18': [114.36, -7.95], '35.10.19': [114.15, -8.24], '35.10.20': [114.12, -8.31],
  '35.10.21': [114.35, -8.1], '35.10.22': [114.06, -8.5], '35.10.23': [114.07, -8.41], '35.10.24': [114.22, -8.17],
  '35.10.25': [114.33, -8.31],
};

/** Where each checkpoint's marker sits (on the coast or the road in, not the district centre). */
export const CHECKPOINT_AT: Record<string, [number, number]> = {
  ketapang: [114.395, -8.13], wongsorejo: [114.28, -7.9], kalibaru: [113.88, -8.25], blimbingsari: [114.35, -8.32],
};

export type CheckpointState = 'alert' | 'offline' | 'online' | 'none';
