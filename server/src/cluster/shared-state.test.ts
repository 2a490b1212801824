/**
 * What the cluster keeps in Redis for instances that join later (issue 9), against a private
 * redis-server: alert copies per instance joined order-independently and bounded; aid alarm
 * acknowledgement and resolution first-wins under concurrency; a change published reaches subscribers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from '../../../scripts/lib/redis.ts';
import type { AlertRecord } from '../alerts/alert-book.ts';
import { SharedAidAlarms } from './shared-aid-alarms.ts';
import { CLEARED_TTL_SEC, SharedAlerts } from './shared-alerts.ts';

const dir = mkdtempSync(join(tmpdir(), 'sk-cluster-shared-'));
let server: PrivateRedis;
let redis: Redis;

const alert = (id: number, over: Partial<AlertRecord> = {}): AlertRecord => ({
  id, key: `fever|p${id}`, rule: 'fever', subject: 's', severity: 'major', title: 'Demam', text: 't', checkpointId: 'ketapang',
  state: 'active', count: 1, startedAt: '2026-11-28T01:00:00.000Z', lastSeenAt: '2026-11-28T01:00:00.000Z', ...over,
}) as AlertRecord;

beforeAll(async () => {
  server = await startPrivateRedis({ dir, ephemeral: true });
  redis = new Redis(server.url);
});
beforeEach(async () => {
  await redis.flushall();
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('alerts kept for later instances', () => {
  it('two instances changing one alert at once: the reader joins both copies (ack on one, clear on the other)', async () => {
    const one = new SharedAlerts(redis, 'server-1');
    const two = new SharedAlerts(redis, 'server-2');
    await one.write(alert(7));
    await Promise.all([
      two.write(alert(7, { state: 'acknowledged', ackedBy: 'desa', ackedAt: '2026-11-28T01:01:00.000Z' })),
      one.write(alert(7, { state: 'cleared', clearedBy: 'pusat', clearedAt: '2026-11-28T01:02:00.000Z' })),
    ]);
    expect(await one.load()).toMatchObject([{ id: 7, state: 'cleared', ackedBy: 'desa', clearedBy: 'pusat' }]);
    // A cleared alert's copies expire on their own; an open one's do not.
    expect(await redis.ttl('sk:alerts:rec:7')).toBeGreaterThan(CLEARED_TTL_SEC - 60);
  });

  it('bounded: past the cap the oldest alerts leave; ids whose copies are gone are forgotten; missing() names them', async () => {
    const s = new SharedAlerts(redis, 'server-1', 3);
    for (let id = 1; id <= 5; id++) await s.write(alert(id));
    expect((await s.load()).map((a) => a.id)).toEqual([3, 4, 5]);
    await redis.del('sk:alerts:rec:4');
    expect((await s.load()).map((a) => a.id)).toEqual([3, 5]);
    expect(await redis.zrange('sk:alerts:ids', 0, -1)).toEqual(['3', '5']);
    expect(await s.missing([1, 3, 4])).toEqual([1, 4]);
  });
});

describe('aid alarms shared between instances', () => {
  type Alarm = { id: number };
  const make = () => new SharedAidAlarms<Alarm, { line: string }, { by: string }>(redis);

  it('of two acknowledgements at once the first is kept; of two resolutions exactly one wins', async () => {
    const [a, b] = [make(), make()];
    await a.raise(3, { alarm: { id: 3 }, handout: { line: 'h' } });
    const tries = [{ by: 'desa-a', at: '1' }, { by: 'desa-b', at: '2' }];
    const acks = await Promise.all([a.acknowledge(3, tries[0]!), b.acknowledge(3, tries[1]!)]);
    const winner = acks.indexOf(true);
    expect(acks.filter((x) => x === true)).toHaveLength(1);
    expect(acks[1 - winner]).toEqual(tries[winner]); // the loser is told the kept ack
    const res = await Promise.all([a.resolve(3, { by: 'desa-a' }), b.resolve(3, { by: 'desa-b' })]);
    const resWinner = res.indexOf(true);
    expect(res.filter((x) => x === true)).toHaveLength(1);
    expect(await b.all()).toEqual([{ raised: { alarm: { id: 3 }, handout: { line: 'h' } }, ack: tries[winner], resolution: { by: ['desa-a', 'desa-b'][resWinner] } }]);
  });

  it('bounded: past the cap the oldest alarms leave with their ack and resolution', async () => {
    const s = new SharedAidAlarms<Alarm, null, { by: string }>(redis, 2);
    for (const id of [1, 2, 3]) await s.acknowledge(id, { by: 'x', at: String(id) });
    for (const id of [1, 2, 3]) await s.raise(id, { alarm: { id }, handout: null });
    expect((await s.all()).map((x) => x.raised.alarm.id)).toEqual([2, 3]);
    expect(await redis.hkeys('sk:aid:alarm-acks')).toEqual(['2', '3']);
  });

  it('a published change reaches another instance\'s subscription', async () => {
    const [a, b] = [make(), make()];
    const got: unknown[] = [];
    await b.subscribe((m) => got.push(m), () => {});
    await a.publish({ t: 'k', alarmId: 3 });
    for (let i = 0; i < 200 && !got.length; i++) await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual([{ t: 'k', alarmId: 3 }]);
    b.close();
  });
});
