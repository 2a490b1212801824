/** Sessions behind a small interface (in-memory now; Redis later for several instances). */
import { randomBytes } from 'node:crypto';
import type { PublicUser } from './users.ts';

export interface SessionStore {
  create(user: PublicUser): Promise<string>;
  get(token: string): Promise<PublicUser | null>;
  destroy(token: string): Promise<void>;
}

export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, { user: PublicUser; expiresAt: number }>();
  constructor(private readonly ttlMs = 12 * 3600_000, private readonly now = () => Date.now()) {}

  async create(user: PublicUser): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    this.#sessions.set(token, { user, expiresAt: this.now() + this.ttlMs });
    return token;
  }

  async get(token: string): Promise<PublicUser | null> {
    const s = this.#sessions.get(token);
    if (!s) return null;
    if (s.expiresAt <= this.now()) {
      this.#sessions.delete(token);
      return null;
    }
    return s.user;
  }

  async destroy(token: string): Promise<void> {
    this.#sessions.delete(token);
  }
}
