import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertCandidate } from '../alerts/rules.ts';
import type { ExpectedArrival } from '../arrivals/expected-arrivals.ts';
import { FacilityFile } from './facilities.ts';
import { Quarantine } from './quarantine.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const user = { username: 'desa', displayName: 'Desa', role: 'village' as const, villageCode: '35.10.05.2001' };
const traveller = (scanId: string, healthStatus: ExpectedArrival['healthStatus'] = 'demam'): ExpectedArrival => ({
  scanId, checkpointId: 'ketapang', scannedAt: '2026-11-28T01:00:00.000Z', eta: '2026-11-28T03:00:00.000Z', villageCode: '35.10.05.2001', villageName: null,
  districtCode: '35.10.05', districtName: 'Muncar', nikMasked: 'x', name: 'N', sex: 'L', birthDate: '1990-01-01', originRegencyName: null, healthStatus,
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'sk-q-'));
  dirs.push(dir);
  const raised: AlertCandidate[] = [];
  const cleared: string[] = [];
  const q = new Quarantine({ facilities: new FacilityFile(join(dir, 'f.json')), journalFile: join(dir, 'a.jsonl'), now: () => new Date('2026-11-28T01:00:00.000Z'), raise: (c) => raised.push(c), clearAlert: (k) => cleared.push(k) });
  q.start();
  return { q, raised, cleared };
}

describe('quarantine', () => {
  it('seeds 4–6 facilities in real districts', () => {
    const n = setup().q.occupancy().length;
    expect(n).toBeGreaterThanOrEqual(4);
    expect(n).toBeLessThanOrEqual(6);
  });

  it('places in the nearest facility with room, raises "full", clears it on release', () => {
    const { q, raised, cleared } = setup();
    q.upsertFacility({ id: 'gedung-muncar', name: 'Gedung Muncar', districtCode: '35.10.05', capacity: 1 });
    const a = q.assign(traveller('01JD0000000000000000000001'), 'symptomatic', user).assignment;
    expect(a).toMatchObject({ facilityId: 'gedung-muncar', releaseOn: '2026-12-12' });
    expect(raised.map((r) => r.key)).toEqual(['quarantine_full|gedung-muncar']);
    expect(q.assign(traveller('01JD0000000000000000000002'), 'symptomatic', user).assignment.facilityId).not.toBe('gedung-muncar');
    q.release(a.id, 'desa');
    expect(cleared).toContain('quarantine_full|gedung-muncar');
  });

  it('refuses a reason the screening does not support', () => {
    const { q } = setup();
    expect(() => q.assign(traveller('01JD0000000000000000000003', 'sehat'), 'positive', user)).toThrow(/tidak positif/);
    expect(() => q.assign(traveller('01JD0000000000000000000003', 'sehat'), 'symptomatic', user)).toThrow(/tidak bergejala/);
    expect(q.assign(traveller('01JD0000000000000000000003', 'sehat'), 'home_unfit', user).created).toBe(true);
  });
});
