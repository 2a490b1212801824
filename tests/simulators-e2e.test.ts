/**
 * The simulators against the whole pipeline: real edge agents → bare aedes → the real server →
 * a private influxd, then the simulator's own `verify` asks the server what it stored.
 */
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDevice, addServer, createLogger, startBroker } from '@sk/broker';
import type { RunningServer } from '@sk/server';
import { bootServer, serverRig, signIn, tempDir, type ServerRig } from './server-fixtures.ts';

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
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!);

describe('simulators end to end with the real server', () => {
  const rig = serverRig('server');
  let broker: ServerRig['broker'];
  let server: RunningServer;
  let dataDir: string;
  let simDir: string;

  beforeAll(async () => {
    ({ broker, server, dataDir } = rig);
    simDir = tempDir('sim');
    await signIn(server, dataDir, 'pusat', 'command');
  });
  afterAll(() => {
    if (simDir) rmSync(simDir, { recursive: true, force: true });
  });

  it('closed-loop load: every scan stored exactly once, as the server itself reports', async () => {
    const r = await sim(['load', '--bare', '--closed', '--count', '200', '--devices', '2', '--json', '--broker', broker.url, '--server', server.url, '--user', 'pusat', '--password', PASSWORD, '--data-dir', simDir, '--seed', '21']);
    expect(r.code, r.stderr).toBe(0);
    expect(lastJson(r.stdout)).toMatchObject({ scenario: 'load-closed', submitted: 200, acked: 200, stored: 200, lost: 0, doubled: 0, verified: true });
  });

  it('checkpoints scenario runs realistic traffic; verify finds nothing missing or doubled', async () => {
    const r = await sim(['checkpoints', '--bare', '--count', '60', '--speed', '3600', '--base-rate', '600', '--devices', '1', '--json', '--broker', broker.url, '--data-dir', simDir]);
    expect(r.code, r.stderr).toBe(0);
    const s = lastJson(r.stdout);
    expect(s).toMatchObject({ scenario: 'checkpoints', submitted: 60, acked: 60, lost: 0 });
    const v = await sim(['verify', '--json', '--settle', '0', '--server', server.url, '--user', 'pusat', '--password', PASSWORD, '--data-dir', simDir]);
    expect(v.code, v.stderr).toBe(0);
    expect(lastJson(v.stdout)).toMatchObject({ sent: 260, stored: 260, missingCount: 0, inFlightCount: 0, doubledCount: 0, unexpectedCount: 0 });
  });

  it('verify with a wrong password is a clear error, not a crash', async () => {
    const v = await sim(['verify', '--server', server.url, '--user', 'pusat', '--password', 'salah', '--data-dir', simDir]);
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/^verify: login: /m);
    expect(v.stderr).not.toMatch(/\n\s+at /);
  });

  it('through link drops, power cycles, duplicate delivery, hostile payloads and clock skew: nothing lost, nothing doubled, nothing hostile stored', async () => {
    const r = await sim(['load', '--bare', '--rate', '60', '--count', '300', '--devices', '2', '--faults', 'drop,restart,hostile,skew,duplicate', '--fault-every', '0.5', '--seed', 'gangguan', '--json',
      '--broker', broker.url, '--server', server.url, '--user', 'pusat', '--password', PASSWORD, '--data-dir', tempDir('sim-faults'), '--drain-timeout', '90']);
    expect(r.code, r.stderr).toBe(0);
    const s = lastJson(r.stdout);
    expect(s.rejectReasons).toEqual({});
    expect(s, r.stderr).toMatchObject({ submitted: 300, rejected: 0, acked: 300, stored: 300, lost: 0, doubled: 0, verified: true });
    expect(s.faults.hostileStored).toBe(0);
    expect(s.faults.hostile.sent + s.faults.drop + s.faults.restart + s.faults.duplicate.injections).toBeGreaterThan(0);
    expect(s.faults.errors).toEqual([]);
    // Every skewed device (this seed: one an hour fast, the rest drifting) stamps with the server's time by the end (issue 17).
    expect(s.faults.skew.length).toBeGreaterThan(0);
    for (const k of s.faults.skew as { injectedMs: number; measuredMs: number | null; serverTime: boolean }[]) {
      expect(k.serverTime).toBe(true);
      expect(Math.abs(k.measuredMs! - k.injectedMs)).toBeLessThan(10_000);
    }
  });

  it('hostile payloads through the authenticated broker, as the device itself: refused or dead-lettered, never stored, nothing lost', async () => {
    const dir = tempDir('sim-auth');
    const credFile = join(dir, 'credentials.json');
    const secrets: Record<string, string> = {};
    for (const deviceId of ['ketapang-01', 'wongsorejo-01']) secrets[deviceId] = (await addDevice(credFile, { checkpointId: deviceId.split('-')[0]!, deviceId })).secret;
    const srv = await addServer(credFile, 'sk-server');
    writeFileSync(join(dir, 'devices.json'), JSON.stringify(secrets));
    const authBroker = await startBroker({ mqttPort: 0, credentialsFile: credFile, logger: createLogger('silent') });
    const authDataDir = tempDir('server-auth');
    const authServer = await bootServer({ MQTT_URL: `mqtt://127.0.0.1:${authBroker.mqttPort}`, MQTT_USERNAME: srv.id, MQTT_PASSWORD: srv.secret, INFLUX_URL: rig.influx.url, INFLUX_DB: 'sim_auth', DATA_DIR: authDataDir });
    try {
      await signIn(authServer, authDataDir, 'pusat', 'command');
      const r = await sim(['load', '--credentials', join(dir, 'devices.json'), '--checkpoints', 'ketapang,wongsorejo', '--devices', '1', '--rate', '30', '--count', '60',
        '--faults', 'hostile', '--fault-every', '1', '--seed', 'nakal', '--json', '--broker', `mqtt://127.0.0.1:${authBroker.mqttPort}`, '--server', authServer.url,
        '--user', 'pusat', '--password', PASSWORD, '--data-dir', join(dir, 'sim'), '--drain-timeout', '90']);
      expect(r.code, r.stderr).toBe(0);
      const s = lastJson(r.stdout);
      expect(s, r.stderr).toMatchObject({ submitted: 60, acked: 60, stored: 60, lost: 0, doubled: 0, verified: true });
      expect(s.faults.hostile.sent).toBeGreaterThan(0);
      expect(s.faults.hostileStored).toBe(0);
      expect(s.faults.errors).toEqual([]);
    } finally {
      await authServer.close();
      await authBroker.close();
      rmSync(dir, { recursive: true, force: true });
      rmSync(authDataDir, { recursive: true, force: true });
    }
  });
});
