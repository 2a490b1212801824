/**
 * The upgrade import of DATA_DIR/server/users.json (the journal-keeping versions' staff accounts,
 * `{ users: StoredUser[] }`, scrypt hashes) into `users`, once (db/legacy-import.ts). A user already in
 * the database is kept as it is: the database is newer than the file. Sessions lived in memory or in
 * Redis and are not carried over (everyone signs in once after the upgrade).
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { LegacyImporter } from '../db/legacy-import.ts';
import { StoredUserSchema, userRow } from './users.ts';

export const legacyUsersFile = (dataDir: string) => join(dataDir, 'server', 'users.json');

export const usersJsonImporter: LegacyImporter = {
  name: 'users-json',
  async run(rdb, dataDir) {
    const file = legacyUsersFile(dataDir);
    if (!existsSync(file)) return 0;
    const { users } = z.object({ users: z.array(StoredUserSchema) }).parse(JSON.parse(readFileSync(file, 'utf8')));
    let imported = 0;
    for (const u of users) {
      const r = await rdb.db.insertInto('users').values(userRow(u)).onConflict((oc) => oc.column('username').doNothing()).executeTakeFirst();
      imported += Number(r.numInsertedOrUpdatedRows ?? 0);
    }
    renameSync(file, `${file}.imported`);
    return imported;
  },
};
