/**
 * Sessions in Redis so a console signed in through one server instance is known to all of them
 * (issue 9). The token is random (32 bytes); Redis stores only the public user record, with a TTL.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { SessionStore } from '../auth/sessions.ts';
import type { PublicUser } from '../auth/users.ts';

const key = (token: string) => `sk:session:${token}`;

export class RedisSessionStore implements SessionStore {
  constructor(private readonly redis: Redis, private readonly ttlMs = 12 * 3600_000) {}

  async create(user: PublicUser): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.redis.set(key(token), JSON.stringify(user), 'PX', this.ttlMs);
    return token;
  }

  async get(token: string): Promise<PublicUser | null> {
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null; // never build a key from arbitrary input
    const raw = await this.redis.get(key(token));
    return raw ? (JSON.parse(raw) as PublicUser) : null;
  }

  async destroy(token: string): Promise<void> {
    if (/^[A-Za-z0-9_-]{20,100}$/.test(token)) await this.redis.del(key(token));
  }
}
