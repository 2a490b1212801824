import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addDevice, addPuskesmasDevice, addServer, addVillageDevice, CredentialsError, list, loadCredentials, revoke, verify } from './credentials.ts';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sk-cred-'));
  file = join(dir, 'broker', 'credentials.json');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('credentials file', () => {
  it('stores only a hash of the secret, owner-readable only', async () => {
    const { id, secret } = await addDevice(file, { checkpointId: 'ketapang', deviceId: 'ketapang-01' });
    expect(id).toBe('ketapang-01');
    expect(secret.length).toBeGreaterThanOrEqual(32);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(secret);
    expect(text).toMatch(/"secretHash": "scrypt\$/);
    expect((await stat(file)).mode & 0o077).toBe(0);
  });

  it('verifies the right secret and refuses wrong, unknown, empty and revoked', async () => {
    const d = await addDevice(file, { checkpointId: 'ketapang', deviceId: 'ketapang-01' });
    const s = await addServer(file, 'ingest');
    let store = await loadCredentials(file);
    expect(await verify(store, 'ketapang-01', Buffer.from(d.secret))).toEqual({ id: 'ketapang-01', kind: 'device', checkpointId: 'ketapang' });
    expect(await verify(store, 'ingest', s.secret)).toEqual({ id: 'ingest', kind: 'server' });
    expect(await verify(store, 'ketapang-01', s.secret)).toBeNull();
    expect(await verify(store, 'nobody', d.secret)).toBeNull();
    expect(await verify(store, 'ketapang-01', '')).toBeNull();
    expect(await verify(store, undefined, undefined)).toBeNull();
    await revoke(file, 'ketapang-01');
    store = await loadCredentials(file);
    expect(await verify(store, 'ketapang-01', d.secret)).toBeNull();
  });

  it('list never shows hashes; revoked identities stay listed with revokedAt', async () => {
    await addDevice(file, { checkpointId: 'kalibaru', deviceId: 'kalibaru-01' });
    await addServer(file, 'ingest');
    await revoke(file, 'kalibaru-01');
    const all = await list(file);
    expect(all.map((i) => i.id)).toEqual(['kalibaru-01', 'ingest']);
    expect(JSON.stringify(all)).not.toContain('secretHash');
    expect(all[0]?.revokedAt).toBeTruthy();
    expect(all[1]?.revokedAt).toBeUndefined();
  });

  it('refuses duplicates and bad ids with a clear error; re-enrols a revoked device', async () => {
    await addDevice(file, { checkpointId: 'ketapang', deviceId: 'ketapang-01' });
    await expect(addDevice(file, { checkpointId: 'ketapang', deviceId: 'ketapang-01' })).rejects.toThrow(/already exists/);
    await expect(addServer(file, 'ketapang-01')).rejects.toThrow(/already exists/);
    await expect(addDevice(file, { checkpointId: 'Ketapang', deviceId: 'x' })).rejects.toThrow(CredentialsError);
    await expect(addDevice(file, { checkpointId: 'ketapang', deviceId: 'a/b' })).rejects.toThrow(/device id/);
    await expect(addServer(file, '')).rejects.toThrow(/server id/);
    await expect(revoke(file, 'nobody')).rejects.toThrow(/no identity/);
    await revoke(file, 'ketapang-01');
    const again = await addDevice(file, { checkpointId: 'ketapang', deviceId: 'ketapang-01' });
    expect(await verify(await loadCredentials(file), 'ketapang-01', again.secret)).not.toBeNull();
  });

  it('concurrent adds in one process all land', async () => {
    await Promise.all(Array.from({ length: 8 }, (_, i) => addDevice(file, { checkpointId: 'ketapang', deviceId: `ketapang-${i}` })));
    expect((await list(file)).length).toBe(8);
  });

  it('a missing file is empty; a malformed one is a clear error', async () => {
    expect(await list(join(dir, 'none.json'))).toEqual([]);
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"v":1,"identities":[{"id":"x","kind":"device","secretHash":"scrypt$1$1$1$AA$AA"}]}');
    await expect(loadCredentials(bad)).rejects.toThrow(/checkpointId/);
    await writeFile(bad, 'not json');
    await expect(loadCredentials(bad)).rejects.toThrow(/not JSON/);
  });
});

describe('village and puskesmas devices (issue 6)', () => {
  it('enrols them bound to their desa / puskesmas, verifies them as such, and refuses a bad binding', async () => {
    const v = await addVillageDevice(file, { villageCode: '35.10.21.2001', deviceId: 'pos-01' });
    const p = await addPuskesmasDevice(file, { puskesmasId: 'sobo', deviceId: 'sobo-01' });
    const store = await loadCredentials(file);
    expect(await verify(store, 'pos-01', v.secret)).toEqual({ id: 'pos-01', kind: 'village-device', villageCode: '35.10.21.2001' });
    expect(await verify(store, 'sobo-01', p.secret)).toEqual({ id: 'sobo-01', kind: 'puskesmas-device', puskesmasId: 'sobo' });
    expect((await list(file)).map((i) => i.kind)).toEqual(['village-device', 'puskesmas-device']);
    await expect(addVillageDevice(file, { villageCode: '35.10.21', deviceId: 'pos-02' })).rejects.toThrow(CredentialsError);
    await expect(addVillageDevice(file, { villageCode: '35.10.21.2001', deviceId: 'Pos 2' })).rejects.toThrow(CredentialsError);
    await expect(addPuskesmasDevice(file, { puskesmasId: 'nowhere', deviceId: 'x-01' })).rejects.toThrow(/unknown/);
    await expect(addVillageDevice(file, { villageCode: '35.10.21.2001', deviceId: 'sobo-01' })).rejects.toThrow(/already exists/);
  });

  it('refuses a file whose village device has no village code', async () => {
    await addVillageDevice(file, { villageCode: '35.10.21.2001', deviceId: 'pos-01' });
    const data = JSON.parse(await readFile(file, 'utf8'));
    delete data.identities[0].villageCode;
    await writeFile(file, JSON.stringify(data));
    await expect(loadCredentials(file)).rejects.toThrow(/villageCode/);
  });
});
