/**
 * Issue 6: the `sim aid` scenario against the real server (aedes, private influxd, socket.io): doubles
 * injected by NIK, KK and across programmes, over HTTP and MQTT distribution-point devices; every
 * one raises exactly one alarm on the command centre's socket and no fresh handout raises any.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '@sk/server';
import type { AidSummary } from '../simulators/src/scenarios/aid.ts';
import { bootServer, signIn, startBareBroker, startInflux, tempDir } from './server-fixtures.ts';

const root = join(import.meta.dirname, '..');
const PASSWORD = 'rahasia-sekali-123'; // what signIn() gives its users

function sim(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'simulators/src/cli.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('sim aid against the real server', () => {
  let broker: Awaited<ReturnType<typeof startBareBroker>>;
  let influx: Awaited<ReturnType<typeof startInflux>>;
  let server: RunningServer;
  const dataDir = tempDir('aid-sim');

  beforeAll(async () => {
    [broker, influx] = await Promise.all([startBareBroker(), startInflux()]);
    server = await bootServer({ MQTT_URL: broker.url, INFLUX_URL: influx.url, DATA_DIR: dataDir });
    await signIn(server, dataDir, 'komando', 'command');
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await Promise.all([broker?.close(), influx?.cleanup()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('every injected double (NIK, KK, conflicting programme; HTTP and MQTT) raises exactly one alarm, fresh handouts none', async () => {
    const common = ['--server', server.url, '--broker', broker.url, '--user', 'komando', '--password', PASSWORD, '--json'];
    const r = await sim(['aid', ...common, '--handouts', '80', '--villages', '8', '--double-rate', '0.35', '--via', 'both', '--seed', 'uji-1', '--date', '2026-11-28']);
    expect(r.stderr).toBe('');
    const s = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as AidSummary;
    expect(r.code).toBe(0);
    expect(s).toMatchObject({ handouts: 80, recorded: 80, rejected: 0, missed: 0, extraAlarms: 0, ok: true });
    expect(s.doublesInjected).toBeGreaterThan(10);
    expect(Object.values(s.injectedByKind).every((n) => n > 0)).toBe(true);
    expect(s.exactlyOneAlarm).toBe(s.doublesInjected);
    expect(s.doublesDetected).toBe(s.doublesInjected);
  }, 120_000);

  it('bad options are listed together, exit 1', async () => {
    const r = await sim(['aid', '--server', server.url, '--double-rate', '2', '--kinds', 'nik,twins', '--via', 'pigeon']);
    expect(r.code).toBe(1);
    for (const m of ['--double-rate', '--kinds', '--via', '--user']) expect(r.stderr).toContain(m);
  });
});
