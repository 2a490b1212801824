/**
 * Cluster mode (issue 9): the double-aid check-and-record made atomic across server instances.
 * The in-process index (double-index.ts) is atomic within one process only; two instances recording
 * the same person at the same moment would both see "first". Here the same entries live in Redis and
 * one Lua script reads every entry a handout could double and adds its own in one step: Redis runs
 * scripts one at a time, so of two concurrent handouts exactly one sees the other.
 *
 * Keys are `sk:aid:{tag}:{key}` with the same tag and HMAC-derived 64-bit key as the local index
 * (never a raw NIK/KK); each key is a hash: field = the 32-bit aux (handout id hash, or for name
 * entries the low 32 bits of the person key and the handout hash) → `village:unixSeconds`.
 */
import type { Redis } from 'ioredis';
import { aidProgramme, conflictsOf, periodOf, type AidMatchKind, type AidSeverity } from '@sk/protocol';
import { tagOf, type IndexQuery, type IndexedHandout, type IndexMatch, type Key64 } from './double-index.ts';
import { keyHex } from './keys.ts';

/** Long enough for the longest period (yearly) plus a margin; entries expire on their own after that. */
const TTL_SEC = 400 * 24 * 3600;

/**
 * KEYS[1] = the person entry. ARGV: own handout field, value, number of check keys, number of adds,
 * then per add its KEYS index and field. Check keys are KEYS[2 .. 1+nChecks]; add keys follow them.
 * Returns {1} when this handout is already recorded (redelivery), else {0, fields/values per check}.
 */
