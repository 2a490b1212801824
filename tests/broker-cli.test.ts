import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from './broker-helpers.ts';
import { freePort } from '../scripts/lib/influxd.ts';

const CLI = join(import.meta.dirname, '..', 'broker', 'src', 'cli.ts');
const TSX = join(import.meta.dirname, '..', 'node_modules', '.bin', 'tsx');
let dataDir: string;
const children = new Set<ChildProcess>();

function cli(args: string[], env: Record<string, string> = {}, onOut?: (out: string, child: ChildProcess) => void): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [CLI, ...args], { env: { ...process.env, DATA_DIR: dataDir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      onOut?.(out, child);
    });
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      children.delete(child);
      resolve({ code, out, err });
    });
  });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sk-broker-cli-'));
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

describe('sk-broker CLI', () => {
  it.each([[['--help']], [['start', '--help']], [['device', 'add', '--help']], [['device', 'list', '--help']], [['device', 'revoke', '--help']], [['server', 'add', '--help']], [['village-device', 'add', '--help']], [['puskesmas-device', 'add', '--help']]])(
    '%j prints usage',
    async (args) => {
      const r = await cli(args);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^Usage: sk-broker/);
    },
  );

  it.each([
    [['device', 'add', 'ketapang'], /expected <checkpointId> <deviceId>/],
    [['device', 'add', 'Ketapang', 'x'], /not a lower-case id/],
    [['device', 'revoke', 'nobody'], /no identity/],
    [['frobnicate'], /unknown command/],
  ])('%j fails with a clear message', async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('enrols a device, lists it without the secret, and runs a broker it can log in to', async () => {
    const added = await cli(['device', 'add', 'kalibaru', 'kalibaru-01']);
    expect(added.code).toBe(0);
    const secret = /secret[^:]*: (\S+)/.exec(added.out)?.[1];
    expect(secret).toBeTruthy();
    const listed = await cli(['device', 'list']);
    expect(listed.out).toMatch(/kalibaru-01\s+device\s+kalibaru/);
    expect(listed.out).not.toContain(secret);

    let port: number | undefined;
    let metrics = '';
    const metricsPort = await freePort();
    const run = cli(['start'], { MQTT_PORT: '0', MQTT_WS_PORT: 'off', BROKER_METRICS_PORT: String(metricsPort) }, (out, child) => {
      const m = /"mqttPort":(\d+)/.exec(out);
      if (m && port === undefined) {
        port = Number(m[1]);
        connect(port, { clientId: 'kalibaru-01', username: 'kalibaru-01', password: secret! }).then(
          async (c) => {
            // the Prometheus endpoint counts the connected device
            metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((res) => res.text(), () => '');
            await c.endAsync();
            child.kill('SIGTERM');
          },
          () => child.kill('SIGTERM'),
        );
      }
    });
    const r = await run;
    expect(port).toBeGreaterThan(0);
    expect(metrics).toMatch(/sk_broker_\w+/);
    expect(metrics).not.toContain(secret);
    expect(r.out).toContain('"msg":"connected"');
    expect(r.out).toContain('broker closed');
    expect(r.out).not.toContain(secret);
    expect(r.code).toBe(0);
  });

  it('enrols a distribution-point device for a real desa and a puskesmas device; refuses an unknown desa or puskesmas', async () => {
    const v = await cli(['village-device', 'add', '35.10.01.2001', 'pos-cli-01']);
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/desa 35\.10\.01\.2001[\s\S]*secret \(shown once/);
    const p = await cli(['puskesmas-device', 'add', 'sobo', 'sobo-cli-01']);
    expect(p.code).toBe(0);
    const list = await cli(['device', 'list']);
    expect(list.out).toMatch(/pos-cli-01\s+village-device\s+35\.10\.01\.2001/);
    expect(list.out).toMatch(/sobo-cli-01\s+puskesmas-device\s+sobo/);
    const badVillage = await cli(['village-device', 'add', '35.10.99.2001', 'pos-cli-02']);
    expect(badVillage.code).toBe(2);
    expect(badVillage.err).toMatch(/not a desa or kelurahan of Banyuwangi/);
    const badShape = await cli(['village-device', 'add', 'ketapang', 'pos-cli-03']);
    expect(badShape.err).toMatch(/not like 35\.10\.21\.2001/);
    const badPkm = await cli(['puskesmas-device', 'add', 'nowhere', 'x-cli-01']);
    expect(badPkm.err).toMatch(/unknown/);
    expect((await cli(['village-device', 'add', '35.10.01.2001'])).err).toMatch(/expected <villageCode> <deviceId>/);
  });
});
