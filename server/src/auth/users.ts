/**
 * Staff accounts in DATA_DIR/server/users.json (mode 0600), passwords as scrypt hashes
 * (`scrypt$N$r$p$salt$hash`, base64url). Written atomically (temp file + rename).
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { CHECKPOINT_IDS, VillageCodeSchema } from '@sk/protocol';
import { loadRegions } from '@sk/protocol/regions';

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

const StoredUserSchema = z.object({
  username: UsernameSchema,
  displayName: z.string().min(1).max(100),
  role: z.enum(['command', 'village', 'checkpoint']),
  villageCode: VillageCodeSchema.optional(),
  checkpointId: z.string().optional(),
  passwordHash: z.string(),
  createdAt: z.string(),
});
type StoredUser = z.infer<typeof StoredUserSchema>;
const UsersFileSchema = z.object({ users: z.array(StoredUserSchema) });

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

function readFile(file: string): StoredUser[] {
  if (!existsSync(file)) return [];
  return UsersFileSchema.parse(JSON.parse(readFileSync(file, 'utf8'))).users;
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

/** Adds or replaces a user; returns the password (the generated one when none was given). Throws on bad input. */
export async function addUser(file: string, input: AddUserInput): Promise<{ user: PublicUser; password: string }> {
  const username = UsernameSchema.parse(input.username);
  if (input.role === 'village') {
    if (!input.villageCode || !loadRegions().village(input.villageCode)) throw new Error('--village must be a Banyuwangi village code, e.g. 35.10.21.2001');
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
  const users = readFile(file).filter((u) => u.username !== username);
  users.push(user);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ users }, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
  return { user: toPublic(user), password };
}

function toPublic(u: StoredUser): PublicUser {
  return {
    username: u.username,
    displayName: u.displayName,
    role: u.role,
    ...(u.villageCode ? { villageCode: u.villageCode } : {}),
    ...(u.checkpointId ? { checkpointId: u.checkpointId } : {}),
  };
}

/** Reads the users file on every login (it is small, and the CLI may have changed it). */
export class UserDirectory {
  constructor(readonly file: string) {}

  async authenticate(username: string, password: string): Promise<PublicUser | null> {
    const user = readFile(this.file).find((u) => u.username === username);
    // Hash even for an unknown user so timing does not reveal which usernames exist.
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    return user && ok ? toPublic(user) : null;
  }
}

const DUMMY_HASH = `scrypt$${N}$${R}$${P}$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(KEYLEN).toString('base64url')}`;
