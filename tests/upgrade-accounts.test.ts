/**
 * Issue 15, the upgrade: a DATA_DIR written by the journal-keeping server (users.json with scrypt
 * hashes, puskesmas reports pending in pending.jsonl) is imported on the first start of this version,
 * once: the old password signs in, the pending report reaches InfluxDB, the files are kept renamed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '@sk/server';
import { hashPassword } from '../server/src/auth/users.ts';
import { bootServer, startBareBroker, startInflux, tempDir, until } from './server-fixtures.ts';

describe('upgrading a deployment’s accounts and pending puskesmas reports', () => {
  let broker: Awaited<ReturnType<typeof startBareBroker>>;
  let influx: Awaited<ReturnType<typeof startInflux>>;
  let server: RunningServer | undefined;
  const dataDir = tempDir('upgrade');

  beforeAll(async () => {
    [broker, influx] = await Promise.all([startBareBroker(), startInflux()]);
    // As the previous version left them (auth/users.ts and puskesmas/pending-reports.ts of 0.1.0).
    mkdirSync(join(dataDir, 'server', 'puskesmas'), { recursive: true });
    const user = { username: 'dinkes', displayName: 'Dinas Kesehatan', role: 'command', passwordHash: await hashPassword('kata-sandi-lama-1'), createdAt: '2026-06-01T00:00:00.000Z' };
    writeFileSync(join(dataDir, 'server', 'users.json'), JSON.stringify({ users: [user] }, null, 2) + '\n', { mode: 0o600 });
    const report = { puskesmasId: 'licin', date: '2026-06-02', suspects: 1, newConfirmed: 2, recoveries: 3, deaths: 0, tests: 11 };
    writeFileSync(join(dataDir, 'server', 'puskesmas', 'pending.jsonl'), `${JSON.stringify(report)}\n`, { mode: 0o600 });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await Promise.all([broker?.close(), influx?.cleanup()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the old password signs in, the pending report is stored, and a second start imports nothing again', async () => {
    server = await bootServer({ MQTT_URL: broker.url, INFLUX_URL: influx.url, DATA_DIR: dataDir });
    const login = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'dinkes', password: 'kata-sandi-lama-1' }) });
    expect(login.status).toBe(200);
    expect((await login.json()).data.user).toEqual({ username: 'dinkes', displayName: 'Dinas Kesehatan', role: 'command' });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const exported = async () => {
      const r = await fetch(`${server!.url}/api/puskesmas/export?format=json&from=2026-06-02&to=2026-06-02`, { headers: { cookie } });
      return ((await r.json()) as { data?: { rows: { puskesmasId: string; tests: number }[] } }).data?.rows ?? [];
    };
    await until('the imported pending report stored in InfluxDB', async () => (await exported()).length === 1);
    expect(await exported()).toMatchObject([{ puskesmasId: 'licin', tests: 11 }]);
    expect(existsSync(join(dataDir, 'server', 'users.json'))).toBe(false);
    expect(existsSync(join(dataDir, 'server', 'users.json.imported'))).toBe(true);
    expect(existsSync(join(dataDir, 'server', 'puskesmas', 'pending.jsonl.imported'))).toBe(true);

    // A users.json put back by mistake is not read again: the database is the record.
    await server.close();
    writeFileSync(join(dataDir, 'server', 'users.json'), JSON.stringify({ users: [{ username: 'stale', displayName: 'x', role: 'command', passwordHash: await hashPassword('kata-sandi-lama-2'), createdAt: '2026-06-01T00:00:00.000Z' }] }));
    server = await bootServer({ MQTT_URL: broker.url, INFLUX_URL: influx.url, DATA_DIR: dataDir });
    const stale = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'stale', password: 'kata-sandi-lama-2' }) });
    expect(stale.status).toBe(401);
    // Sessions are rows of the database: the cookie from before the restart still works.
    expect((await fetch(`${server.url}/api/auth/me`, { headers: { cookie } })).status).toBe(200);
  }, 90_000);
});
