/**
 * Cluster mode (issue 9): double-aid alarms shared by every server instance through Redis hashes and
 * pub/sub, so an alarm raised on one instance is listed, acknowledged and resolved on any other.
 *
 * Only one instance raises an alarm (the atomic check in redis-index.ts), so the alarm itself is written
 * once. Acknowledgement and resolution are each one HSETNX: of two instances acting at once exactly one
 * wins (first ack kept, resolved once) and only the winner tells the consoles; the loser learns the
 * winner's. Every change is then published as the journal line the other instances apply (and journal),
 * so their lists and audits follow. A joining instance (or one whose subscription reconnected) reads the
 * hashes once. Bounded: past MAX_ALARMS the oldest alarms leave Redis (they stay in each journal).
 */
import type { Redis } from 'ioredis';

const ALARMS = 'sk:aid:alarms';
const ACKS = 'sk:aid:alarm-acks';
const RESOLUTIONS = 'sk:aid:alarm-res';
const ORDER = 'sk:aid:alarm-order';
export const ALARM_CHANNEL = 'sk:aid:alarm-changes';
export const MAX_ALARMS = 10_000;

export type Ack = { by: string; at: string };

/** One alarm as the cluster keeps it: what was raised (with its handout line, for a cancel elsewhere), ack, resolution. */
export interface SharedAlarm<A, H, R> {
  raised: { alarm: A; handout: H | null };
  ack: Ack | null;
  resolution: R | null;
}

const TRIM = `
local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[1])
if over <= 0 then return 0 end
local ids = redis.call('ZRANGE', KEYS[1], 0, over - 1)
for _, id in ipairs(ids) do
  redis.call('HDEL', KEYS[2], id); redis.call('HDEL', KEYS[3], id); redis.call('HDEL', KEYS[4], id)
end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, over - 1)
return #ids`;

export class SharedAidAlarms<A, H, R> {
  #sub: Redis | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly cap = MAX_ALARMS,
  ) {}

  /**
   * Listens for the other instances' changes (`onChange` gets the published message), and calls
   * `onResync` after the subscription (re)connects: messages sent meanwhile are lost, the hashes are not.
   */
  async subscribe(onChange: (message: unknown) => void, onResync: () => void): Promise<void> {
    const sub = this.redis.duplicate({ enableReadyCheck: false });
    this.#sub = sub;
    sub.on('error', () => {}); // reconnects by itself; the resync below covers the gap
    sub.on('message', (_ch: string, msg: string) => {
      try {
        onChange(JSON.parse(msg));
      } catch {
        // a malformed message is ignored: the next resync brings the truth
      }
    });
    let first = true;
    sub.on('ready', () => {
      if (!first) onResync();
      first = false;
    });
    await sub.subscribe(ALARM_CHANNEL);
  }

  async publish(message: unknown): Promise<void> {
    await this.redis.publish(ALARM_CHANNEL, JSON.stringify(message));
  }

  /** The raising instance stores its alarm, then the list is trimmed to the cap. */
  async raise(id: number, raised: { alarm: A; handout: H | null }): Promise<void> {
    await this.redis.multi().hset(ALARMS, String(id), JSON.stringify(raised)).zadd(ORDER, id, String(id)).exec();
    await this.redis.eval(TRIM, 4, ORDER, ALARMS, ACKS, RESOLUTIONS, String(this.cap));
  }

  /** First acknowledgement wins: true when it is ours, else the one kept. */
  async acknowledge(id: number, ack: Ack): Promise<true | Ack> {
    if ((await this.redis.hsetnx(ACKS, String(id), JSON.stringify(ack))) === 1) return true;
    const kept = await this.redis.hget(ACKS, String(id));
    return kept ? (JSON.parse(kept) as Ack) : true;
  }

  /** Resolved once cluster-wide: true when ours, else the resolution kept. */
  async resolve(id: number, resolution: R): Promise<true | R> {
    if ((await this.redis.hsetnx(RESOLUTIONS, String(id), JSON.stringify(resolution))) === 1) return true;
    const kept = await this.redis.hget(RESOLUTIONS, String(id));
    return kept ? (JSON.parse(kept) as R) : true;
  }

  async get(id: number): Promise<SharedAlarm<A, H, R> | undefined> {
    const [raised, ack, res] = await Promise.all([this.redis.hget(ALARMS, String(id)), this.redis.hget(ACKS, String(id)), this.redis.hget(RESOLUTIONS, String(id))]);
    if (!raised) return undefined;
    return { raised: JSON.parse(raised), ack: ack ? JSON.parse(ack) : null, resolution: res ? JSON.parse(res) : null };
  }

  /** Every alarm the cluster keeps, oldest first. */
  async all(): Promise<SharedAlarm<A, H, R>[]> {
    const [alarms, acks, res] = await Promise.all([this.redis.hgetall(ALARMS), this.redis.hgetall(ACKS), this.redis.hgetall(RESOLUTIONS)]);
    return Object.keys(alarms)
      .sort((a, b) => Number(a) - Number(b))
      .map((id) => ({ raised: JSON.parse(alarms[id]!), ack: acks[id] ? JSON.parse(acks[id]!) : null, resolution: res[id] ? JSON.parse(res[id]!) : null }));
  }

  close(): void {
    this.#sub?.disconnect();
  }
}
