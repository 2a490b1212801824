/** The server CLI: --help, and `user add` writing a scrypt-hashed account that can sign in. */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from './server-fixtures.ts';

const run = promisify(execFile);
const cli = (args: string[], env: Record<string, string> = {}) =>
  run('npx', ['tsx', 'server/src/cli.ts', ...args], { cwd: join(import.meta.dirname, '..'), env: { ...process.env, ...env } }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

describe('server CLI', () => {
  it('prints help', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('user add <username>');
  });

  it('adds a village officer with a generated password shown once, stored only as a scrypt hash', async () => {
    const dir = tempDir('cli');
    try {
      const r = await cli(['user', 'add', 'desa-kelir', '--role', 'village', '--village', '35.10.21.2005'], { DATA_DIR: dir });
      expect(r.code).toBe(0);
      const password = /password \(shown once\): (\S+)/.exec(r.stdout)?.[1];
      expect(password).toBeTruthy();
      const file = readFileSync(join(dir, 'server', 'users.json'), 'utf8');
      expect(file).not.toContain(password!);
      expect(file).toContain('scrypt$');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a village officer without a real village, with a clear error', async () => {
    const r = await cli(['user', 'add', 'desa-x', '--role', 'village', '--village', '99.99.99.9999'], { DATA_DIR: tempDir('cli') });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--village must be a Banyuwangi village code');
  });
});
