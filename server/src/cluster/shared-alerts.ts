/**
 * Cluster mode (issue 9): the alerts every instance knows, kept in Redis so an instance that starts
 * later (or restarts) loads the alerts raised before it joined. Live changes still travel by
 * serverSideEmit (cluster.ts); this is the durable copy a newcomer reads once.
 *
 * Each instance writes only its own copy of an alert (`sk:alerts:rec:<id>` hash, field = instance id),
 * so two instances changing one alert at once never overwrite each other; a reader joins the copies with
 * `joinAlert` (order-independent, states only move forward). A cleared alert's key expires after
 * CLEARED_TTL_SEC (late copies still join into "cleared" until then); the id list is capped at MAX_KEPT,
 * oldest first, so Redis stays bounded whatever happens.
 */
import type { Redis } from 'ioredis';
import { joinAlert, type AlertRecord } from '../alerts/alert-book.ts';

const IDS = 'sk:alerts:ids';
const rec = (id: number) => `sk:alerts:rec:${id}`;
export const CLEARED_TTL_SEC = 7 * 24 * 3600;
export const MAX_KEPT = 10_000;

/**
 * KEYS[1] = the id list, KEYS[2] = this alert's copies. ARGV: id, instance, record JSON, cleared (0/1),
 * cleared TTL, cap. Writes our copy, then drops the oldest ids (and their copies) past the cap.
 */
const WRITE = `
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]), ARGV[1])
if ARGV[4] == '1' then redis.call('EXPIRE', KEYS[2], ARGV[5]) end
local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[6])
if over > 0 then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, over - 1)) do redis.call('DEL', 'sk:alerts:rec:' .. id) end
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, over - 1)
end
return 1`;

export class SharedAlerts {
  constructor(
    private readonly redis: Redis,
    private readonly instanceId: string,
    private readonly cap = MAX_KEPT,
  ) {}

  /** Stores this instance's copy of one alert change (commands on one connection run in order). */
  async write(r: AlertRecord): Promise<void> {
    await this.redis.eval(WRITE, 2, IDS, rec(r.id), String(r.id), this.instanceId, JSON.stringify(r), r.state === 'cleared' ? '1' : '0', String(CLEARED_TTL_SEC), String(this.cap));
  }

  /** Every alert the cluster keeps, each the join of its instances' copies; ids whose copies expired are forgotten. */
  async load(): Promise<AlertRecord[]> {
    const ids = await this.redis.zrange(IDS, 0, -1);
    const out: AlertRecord[] = [];
    const gone: string[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const slice = ids.slice(i, i + 500);
      const m = this.redis.multi();
      for (const id of slice) m.hgetall(rec(Number(id)));
      const rows = (await m.exec()) ?? [];
      rows.forEach(([, v], j) => {
        const copies = Object.values((v ?? {}) as Record<string, string>).map((s) => JSON.parse(s) as AlertRecord);
        if (!copies.length) gone.push(slice[j]!);
        else out.push(copies.reduce((a, b) => joinAlert(a, b)));
      });
    }
    if (gone.length) await this.redis.zrem(IDS, ...gone);
    return out;
  }

  /** Which of these ids the cluster no longer keeps (Redis restarted empty, or trimmed). */
  async missing(ids: readonly number[]): Promise<number[]> {
    if (!ids.length) return [];
    const m = this.redis.multi();
    for (const id of ids) m.exists(rec(id));
    const rows = (await m.exec()) ?? [];
    return ids.filter((_, i) => rows[i]?.[1] === 0);
  }
}
