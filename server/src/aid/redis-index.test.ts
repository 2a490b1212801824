/**
 * The Redis double-aid index (cluster mode) against a private redis-server: the same matches as the
 * in-process index for the same handouts, atomic under concurrency, one secret per cluster, one claim.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from '../../../scripts/lib/redis.ts';
import { MemoryDoubleAidIndex, type IndexedHandout } from './double-index.ts';
import { AidKeys, handoutHash } from './keys.ts';
import { RedisDoubleAidIndex } from './redis-index.ts';

const keys = new AidKeys(Buffer.alloc(32, 7));
let n = 0;
function handout(over: Partial<{ nik: string; kk: string; name: string; programmeId: string; village: number; id: string }> = {}): IndexedHandout {
  const o = { nik: '3510214107900001', kk: '3510212304150007', name: 'Siti Aminah', programmeId: 'bst', village: 1, id: `h${++n}`, ...over };
  return { programmeId: o.programmeId, date: '2026-11-28', village: o.village, at: 1_790_000_000 + n, handout: handoutHash(o.id), person: keys.person(o.nik), household: keys.household(o.kk), name: keys.nameBirth(o.name, '1990-07-01') };
}

const dir = mkdtempSync(join(tmpdir(), 'sk-aid-redis-'));
let server: PrivateRedis;
let redis: Redis;
let ix: RedisDoubleAidIndex;

beforeAll(async () => {
  server = await startPrivateRedis({ dir, ephemeral: true });
  redis = new Redis(server.url);
  ix = new RedisDoubleAidIndex(redis);
});

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Redis double-aid index', () => {
  it('finds what the in-process index finds: same NIK, same KK, conflicts, possible doubles, redelivery', async () => {
    const mem = new MemoryDoubleAidIndex();
    const seq = [
      handout({ village: 3 }),
      handout({ village: 9, kk: '3510212304150099' }),
      handout({ nik: '3510210107900002', name: 'Budi' }),
      handout({ nik: '3510210107900003', programmeId: 'bpnt', name: 'Ani' }),
      handout({ nik: '3510210107900004', name: 'SITI AMINAH', kk: '3510212304150055' }),
    ];
    seq.push({ ...seq[0]! });
    for (const h of seq) {
      const strip = (r: { redelivered: boolean; matches: unknown[] }) => ({ ...r, matches: [...r.matches].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))) });
      expect(strip(await ix.record(h))).toEqual(strip(mem.record(h)));
    }
    expect((await ix.check(handout())).length).toBeGreaterThan(0);
  });

  it('of many concurrent handouts of one person exactly one is first', async () => {
    const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => ix.record(handout({ nik: '3510210107900077', kk: `35102123041501${10 + i}`, name: 'Sekali Saja', village: i }))));
    expect(rs.filter((r) => r.matches.length === 0)).toHaveLength(1);
  });

  it('a cancelled handout leaves the index; alarm ids are cluster-wide; a claim succeeds once', async () => {
    const h = handout({ nik: '3510210107900088', name: 'Dibatalkan' });
    await ix.record(h);
    await ix.cancel(h);
    expect((await ix.record(handout({ nik: '3510210107900088', kk: '3510212304150123', name: 'Dibatalkan' }))).matches).toEqual([]);
    const a = await ix.nextAlarmId(1);
    expect(await ix.nextAlarmId(1)).toBe(a + 1);
    expect(await ix.nextAlarmId(a + 50)).toBe(a + 50);
    expect([await ix.claim('x', 'one'), await ix.claim('x', 'two')]).toEqual([true, false]);
  });

  it('refuses an instance whose HMAC secret differs from the cluster\'s', async () => {
    await ix.assertSameSecret(keys.fingerprint());
    await expect(ix.assertSameSecret(new AidKeys(Buffer.alloc(32, 8)).fingerprint())).rejects.toThrow(/AID_HMAC_SECRET/);
  });
});
