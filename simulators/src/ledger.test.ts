import { mkdtempSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ledger, readLedger, reconcile } from './ledger.ts';

describe('ledger', () => {
  it('writes, reads back within a window, skips a torn line', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sk-ledger-')), 'sub', 'ledger.jsonl');
    const l = new Ledger(file);
    l.append({ scanId: 'A', checkpointId: 'ketapang', deviceId: 'ketapang-01', seq: 1, at: '2026-04-01T00:00:00.000Z' });
    l.append({ scanId: 'B', checkpointId: 'ketapang', deviceId: 'ketapang-01', seq: 2, at: '2026-04-01T01:00:00.000Z' });
    await l.close();
    appendFileSync(file, '{"scanId":"C","at');
    expect(readLedger(file).map((e) => e.scanId)).toEqual(['A', 'B']);
    expect(readLedger(file, '2026-04-01T00:30:00.000Z').map((e) => e.scanId)).toEqual(['B']);
  });

  it('reconciles missing, doubled and unexpected scans', () => {
    expect(reconcile(['A', 'B', 'C'], ['A', 'C', 'C', 'X'])).toEqual({
      sent: 3, stored: 3, missing: ['B'], doubled: [{ scanId: 'C', times: 2 }], unexpected: ['X'],
    });
  });
});
