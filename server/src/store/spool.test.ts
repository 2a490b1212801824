import { describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Scan } from '@sk/protocol';
import { Spool } from './spool.ts';

const scan = (seq: number): Scan => ({
  v: 1, scanId: `01JD${String(seq).padStart(22, '0')}`, checkpointId: 'ketapang', deviceId: 'ketapang-01', seq,
  scannedAt: '2026-11-28T01:02:03.456Z', nik: '3510210107900001', name: 'A', sex: 'L', birthDate: '1990-07-01',
  originAddress: '', destinationVillageCode: '35.10.21.2003', health: { temperatureC: 36.5, symptoms: [], rapidTest: 'negatif', vaccinationDoses: 0 },
});

const line = (n: number) => `arrivals,checkpoint=ketapang temperatureC=36.5 ${n}`;

describe('Spool', () => {
  it('keeps points across a restart, drains them in order, skips a torn last line, and stops at a failed write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sk-spool-'));
    try {
      const a = new Spool(dir);
      a.start();
      await a.append([line(1), line(2)]);
      await a.append([line(3)]);
      await a.stop();
      appendFileSync(join(dir, readdirSync(dir)[0]!), '"arrivals,checkpoint=torn');

      const b = new Spool(dir);
      b.start();
      expect(b.depth).toBe(3);
      await expect(b.drain(async () => { throw new Error('down'); })).rejects.toThrow('down');
      expect(b.depth).toBe(3);
      const got: number[] = [];
      await b.append([line(4)]);
      await b.drain(async (s) => void got.push(...s.map((x) => Number(x.split(' ').at(-1)))));
      expect(got).toEqual([1, 2, 3, 4]);
      expect(b.depth).toBe(0);
      expect(readdirSync(dir)).toEqual([]);
      await b.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hands segments written before issue 15 (whole scans) to the legacy converter, then writes their points', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sk-spool-'));
    try {
      appendFileSync(join(dir, 'seg-000000000001.jsonl'), `${JSON.stringify(scan(1))}\n${JSON.stringify(scan(2))}\n`);
      const legacy: number[] = [];
      const sp = new Spool(dir, async (scans) => (legacy.push(...scans.map((s) => s.seq)), scans.map((s) => line(s.seq))));
      sp.start();
      expect(sp.depth).toBe(2);
      const got: string[] = [];
      await sp.drain(async (l) => void got.push(...l));
      expect(legacy).toEqual([1, 2]);
      expect(got).toEqual([line(1), line(2)]);
      expect(sp.depth).toBe(0);
      await sp.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
