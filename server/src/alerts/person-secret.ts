/**
 * The server's secret for person keys (HMAC of a NIK, field notes: a plain hash of a structured
 * 16-digit NIK is trivial to brute-force). Kept in the database of record (`meta`), so every server of
 * a cluster folds one person's scans into one alert and one follow-up; the first start makes it (or
 * takes the DATA_DIR/server/person-key file of a journal-keeping version, so keys made before the
 * upgrade still match), and two servers starting at once keep the first one written.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { RecordsDb } from '../db/database.ts';

const KEY = 'person-key';

export async function loadPersonSecret(rdb: RecordsDb, legacyFile?: string): Promise<Buffer> {
  const candidate = legacyFile && existsSync(legacyFile) ? readFileSync(legacyFile) : randomBytes(32);
  await rdb.db.insertInto('meta').values({ key: KEY, value: candidate.toString('base64') }).onConflict((oc) => oc.column('key').doNothing()).execute();
  const row = await rdb.db.selectFrom('meta').select('value').where('key', '=', KEY).executeTakeFirstOrThrow();
  return Buffer.from(row.value, 'base64');
}
