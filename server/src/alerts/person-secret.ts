/**
 * The server's secret for person keys (HMAC of a NIK, field notes: a plain hash of a structured
 * 16-digit NIK is trivial to brute-force). Generated once into DATA_DIR/server/person-key (0600).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function loadPersonSecret(file: string): Buffer {
  if (existsSync(file)) return readFileSync(file);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  writeFileSync(file, key, { mode: 0o600, flag: 'wx' });
  return key;
}
