/**
 * Keyed hashes for the double-aid index: HMAC-SHA256(server secret, value) truncated to 64 bits.
 * A plain hash of a 16-digit structured NIK is reversible by brute force in minutes; without the
 * secret an HMAC is not. The secret lives in DATA_DIR/server/aid/secret (0600, made on first start)
 * unless AID_HMAC_SECRET gives it.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { normaliseName } from '@sk/protocol';
import type { Key64 } from './double-index.ts';

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
}

/** 32-bit hash of a handout id (not secret: ids carry no personal data). */
export function handoutHash(id: string): number {
  return createHash('sha256').update(id).digest().readUInt32BE(0);
}

export const keyHex = (k: Key64): string => k.hi.toString(16).padStart(8, '0') + k.lo.toString(16).padStart(8, '0');
export const keyFromHex = (s: string): Key64 => ({ hi: parseInt(s.slice(0, 8), 16) >>> 0, lo: parseInt(s.slice(8, 16), 16) >>> 0 });

/** The secret from the environment value, else the file (created 0600 with 32 random bytes). */
export function loadAidSecret(dir: string, fromEnv?: string): Buffer {
  if (fromEnv) return Buffer.from(fromEnv, 'utf8');
  const file = join(dir, 'secret');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
}
