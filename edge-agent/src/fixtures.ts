/** Valid sample inputs (no I/O), for tests, benchmarks and demos. Synthetic people only. */
import type { ScanInput } from '@sk/protocol';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** A ScanInput that passes `checkScanInput`: Kalipuro-registered NIK, destination Sarongan (35.10.01.2001). */
export function validScanInput(i: number): ScanInput {
  const day = (i % 28) + 1;
  const month = (Math.floor(i / 28) % 12) + 1;
  const yy = 70 + (Math.floor(i / 336) % 30);
  const serial = (i % 9999) + 1;
  return {
    nik: `351021${pad(day)}${pad(month)}${pad(yy)}${pad(serial, 4)}`,
    name: `Traveller ${i}`,
    sex: 'L',
    birthDate: `19${pad(yy)}-${pad(month)}-${pad(day)}`,
    originAddress: 'Denpasar, Bali',
    destinationVillageCode: '35.10.01.2001',
    health: { temperatureC: 36.6, symptoms: [], rapidTest: 'negatif', vaccinationDoses: 2 },
  };
}
