/** Test fixtures of the wire contract, shared by the protocol's unit tests. */
import type { Scan } from './schemas.ts';

/** A valid scan: Siti Aminah, born 1 July 1990 (NIK of Kalipuro), going to Kalipuro, healthy. */
export const SAMPLE_SCAN: Readonly<Scan> = Object.freeze({
  v: 1,
  scanId: '01JD0000000000000000000000',
  checkpointId: 'ketapang',
  deviceId: 'ketapang-01',
  seq: 1,
  scannedAt: '2026-11-28T01:02:03.456Z',
  nik: '3510214107900001',
  name: 'Siti Aminah',
  sex: 'P',
  birthDate: '1990-07-01',
  originAddress: 'Jl. Gajah Mada 12, Denpasar',
  destinationVillageCode: '35.10.21.1001',
  health: Object.freeze({ temperatureC: 36.6, symptoms: [], rapidTest: 'negatif', vaccinationDoses: 2 }),
}) as Scan;

/** The topic identity of SAMPLE_SCAN. */
export const SAMPLE_IDENTITY = { checkpointId: 'ketapang', deviceId: 'ketapang-01' } as const;
