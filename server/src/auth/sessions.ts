/**
 * Console sessions in the database of record (issue 15): a random 32-byte token lives only in the
 * user's cookie; the table keeps its sha256, so a copy of the database (a backup) signs nobody in.
 * Every instance of a cluster reads the same table, so a console may sign in through one server and
 * connect its live channel to another. Each lookup joins the user, so a removed user's or a changed
 * role's session takes effect at once. Expired rows are purged (`purgeExpired`, run by the hourly
 * retention and at most once a minute on sign-in).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { RecordsDb } from '../db/database.ts';
import { toPublic, type PublicUser } from './users.ts';

export interface SessionStore {
  create(user: PublicUser): Promise<string>;
  get(token: string): Promise<PublicUser | null>;
  destroy(token: string): Promise<void>;
}

export const SESSION_TTL_MS = 12 * 3600_000;
const TOKEN_FORM = /^[A-Za-z0-9_-]{20,100}$/;
const PURGE_EVERY_MS = 60_000;

export const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

export class DbSessionStore implements SessionStore {
  #lastPurge = 0;
  constructor(
    private readonly rdb: RecordsDb,
    private readonly ttlMs = SESSION_TTL_MS,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(user: PublicUser): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const at = this.now();
    await this.rdb.db
      .insertInto('sessions')
      .values({ token_hash: tokenHash(token), username: user.username, created_at: at.toISOString(), expires_at: new Date(at.getTime() + this.ttlMs).toISOString() })
      .execute();
    if (at.getTime() - this.#lastPurge >= PURGE_EVERY_MS) {
      this.#lastPurge = at.getTime();
      await this.purgeExpired();
    }
    return token;
  }

  async get(token: string): Promise<PublicUser | null> {
    if (!TOKEN_FORM.test(token)) return null;
    const row = await this.rdb.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.username', 'sessions.username')
      .select(['users.username', 'users.role', 'users.village_code', 'users.checkpoint_id', 'users.body'])
      .where('sessions.token_hash', '=', tokenHash(token))
      .where('sessions.expires_at', '>', this.now().toISOString())
      .executeTakeFirst();
    return row ? toPublic(row) : null;
  }

  async destroy(token: string): Promise<void> {
    if (TOKEN_FORM.test(token)) await this.rdb.db.deleteFrom('sessions').where('token_hash', '=', tokenHash(token)).execute();
  }

  /** Deletes every expired session; returns how many. */
  async purgeExpired(): Promise<number> {
    const r = await this.rdb.db.deleteFrom('sessions').where('expires_at', '<=', this.now().toISOString()).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