const RECORD = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return {1} end
local nc = tonumber(ARGV[3]); local na = tonumber(ARGV[4])
local out = {0}
for i = 1, nc do out[#out + 1] = redis.call('HGETALL', KEYS[1 + i]) end
for j = 0, na - 1 do
  local k = KEYS[tonumber(ARGV[5 + j * 2])]
  redis.call('HSET', k, ARGV[6 + j * 2], ARGV[2])
  redis.call('EXPIRE', k, ARGV[5 + na * 2])
end
return out`;

interface CheckSpec { key: string; kind: AidMatchKind; severity: AidSeverity; programmeId: string; period: string; name: boolean }

const NEXT_ID = `local n = redis.call('INCR', KEYS[1]); local min = tonumber(ARGV[1])
if n < min then redis.call('SET', KEYS[1], min); n = min end
return n`;

const redisKey = (tag: number, k: Key64) => `sk:aid:${tag.toString(16)}:${keyHex(k)}`;

/** The entries a handout is checked against: the same list MemoryDoubleAidIndex.check walks. */
function checks(h: IndexedHandout): CheckSpec[] {
  const p = aidProgramme(h.programmeId)!;
  const period = periodOf(p.period, h.date);
  const out: CheckSpec[] = [{ key: redisKey(tagOf('person', p.id, h.date), h.person), kind: 'same_nik', severity: 'critical', programmeId: p.id, period, name: false }];
  const hh = h.household ?? null;
  if (p.unit === 'household' && hh) out.push({ key: redisKey(tagOf('household', p.id, h.date), hh), kind: 'same_kk', severity: 'critical', programmeId: p.id, period, name: false });
  for (const cid of conflictsOf(p.id)) {
    const c = aidProgramme(cid)!;
    const byHousehold = c.unit === 'household' && hh;
    const key = redisKey(tagOf(byHousehold ? 'household' : 'person', c.id, h.date), byHousehold ? hh : h.person);
    out.push({ key, kind: 'conflict', severity: 'major', programmeId: c.id, period: periodOf(c.period, h.date), name: false });
  }
  if (h.name) out.push({ key: redisKey(tagOf('name', p.id, h.date), h.name), kind: 'possible_double', severity: 'minor', programmeId: p.id, period, name: true });
  return out;
}

/** The entries a handout adds: [key, field]. */
function adds(h: IndexedHandout): [string, string][] {
  const p = aidProgramme(h.programmeId)!;
  const out: [string, string][] = [[redisKey(tagOf('person', p.id, h.date), h.person), String(h.handout)]];
  if (p.unit === 'household' && h.household) out.push([redisKey(tagOf('household', p.id, h.date), h.household), String(h.handout)]);
  // Name entries: person + handout, so two handouts of one person stay two entries (as in the local index).
  if (h.name) out.push([redisKey(tagOf('name', p.id, h.date), h.name), `${h.person.lo >>> 0}:${h.handout}`]);
  return out;
}

/** Turns HGETALL rows (one per check) into matches, as MemoryDoubleAidIndex.check would. */
function parse(cs: CheckSpec[], rows: string[][], h: IndexedHandout): IndexMatch[] {
  const own = String(h.handout);
  const ownName = `${h.person.lo >>> 0}:`;
  const matches: IndexMatch[] = [];
  const seen = new Set<string>();
  cs.forEach((c, i) => {
    const flat = rows[i] ?? [];
    for (let f = 0; f < flat.length; f += 2) {
      const field = flat[f]!;
      // Name entries: the same person's own entry is not a "possible double"; others: not this handout, once per handout.
      if (c.name ? field.startsWith(ownName) : field === own || seen.has(field)) continue;
      if (!c.name) seen.add(field);
      const [village, at] = flat[f + 1]!.split(':').map(Number) as [number, number];
      matches.push({ kind: c.kind, severity: c.severity, programmeId: c.programmeId, period: c.period, village, at, handout: c.name ? null : Number(field) });
    }
  });
  return matches;
}

export class RedisDoubleAidIndex {
  constructor(readonly redis: Redis) {}

  /** Atomic across instances: exactly one of two concurrent handouts of the same person sees the other. */
  async record(h: IndexedHandout): Promise<{ redelivered: boolean; matches: IndexMatch[] }> {
    const cs = checks(h);
    const as = adds(h);
    const keys = [as[0]![0], ...cs.map((c) => c.key), ...as.map((a) => a[0])];
    const argv = [String(h.handout), `${h.village}:${h.at}`, String(cs.length), String(as.length)];
    as.forEach(([, field], j) => argv.push(String(2 + cs.length + j), field));
    argv.push(String(TTL_SEC));
    const r = (await this.redis.eval(RECORD, keys.length, ...keys, ...argv)) as [number, ...string[][]];
    if (r[0] === 1) return { redelivered: true, matches: [] };
    return { redelivered: false, matches: parse(cs, r.slice(1) as string[][], h) };
  }

  /** Takes a cancelled handout out (the same entries `record` added). */
  async cancel(h: IndexedHandout): Promise<void> {
    const m = this.redis.multi();
    for (const [key, field] of adds(h)) m.hdel(key, field);
    await m.exec();
  }

  /** Read-only "check before handing out" across the cluster. */
  async check(q: IndexQuery): Promise<IndexMatch[]> {
    const h: IndexedHandout = { ...q, village: 0, at: 0, handout: -1 };
    const cs = checks(h);
    const m = this.redis.multi();
    for (const c of cs) m.hgetall(c.key);
    const rows = ((await m.exec()) ?? []).map(([, v]) => Object.entries((v ?? {}) as Record<string, string>).flat());
    return parse(cs, rows, h);
  }

  /**
   * Cluster-wide alarm ids (each instance numbering its own would collide on the consoles); never
   * below `min`, this instance's next id from its journal (alarms raised before cluster mode).
   */
  async nextAlarmId(min: number): Promise<number> {
    return Number(await this.redis.eval(NEXT_ID, 1, 'sk:aid:alarmId', String(min)));
  }

  /**
   * Every instance must key people with the same HMAC secret, or the shared index silently misses
   * doubles across instances: the first instance registers the secret's fingerprint, the rest must match.
   */
  async assertSameSecret(fingerprint: string): Promise<void> {
    await this.redis.set('sk:aid:secret-fingerprint', fingerprint, 'NX');
    const theirs = await this.redis.get('sk:aid:secret-fingerprint');
    if (theirs !== fingerprint) throw new Error('cluster mode: this instance\'s aid HMAC secret differs from the other instances\' (set the same AID_HMAC_SECRET on every instance)');
  }

  /** Re-adds handouts this instance journalled (Redis restarted empty or was new): idempotent HSETs. */
  async seed(handouts: readonly IndexedHandout[]): Promise<void> {
    for (let i = 0; i < handouts.length; i += 1000) {
      const m = this.redis.multi();
      for (const h of handouts.slice(i, i + 1000)) {
        for (const [key, field] of adds(h)) m.hset(key, field, `${h.village}:${h.at}`).expire(key, TTL_SEC);
      }
      await m.exec();
    }
  }

  /** Only one instance handles a device's handout message: the first to claim it (a crash frees it after ttl). */
  async claim(handoutId: string, instanceId: string, ttlSec = 30): Promise<boolean> {
    return (await this.redis.set(`sk:aid:claim:${handoutId}`, instanceId, 'EX', ttlSec, 'NX')) === 'OK';
  }
}
