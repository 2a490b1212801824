import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

const env = { SK_BROKER_URLS: 'mqtt://a:1883, mqtts://b:8883', SK_CHECKPOINT_ID: 'ketapang', SK_DEVICE_ID: 'ketapang-01', SK_DATA_DIR: '/var/lib/x' };

describe('loadConfig', () => {
  it('reads the environment, with defaults', () => {
    const r = loadConfig({ env });
    expect(r.ok && r.config).toMatchObject({ brokerUrls: ['mqtt://a:1883', 'mqtts://b:8883'], deviceId: 'ketapang-01', maxInFlight: 500, maxScansPerMessage: 32, retransmitAfterMs: 10_000, httpHost: '127.0.0.1' });
    expect(r.ok && r.config.httpPort).toBeUndefined();
  });

  it('refuses more scans per message than a message may hold', () => {
    expect(loadConfig({ env, overrides: { maxScansPerMessage: 65 } }).ok).toBe(false);
    expect(loadConfig({ env, overrides: { maxScansPerMessage: 1 } })).toMatchObject({ ok: true, config: { maxScansPerMessage: 1 } });
  });

  it('lists every error at once, naming the env variable', () => {
    const r = loadConfig({ env: { SK_BROKER_URLS: 'http://x', SK_DEVICE_ID: 'Ketapang 01', SK_HTTP_PORT: 'abc' } });
    expect(r.ok).toBe(false);
    const errors = r.ok ? [] : r.errors;
    expect(errors).toHaveLength(5);
    expect(errors.join('\n')).toMatch(/SK_BROKER_URLS.*mqtt:\/\//);
    expect(errors.join('\n')).toMatch(/checkpointId \(SK_CHECKPOINT_ID\): required/);
    expect(errors.join('\n')).toMatch(/SK_HTTP_PORT/);
  });

  it('layers file < env < flags, and reports a broken file and unknown keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sk-cfg-'));
    try {
      const file = join(dir, 'agent.json');
      writeFileSync(file, JSON.stringify({ ...{ brokerUrls: ['mqtt://f:1'], checkpointId: 'kalibaru', deviceId: 'kalibaru-01', dataDir: '/d' }, httpPort: 1 }));
      const r = loadConfig({ configPath: file, env: { SK_DEVICE_ID: 'kalibaru-02' }, overrides: { httpPort: 0 } });
      expect(r.ok && r.config).toMatchObject({ checkpointId: 'kalibaru', deviceId: 'kalibaru-02', httpPort: 0 });
      writeFileSync(file, '{ nope');
      expect(loadConfig({ configPath: file, env }).ok).toBe(false);
      writeFileSync(file, JSON.stringify({ colour: 'blue' }));
      const r2 = loadConfig({ configPath: file, env });
      expect(r2.ok ? [] : r2.errors).toEqual([expect.stringMatching(/colour/)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
