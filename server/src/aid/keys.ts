/**
 * Keyed hashes of NIK, KK and name + birth date for the aid tables: HMAC-SHA256(server secret, value)
 * truncated to 64 bits, kept as 16 hex digits (the journal of sessions 1–4 used the same keys, so its
 * handouts import as they are).
 * A plain hash of a 16-digit structured NIK is reversible by brute force in minutes; without the
 * secret an HMAC is not. The secret lives in DATA_DIR/server/aid/secret (0600, made on first start)
 * unless AID_HMAC_SECRET gives it.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { normaliseName } from '@sk/protocol';

/** 64 bits of an HMAC, as two unsigned 32-bit halves. */
export interface Key64 { hi: number; lo: number }

export class AidKeys {
  constructor(private readonly secret: Buffer) {
    if (secret.length < 16) throw new Error('aid HMAC secret: at least 16 bytes');
  }

  #key(domain: string, value: string): Key64 {
    // The domain prefix keeps a NIK and a KK with the same digits apart.
    const d = createHmac('sha256', this.secret).update(`${domain}:${value}`).digest();
    return { hi: d.readUInt32BE(0), lo: d.readUInt32BE(4) };
  }

  person(nik: string): Key64 {
    return this.#key('nik', nik);
  }
  household(kk: string): Key64 {
    return this.#key('kk', kk);
  }
  /** Identifies the secret without revealing it: instances of one cluster must share the secret. */
  fingerprint(): string {
    return keyHex(this.#key('fingerprint', 'sk-aid-index'));
  }
  /** Normalised name + birth date, for "possible double" (same person, different NIK). */
  nameBirth(name: string, birthDate: string): Key64 {
    return this.#key('nb', `${normaliseName(name)}|${birthDate}`);
  }

  /** The hex keys the aid tables hold. */
  hex(nik: string, kk?: string | null, name?: string | null, birthDate?: string | null): { person: string; household: string | null; nameBirth: string | null } {
    return { person: keyHex(this.person(nik)), household: kk ? keyHex(this.household(kk)) : null, nameBirth: name && birthDate ? keyHex(this.nameBirth(name, birthDate)) : null };
  }
}

export const keyHex = (k: Key64): string => k.hi.toString(16).padStart(8, '0') + k.lo.toString(16).padStart(8, '0');

/** The secret from the environment value, else the file (created 0600 with 32 random bytes). */
export function loadAidSecret(dir: string, fromEnv?: string): Buffer {
  if (fromEnv) return Buffer.from(fromEnv, 'utf8');
  const file = join(dir, 'secret');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
}
