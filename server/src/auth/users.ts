/**
 * Staff accounts in the database of record (`users`, issue 15), passwords as scrypt hashes
 * (`scrypt$N$r$p$salt$hash`, base64url). One table for every instance: in cluster mode a user added
 * through one server (or the CLI) signs in on any other at once.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { z } from 'zod';
import { CHECKPOINT_IDS, VillageCodeSchema } from '@sk/protocol';
import { loadRegions } from '@sk/protocol/regions';
import type { RecordsDb } from '../db/database.ts';
import type { UsersTable } from '../db/schema.ts';
import { withRecords, type RecordsLocation } from '../ops/records-location.ts';

export type Role = 'command' | 'village' | 'checkpoint';

/** What the console and the scoping code know about a signed-in user (never the hash). */
export interface PublicUser {
  username: string;
  displayName: string;
  role: Role;
  villageCode?: string;
  checkpointId?: string;
}

export const UsernameSchema = z.string().regex(/^[a-z0-9._-]{3,32}$/, 'username: 3–32 of a-z 0-9 . _ -');

/** users.json of the journal-keeping versions (read once by the legacy import, legacy-users.ts). */
export const StoredUserSchema = z.object({
  username: UsernameSchema,
  displayName: z.string().min(1).max(100),
  role: z.enum(['command', 'village', 'checkpoint']),
  villageCode: VillageCodeSchema.optional(),
  checkpointId: z.string().optional(),
  passwordHash: z.string(),
  createdAt: z.string(),
});
export type StoredUser = z.infer<typeof StoredUserSchema>;

const N = 16384, R = 8, P = 1, KEYLEN = 32;
const scrypt = (pw: string, salt: Buffer, keylen: number, opts: ScryptOptions) =>
  new Promise<Buffer>((res, rej) => scryptCb(pw, salt, keylen, opts, (e, k) => (e ? rej(e) : res(k))));

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEYLEN, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(key, expected);
}

/** A readable random password (no look-alike characters), printed once by the CLI. */
export function generatePassword(length = 16): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789';
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('');
}

export interface AddUserInput {
  username: string;
  role: Role;
  displayName?: string;
  villageCode?: string;
  checkpointId?: string;
  /** Generated (and returned) when absent. */
  password?: string;
}

/** The row of a stored user (the display name rides in `body`). */
export function userRow(u: StoredUser): UsersTable {
  return {
    username: u.username,
    role: u.role,
    village_code: u.villageCode ?? null,
    checkpoint_id: u.checkpointId ?? null,
    password_hash: u.passwordHash,
    created_at: u.createdAt,
    body: JSON.stringify({ displayName: u.displayName }),
  };
}

/**
 * Adds or replaces a user in the database of record (open, or opened at a location for the call);
 * returns the password (the generated one when none was given). Throws on bad input.
 */
export async function addUser(target: RecordsDb | RecordsLocation, input: AddUserInput): Promise<{ user: PublicUser; password: string }> {
  const username = UsernameSchema.parse(input.username);
  if (input.role === 'village') {
    if (!input.villageCode || !loadRegions().village(input.villageCode)) throw new Error('--village must be a Banyuwangi village code, e.g. 35.10.21.2003');
  }
  if (input.role === 'checkpoint' && (!input.checkpointId || !CHECKPOINT_IDS.includes(input.checkpointId))) {
    throw new Error(`--checkpoint must be one of ${CHECKPOINT_IDS.join(', ')}`);
  }
  const password = input.password ?? generatePassword();
  if (password.length < 8) throw new Error('password: at least 8 characters');
  const user: StoredUser = {
    username,
    displayName: input.displayName ?? username,
    role: input.role,
    ...(input.role === 'village' ? { villageCode: input.villageCode } : {}),
    ...(input.role === 'checkpoint' ? { checkpointId: input.checkpointId } : {}),
    passwordHash: await hashPassword(password),
    createdAt: new Date().toISOString(),
  };
  const row = userRow(user);
  await withRecords(target, (rdb) =>
    rdb.db
      .insertInto('users')
      .values(row)
      .onConflict((oc) => oc.column('username').doUpdateSet({ role: row.role, village_code: row.village_code, checkpoint_id: row.checkpoint_id, password_hash: row.password_hash, created_at: row.created_at, body: row.body }))
      .execute(),
  );
  return { user: toPublic(row), password };
}

/** Removes a user and ends their sessions; false when there was no such user. */
export async function removeUser(target: RecordsDb | RecordsLocation, username: string): Promise<boolean> {
  return withRecords(target, (rdb) =>
    rdb.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('sessions').where('username', '=', username).execute();
      const r = await trx.deleteFrom('users').where('username', '=', username).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    }),
  );
}

export async function listUsers(target: RecordsDb | RecordsLocation): Promise<PublicUser[]> {
  return withRecords(target, async (rdb) => (await rdb.db.selectFrom('users').selectAll().orderBy('username').execute()).map(toPublic));
}

type UserColumns = Pick<UsersTable, 'username' | 'role' | 'village_code' | 'checkpoint_id' | 'body'>;

/** What the console may know of a user (never the hash). */
export function toPublic(r: UserColumns): PublicUser {
  let displayName = r.username;
  try {
    displayName = (JSON.parse(r.body) as { displayName?: string }).displayName || r.username;
  } catch {
    /* a body this build cannot read: the username stands in */
  }
  return {
    username: r.username,
    displayName,
    role: r.role as Role,
    ...(r.village_code ? { villageCode: r.village_code } : {}),
    ...(r.checkpoint_id ? { checkpointId: r.checkpoint_id } : {}),
  };
}

/** Looks users up in the database on every login (a user added by the CLI or another instance signs in at once). */
export class UserDirectory {
  constructor(private readonly rdb: RecordsDb) {}

  async authenticate(username: string, password: string): Promise<PublicUser | null> {
    const row = await this.rdb.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
    // Hash even for an unknown user so timing does not reveal which usernames exist.
    const ok = await verifyPassword(password, row?.password_hash ?? DUMMY_HASH);
    return row && ok ? toPublic(row) : null;
  }
}

const DUMMY_HASH = `scrypt$${N}$${R}$${P}$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(KEYLEN).toString('base64url')}`;

/** Copies every account (hashes as they are) from one database to another, e.g. to instances that do not share one. */
export async function copyUsers(from: RecordsDb | RecordsLocation, to: RecordsDb | RecordsLocation): Promise<number> {
  const rows = await withRecords(from, (rdb) => rdb.db.selectFrom('users').selectAll().execute());
  if (rows.length === 0) return 0;
  await withRecords(to, (rdb) =>
    rdb.db
      .insertInto('users')
      .values(rows)
      .onConflict((oc) => oc.column('username').doUpdateSet((eb) => ({ role: eb.ref('excluded.role'), village_code: eb.ref('excluded.village_code'), checkpoint_id: eb.ref('excluded.checkpoint_id'), password_hash: eb.ref('excluded.password_hash'), created_at: eb.ref('excluded.created_at'), body: eb.ref('excluded.body') })))
      .execute(),
  );
  return rows.length;
}
