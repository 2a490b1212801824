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

describe('Spool', () => {
  it('keeps scans across a restart, drains them in order, skips a torn last line, and stops at a failed write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sk-spool-'));
    try {
      const a = new Spool(dir);
      a.start();
      await a.append([scan(1), scan(2)]);
      await a.append([scan(3)]);
      await a.stop();
      appendFileSync(join(dir, readdirSync(dir)[0]!), '{"v":1,"scanId":"torn');

      const b = new Spool(dir);
      b.start();
      expect(b.depth).toBe(3);
      await expect(b.drain(async () => { throw new Error('down'); })).rejects.toThrow('down');
      expect(b.depth).toBe(3);
      const got: number[] = [];
      await b.append([scan(4)]);
      await b.drain(async (s) => void got.push(...s.map((x) => x.seq)));
      expect(got).toEqual([1, 2, 3, 4]);
      expect(b.depth).toBe(0);
      expect(readdirSync(dir)).toEqual([]);
      await b.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
