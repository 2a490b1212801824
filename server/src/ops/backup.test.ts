import { describe, expect, it } from 'vitest';
import { pgEnv } from './backup.ts';

describe('pg_dump / pg_restore connection', () => {
  it('goes in libpq environment variables, the password decoded, nothing for the command line', () => {
    expect(pgEnv('postgres://sk:p%40ss%2Fw0rd@127.0.0.1:5433/smart_kampung?sslmode=require')).toEqual({
      PGHOST: '127.0.0.1', PGPORT: '5433', PGDATABASE: 'smart_kampung', PGUSER: 'sk', PGPASSWORD: 'p@ss/w0rd', PGSSLMODE: 'require',
    });
    expect(pgEnv('postgresql://db.internal/records')).toEqual({ PGHOST: 'db.internal', PGPORT: '5432', PGDATABASE: 'records' });
  });
});
