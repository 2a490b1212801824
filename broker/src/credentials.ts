/**
 * The broker's identities: one JSON file holding, per device or server, only a scrypt hash of its
 * secret. The secret itself is generated here, shown once to the operator, and never stored.
 *
 * The MQTT username is the identity id. A device id is also its MQTT client id (see broker.ts), so
 * ids are unique across devices and servers.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ID_PATTERN, PUSKESMAS_IDS, VillageCodeSchema } from '@sk/protocol';

/**
 * `device` scans at a checkpoint; `village-device` is a bansos distribution point bound to one desa
 * (issue 6); `puskesmas-device` sends one puskesmas's daily reports; `server` reads everything.
 */
export type IdentityKind = 'device' | 'server' | 'village-device' | 'puskesmas-device';
export const IDENTITY_KINDS: readonly IdentityKind[] = ['device', 'server', 'village-device', 'puskesmas-device'];

/** What the ACL needs to know about a connected client. */
export interface Identity {
  id: string;
  kind: IdentityKind;
  /** Checkpoint devices only: the checkpoint it scans at. */
  checkpointId?: string;
  /** Distribution-point devices only: the Kemendagri code of its desa, e.g. `35.10.21.2001`. */
  villageCode?: string;
  /** Puskesmas devices only: the puskesmas id, e.g. `sobo`. */
  puskesmasId?: string;
}

const isVillageCode = (s: unknown): s is string => typeof s === 'string' && VillageCodeSchema.safeParse(s).success;
const isPuskesmasId = (s: unknown): s is string => typeof s === 'string' && PUSKESMAS_IDS.includes(s);

export interface StoredIdentity extends Identity {
  /** `scrypt$N$r$p$<salt b64>$<hash b64>` */
  secretHash: string;
  createdAt: string;
  revokedAt?: string;
}

/** An identity as shown to operators: never the hash. */
export type PublicIdentity = Omit<StoredIdentity, 'secretHash'>;

export interface CredentialsFile {
  v: 1;
  identities: StoredIdentity[];
}

/** A loaded credentials file, indexed by id. */
export interface CredentialStore {
  byId: ReadonlyMap<string, StoredIdentity>;
}

export class CredentialsError extends Error {
  override name = 'CredentialsError';
}

// Secrets are 192 random bits, so the hash only has to stop a stolen file from being reversed, not
// to stretch a weak password: N=2^14 (~100 ms here) keeps a reconnect storm of every device after a
// broker restart affordable on the 2-core box. Params live in each hash, so they can rise later.
const SCRYPT = { N: 2 ** 14, r: 8, p: 1, keyLen: 32 } as const;
const SECRET_BYTES = 24;

