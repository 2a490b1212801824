/**
 * The agent as a real process (the CLI under tsx), fed JSON lines on stdin, killed with SIGKILL
 * mid-stream and restarted: every scan the officer was told "accepted" reaches the server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { startAckingServer, startAedes, until, validScanInput } from '../edge-agent/src/testing.ts';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'edge-agent/src/cli.ts');
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface AgentProcess {
  child: ChildProcess;
  replies: { line: number; ok: boolean; scanId?: string; seq?: number; reason?: string }[];
  httpPort: Promise<number>;
  exited: Promise<void>;
}

function spawnAgent(env: Record<string, string>): AgentProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--stdin', '--http-port', '0'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const replies: AgentProcess['replies'] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => replies.push(JSON.parse(l)));
  const httpPort = new Promise<number>((resolvePort) => {
    createInterface({ input: child.stderr! }).on('line', (l) => {
      try {
        const rec = JSON.parse(l) as { msg?: string; port?: number };
        if (rec.msg?.startsWith('http input') && rec.port) resolvePort(rec.port);
      } catch {
        // not a log line (e.g. a tsx warning)
      }
    });
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return { child, replies, httpPort, exited };
}

async function outboxDepth(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/status`, { headers: { accept: 'application/json' } });
  const body = (await res.json()) as { data: { outbox: { depth: number } } };
  return body.data.outbox.depth;
}

describe('edge agent process', () => {
  it('SIGKILL mid-stream, restart: every scan acknowledged to the officer arrives', async () => {
    const broker = await startAedes();
    cleanups.push(() => broker.close());
    const server = await startAckingServer(broker.url);
    cleanups.push(() => server.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'sk-agent-proc-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const env = { SK_BROKER_URLS: broker.url, SK_CHECKPOINT_ID: 'ketapang', SK_DEVICE_ID: 'ketapang-02', SK_DATA_DIR: dataDir, SK_LOG_LEVEL: 'info' };

    const first = spawnAgent(env);
    await first.httpPort;
    const TOTAL = 2000;
    // Keep feeding lines; kill as soon as some replies are back, while more are still in the pipe.
    let written = 0;
    while (written < TOTAL && first.replies.length < 300) {
      const chunk = Array.from({ length: 50 }, (_, k) => JSON.stringify(validScanInput(written + k))).join('\n') + '\n';
      written += 50;
      first.child.stdin!.write(chunk);
      await new Promise((r) => setImmediate(r));
      await until(() => first.replies.length >= written - 400 || first.replies.length >= 300, 'replies keep coming', 60_000, 5);
    }
    first.child.kill('SIGKILL');
    await first.exited;
    const accepted = first.replies.filter((r) => r.ok).map((r) => r.scanId!);
    expect(accepted.length).toBeGreaterThanOrEqual(300);
    expect(first.replies.every((r) => r.ok)).toBe(true);

    const second = spawnAgent(env);
    const port = await second.httpPort;
    await until(() => accepted.every((id) => server.uniqueScanIds().has(id)), 'every accepted scan delivered', 90_000);
    // Let the restarted agent finish: everything it recovered is acknowledged by the server.
    let depth = -1;
    for (let i = 0; i < 600 && depth !== 0; i++) {
      depth = await outboxDepth(port);
      if (depth !== 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(depth).toBe(0);

    // Received = accepted ∪ (fsynced just before the kill, reply not yet written): never other scans,
    // and one seq is never two different scans.
    const received = server.uniqueScanIds();
    for (const id of accepted) expect(received.has(id)).toBe(true);
    expect(received.size - accepted.length).toBeLessThanOrEqual(written - accepted.length);
    const bySeq = new Map<number, string>();
    for (const s of server.received) {
      expect(bySeq.get(s.seq) ?? s.scanId).toBe(s.scanId);
      bySeq.set(s.seq, s.scanId);
    }
    // After the restart, seqs go on from where they were (no reuse of an acknowledged seq).
    const maxAcceptedSeq = Math.max(...first.replies.map((r) => r.seq!));
    second.child.stdin!.write(JSON.stringify(validScanInput(99_999)) + '\n');
    await until(() => second.replies.length === 1, 'reply after restart');
    expect(second.replies[0]!.seq).toBeGreaterThan(maxAcceptedSeq);

    second.child.kill('SIGTERM');
    await second.exited;
    expect(second.child.exitCode).toBe(0);
  });

  it('answers bad input with a reason on stdin and over HTTP, and keeps running', async () => {
    const broker = await startAedes();
    cleanups.push(() => broker.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'sk-agent-proc-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const p = spawnAgent({ SK_BROKER_URLS: broker.url, SK_CHECKPOINT_ID: 'kalibaru', SK_DEVICE_ID: 'kalibaru-01', SK_DATA_DIR: dataDir });
    const port = await p.httpPort;
    p.child.stdin!.write('not json\n' + JSON.stringify({ ...validScanInput(1), nik: '12' }) + '\n' + JSON.stringify(validScanInput(2)) + '\n');
    await until(() => p.replies.length === 3, 'three replies');
    expect(p.replies.map((r) => [r.line, r.ok, r.reason])).toEqual([[1, false, 'not_json'], [2, false, 'schema'], [3, true, undefined]]);

    const post = (body: string) => fetch(`http://127.0.0.1:${port}/scans`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const ok = await post(JSON.stringify(validScanInput(3)));
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ ok: true, data: { seq: 2 } });
    const bad = await post(JSON.stringify({ ...validScanInput(4), destinationVillageCode: '35.09.01.2001' }));
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ ok: false, error: { code: 'unknown_village' } });
    expect((await post('{')).status).toBe(400);
    const page = await fetch(`http://127.0.0.1:${port}/status`, { headers: { accept: 'text/html' } });
    expect(await page.text()).toContain('Status agen pos');
  });
});
