import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgeAgent } from './agent.ts';
import { validScanInput } from './fixtures.ts';
import { startHttp } from './http.ts';

// The agent runs offline here (its broker port is closed): submit still validates and fsyncs.
let agent: EdgeAgent;
let base: string;
let close: () => void;
const dir = mkdtempSync(join(tmpdir(), 'sk-http-'));

beforeAll(async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  agent = new EdgeAgent({ brokerUrls: [`mqtt://127.0.0.1:${port}`], checkpointId: 'ketapang', deviceId: 'ketapang-09', dataDir: dir, reconnectPeriodMs: 60_000 });
  await agent.start();
  const http = await startHttp(agent, 0);
  base = `http://127.0.0.1:${http.port}`;
  close = () => http.server.close();
});
afterAll(async () => {
  close();
  await agent.stop();
  rmSync(dir, { recursive: true, force: true });
});

const post = (body: string) => fetch(`${base}/scans`, { method: 'POST', body });

describe('local HTTP input', () => {
  it('accepts a valid scan with 201 and its seq', async () => {
    const res = await post(JSON.stringify(validScanInput(1)));
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ ok: true, data: { seq: 1, scanId: expect.stringMatching(/^[0-9A-Z]{26}$/) } });
  });

  it.each([
    ['an impossible birth date in the NIK', { ...validScanInput(2), nik: '3510213102900001' }, 'invalid_nik'],
    ['a sex that disagrees with the NIK', { ...validScanInput(2), sex: 'P' }, 'nik_mismatch'],
    ['a destination outside Banyuwangi', { ...validScanInput(2), destinationVillageCode: '35.09.01.2001' }, 'unknown_village'],
    ['a missing field', { nik: '3510210101900001' }, 'schema'],
  ])('refuses %s with 422 and the reason', async (_what, body, code) => {
    const res = await post(JSON.stringify(body));
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ ok: false, error: { code } });
  });

  it('answers broken JSON, oversized bodies and unknown routes with a clear error', async () => {
    expect((await post('{"nik":')).status).toBe(400);
    expect((await post('x'.repeat(70_000))).status).toBe(413);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('shows status as JSON and as a page without personal data', async () => {
    const json = (await (await fetch(`${base}/status`, { headers: { accept: 'application/json' } })).json()) as { data: { outbox: { depth: number }; connected: boolean } };
    expect(json.data.outbox.depth).toBe(1);
    expect(json.data.connected).toBe(false);
    const page = await (await fetch(`${base}/status`, { headers: { accept: 'text/html' } })).text();
    expect(page).toContain('ketapang-09');
    expect(page).not.toContain(validScanInput(1).nik);
    expect(page).not.toContain(validScanInput(1).name);
  });
});