function scrypt(password: Buffer | string, salt: Buffer, keyLen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password, salt, keyLen, { ...opts, maxmem: 128 * opts.N! * opts.r! * 2 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(secret, salt, SCRYPT.keyLen, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

interface ParsedHash { N: number; r: number; p: number; salt: Buffer; key: Buffer }

function parseHash(stored: string): ParsedHash | null {
  const [alg, n, r, p, salt, key] = stored.split('$');
  if (alg !== 'scrypt' || !n || !r || !p || !salt || !key) return null;
  const parsed = { N: Number(n), r: Number(r), p: Number(p), salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64') };
  if (![parsed.N, parsed.r, parsed.p].every((x) => Number.isInteger(x) && x > 0) || parsed.key.length < 16) return null;
  return parsed;
}

/** True when `secret` matches the stored hash; the final compare is constant-time. */
export async function checkSecret(stored: string, secret: Buffer | string): Promise<boolean> {
  const h = parseHash(stored);
  if (!h) return false;
  const key = await scrypt(secret, h.salt, h.key.length, { N: h.N, r: h.r, p: h.p });
  return timingSafeEqual(key, h.key);
}

// Used for unknown usernames so a refusal takes as long as a wrong secret (no user enumeration).
let dummyHash: Promise<string> | undefined;

/**
 * Verifies an MQTT CONNECT's username/password. Returns the identity, or null for an unknown,
 * revoked or malformed identity or a wrong secret.
 */
export async function verify(store: CredentialStore, username: string | undefined, password: Buffer | string | undefined): Promise<Identity | null> {
  if (!username || password === undefined || password.length === 0) return null;
  const found = store.byId.get(username);
  const stored = found && !found.revokedAt ? found.secretHash : await (dummyHash ??= hashSecret(randomBytes(SECRET_BYTES).toString('base64url')));
  const ok = await checkSecret(stored, password);
  if (!ok || !found || found.revokedAt) return null;
  return toIdentity(found);
}

/** The ACL-relevant part of a stored identity: only the binding of its own kind, nothing else. */
export function toIdentity(s: StoredIdentity): Identity {
  switch (s.kind) {
    case 'device':
      return { id: s.id, kind: 'device', checkpointId: s.checkpointId! };
    case 'village-device':
      return { id: s.id, kind: 'village-device', villageCode: s.villageCode! };
    case 'puskesmas-device':
      return { id: s.id, kind: 'puskesmas-device', puskesmasId: s.puskesmasId! };
    default:
      return { id: s.id, kind: 'server' };
  }
}

function validateFile(data: unknown, file: string): CredentialsFile {
  const bad = (why: string) => new CredentialsError(`credentials file ${file} is invalid: ${why}`);
  if (typeof data !== 'object' || data === null || (data as CredentialsFile).v !== 1 || !Array.isArray((data as CredentialsFile).identities)) {
    throw bad('expected {"v":1,"identities":[…]}');
  }
  const seen = new Set<string>();
  for (const [i, s] of (data as CredentialsFile).identities.entries()) {
    if (typeof s?.id !== 'string' || !ID_PATTERN.test(s.id)) throw bad(`identities[${i}].id is not a lower-case id`);
    if (seen.has(s.id)) throw bad(`identity ${s.id} appears twice`);
    seen.add(s.id);
    if (!IDENTITY_KINDS.includes(s.kind)) throw bad(`identities[${i}].kind must be one of ${IDENTITY_KINDS.join(', ')}`);
    if (s.kind === 'device' && (typeof s.checkpointId !== 'string' || !ID_PATTERN.test(s.checkpointId))) {
      throw bad(`identities[${i}].checkpointId is not a lower-case id`);
    }
    if (s.kind === 'village-device' && !isVillageCode(s.villageCode)) throw bad(`identities[${i}].villageCode is not a village code like 35.10.21.2001`);
    if (s.kind === 'puskesmas-device' && !isPuskesmasId(s.puskesmasId)) throw bad(`identities[${i}].puskesmasId is not a known puskesmas`);
    if (typeof s.secretHash !== 'string' || !parseHash(s.secretHash)) throw bad(`identities[${i}].secretHash is not an scrypt hash`);
  }
  return data as CredentialsFile;
}

/** Reads the file; a missing file is an empty one. Throws CredentialsError on a malformed file. */
export async function readCredentials(file: string): Promise<CredentialsFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { v: 1, identities: [] };
    throw err;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new CredentialsError(`credentials file ${file} is not JSON`);
  }
  return validateFile(data, file);
}

export async function loadCredentials(file: string): Promise<CredentialStore> {
  const data = await readCredentials(file);
  return { byId: new Map(data.identities.map((s) => [s.id, s])) };
}

// Writes are whole-file: tmp file in the same directory, then rename, so a reader (the broker's
// watcher) sees either the old or the new file, never half of one. Owner-only permissions.
async function writeCredentials(file: string, data: CredentialsFile): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
  await rename(tmp, file);
}

// Read-modify-write calls in one process are serialised so two adds never lose one another.
let queue: Promise<unknown> = Promise.resolve();
function serialised<T>(fn: () => Promise<T>): Promise<T> {
  const next = queue.then(fn, fn);
  queue = next.catch(() => undefined);
  return next;
}

function checkId(what: string, id: string): void {
  if (!ID_PATTERN.test(id)) throw new CredentialsError(`${what} ${JSON.stringify(id)} is not a lower-case id (a-z, 0-9, -, at most 32 characters)`);
}

async function addIdentity(file: string, identity: Identity): Promise<{ id: string; secret: string }> {
  return serialised(async () => {
    const data = await readCredentials(file);
    const existing = data.identities.find((s) => s.id === identity.id);
    // A revoked id may be enrolled again (a repaired device); an active one must be revoked first.
    if (existing && !existing.revokedAt) throw new CredentialsError(`identity ${identity.id} already exists; revoke it first to issue a new secret`);
    const secret = randomBytes(SECRET_BYTES).toString('base64url');
    const stored: StoredIdentity = { ...identity, secretHash: await hashSecret(secret), createdAt: new Date().toISOString() };
    data.identities = [...data.identities.filter((s) => s.id !== identity.id), stored];
    await writeCredentials(file, data);
    return { id: identity.id, secret };
  });
}

/** Enrols a checkpoint device. The returned secret is shown once; only its hash is stored. */
export async function addDevice(file: string, opts: { checkpointId: string; deviceId: string }): Promise<{ id: string; secret: string }> {
  checkId('checkpoint id', opts.checkpointId);
  checkId('device id', opts.deviceId);
  return addIdentity(file, { id: opts.deviceId, kind: 'device', checkpointId: opts.checkpointId });
}

/** Enrols a bansos distribution-point device of one desa (village code format checked here; existence by the CLI). */
export async function addVillageDevice(file: string, opts: { villageCode: string; deviceId: string }): Promise<{ id: string; secret: string }> {
  if (!isVillageCode(opts.villageCode)) throw new CredentialsError(`village code ${JSON.stringify(opts.villageCode)} is not like 35.10.21.2001`);
  checkId('device id', opts.deviceId);
  return addIdentity(file, { id: opts.deviceId, kind: 'village-device', villageCode: opts.villageCode });
}

/** Enrols a puskesmas reporting device. */
export async function addPuskesmasDevice(file: string, opts: { puskesmasId: string; deviceId: string }): Promise<{ id: string; secret: string }> {
  if (!isPuskesmasId(opts.puskesmasId)) throw new CredentialsError(`puskesmas ${JSON.stringify(opts.puskesmasId)} is unknown (one of: ${PUSKESMAS_IDS.join(', ')})`);
  checkId('device id', opts.deviceId);
  return addIdentity(file, { id: opts.deviceId, kind: 'puskesmas-device', puskesmasId: opts.puskesmasId });
}

/** Enrols a server (ingest) identity. */
export async function addServer(file: string, id: string): Promise<{ id: string; secret: string }> {
  checkId('server id', id);
  return addIdentity(file, { id, kind: 'server' });
}

/** Marks an identity revoked (kept for the audit trail). Throws when unknown; idempotent when already revoked. */
export async function revoke(file: string, id: string): Promise<PublicIdentity> {
  return serialised(async () => {
    const data = await readCredentials(file);
    const found = data.identities.find((s) => s.id === id);
    if (!found) throw new CredentialsError(`no identity ${JSON.stringify(id)}`);
    if (!found.revokedAt) {
      found.revokedAt = new Date().toISOString();
      await writeCredentials(file, data);
    }
    return toPublic(found);
  });
}

function toPublic({ secretHash: _hash, ...rest }: StoredIdentity): PublicIdentity {
  return rest;
}

/** Every identity, without hashes. */
export async function list(file: string): Promise<PublicIdentity[]> {
  return (await readCredentials(file)).identities.map(toPublic);
}
