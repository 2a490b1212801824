import Influx from 'influx';
import { describe, expect, it } from 'vitest';
import type { Scan } from '@sk/protocol';
import { scanToPoint, scanToPointV1, scanToPointV2 } from './arrival-point.ts';
import { scanToRow } from '../db/scan-rows.ts';
import { linesToBody, pointToLine, rowLine, scanLine, scansToBody } from './line-protocol.ts';

const scan: Scan = {
  v: 1, scanId: '01JD0000000000000000000000', checkpointId: 'ketapang', deviceId: 'ketapang-01', seq: 1_000_007,
  scannedAt: '2026-11-28T01:02:03.456Z', nik: '5103014107900001', name: 'Ni "Luh", =x \\ <b>', sex: 'P', birthDate: '1990-07-01',
  originAddress: 'Jl. A, 1 = 2', destinationVillageCode: '35.10.21.2003',
  health: { temperatureC: 37.8, symptoms: ['batuk', 'demam'], rapidTest: 'negatif', vaccinationDoses: 2 },
};

/** What node-influx sends for the same points (its HTTP pool replaced by a recorder; no network). */
async function nodeInfluxBody(points: ReturnType<typeof scanToPoint>[]): Promise<string> {
  const influx = new Influx.InfluxDB({ host: '127.0.0.1', database: 'x' });
  let body = '';
  (influx as unknown as { _pool: unknown })._pool = { discard: async (o: { body: string }) => void (body = o.body) };
  await influx.writePoints(points, { precision: 'n' });
  return body;
}

/** Series key with its tags sorted, then fields and timestamp: equal lines mean equal points. */
function canonical(line: string): string {
  const [seriesPart, ...rest] = line.split(/(?<!\\) /);
  const [measurement, ...tags] = seriesPart!.split(/(?<!\\),/);
  return [measurement, ...tags.sort()].join(',') + ' ' + rest.join(' ');
}

describe('arrival line protocol', () => {
  it('writes the same points node-influx wrote (tags, field names and types, escapes, timestamp)', async () => {
    const points = [scanToPoint(scan, 37.5), scanToPoint({ ...scan, seq: 2, health: { ...scan.health, symptoms: [] } }, 37.5)];
    const theirs = (await nodeInfluxBody(points)).split('\n');
    const ours = scansToBody([scan, { ...scan, seq: 2, health: { ...scan.health, symptoms: [] } }], 37.5).toString('utf8').split('\n');
    expect(ours.map(canonical)).toEqual(theirs.map(canonical));
    // The v1 layout (five fields, still read, and written by the 2.x store) too.
    const v1 = [scanToPointV1(scan, 37.5)];
    expect(v1.map(pointToLine).map(canonical)).toEqual((await nodeInfluxBody(v1)).split('\n').map(canonical));
  });

  it('keeps integers as floats (a field type is fixed per shard) and escapes tag and string specials', () => {
    const v1 = pointToLine(scanToPointV1(scan, 37.5));
    expect(v1).toContain('seq=1000007,');
    expect(v1).not.toMatch(/=\d+i[, ]/);
    expect(pointToLine(scanToPoint(scan, 37.5))).toMatch(/ symptoms=2,temperatureC=37\.8,vaccinationDoses=2 \d+$/);
    const line = pointToLine(scanToPointV2(scan, 37.5));
    expect(line).toMatch(/ record="2\u001f35\.10\.21\.2003\u001f01JD0+\u001f1000007\u001f37\.8\u001f/);
    // The name travels inside the record field: its quote and backslash escaped, the rest as it is.
    expect(line).toContain('\u001fNi \\"Luh\\", =x \\\\ <b>\u001f');
    expect(line.startsWith('arrivals,checkpoint=ketapang,destDistrict=35.10.21,device=ketapang-01,health=demam,')).toBe(true);
  });

  it('joins the chunks of a long batch with exactly one newline between lines', () => {
    for (const n of [1, 63, 64, 65, 128, 200]) {
      const scans = Array.from({ length: n }, (_, i) => ({ ...scan, seq: i + 1, name: i % 3 ? 'Ayu' : 'Dèwi ✓' }));
      const lines = scansToBody(scans, 37.5).toString('utf8').split('\n');
      expect(lines, `${n}`).toEqual(scans.map((s) => pointToLine(scanToPoint(s, 37.5))));
    }
  });

  it('writes each scan straight to the same line as the generic point serializer', () => {
    let x = 7;
    const pick = <T,>(a: readonly T[]): T => a[(x = (x * 1103515245 + 12345) % 2147483648) % a.length]!;
    const names = ['Ayu', 'Ni "Luh", =x \\ <b>', 'Dèwi Sri ✓', 'a b,c=d', 'O\'Brien\\', '李'];
    for (let i = 0; i < 2000; i++) {
      const s: Scan = {
        ...scan,
        checkpointId: pick(['ketapang', 'wongsorejo', 'kalibaru', 'blimbingsari']),
        deviceId: pick(['ketapang-01', 'dev-7', 'x_1']),
        seq: i + 1,
        nik: pick(['5103014107900001', '3510210407904005', '1101010101010001']),
        name: pick(names),
        originAddress: pick(names),
        destinationVillageCode: pick(['35.10.21.2003', '35.10.01.2001', '35.10.06.2005']),
        scannedAt: new Date(1.7e12 + i * 997).toISOString(),
        health: { temperatureC: pick([36.5, 37.5, 38.2]), symptoms: pick([[], ['batuk'], ['batuk', 'demam']]) as Scan['health']['symptoms'], rapidTest: pick(['negatif', 'positif', 'tidak_dites'] as const), vaccinationDoses: pick([0, 2, 3]) },
      };
      expect(scanLine(s, 37.5)).toBe(pointToLine(scanToPoint(s, 37.5)));
      // A stored row gives the very same line (the writer builds points from rows).
      expect(rowLine(scanToRow({ scan: s, receivedAt: s.scannedAt, eta: s.scannedAt }, 37.5))).toBe(scanLine(s, 37.5));
    }
    const lines = Array.from({ length: 130 }, (_, i) => `arrivals,checkpoint=k t=${i} ${i}`);
    expect(linesToBody(lines).toString('utf8').split('\n')).toEqual(lines);
  });
});
