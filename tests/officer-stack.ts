/**
 * The officer screen's real stack for tests, the `officer` benchmark and screenshots: a bare aedes
 * broker, a stand-in server that acks every scan, a real EdgeAgent with its local HTTP port serving
 * the built screen (edge-agent/ui → ui/dist, built here when stale) and Debian's headless Chromium.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { EdgeAgent } from '@sk/edge-agent';
import { startHttp } from '../edge-agent/src/http.ts';
import { startOfficerScreen, UI_DIR, type OfficerScreen } from '../edge-agent/src/officer/index.ts';
import { startAckingServer, startAedes, type AckingServer, type TestBroker } from '../edge-agent/src/testing.ts';
// Not tests/browser.ts: that one brings the whole server along; this stack needs none of it.
import { launchChromium } from '../simulators/src/cards-render.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const UI_SRC = join(ROOT, 'edge-agent', 'ui');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'dist' || e.name === 'node_modules') continue;
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds the officer screen when its sources are newer than ui/dist (scripts/ensure.sh does the same). */
export function buildOfficerUiIfStale(): void {
  const index = join(UI_DIR, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newest(UI_SRC)) return;
  execFileSync('npm', ['run', 'build:ui', '-w', 'edge-agent'], { cwd: ROOT, stdio: 'pipe' });
}

export interface OfficerStack {
  dir: string;
  broker: TestBroker;
  server: AckingServer | null;
  agent: EdgeAgent;
  screen: OfficerScreen;
  url: string;
  browser: Browser;
  /** A fresh tablet-sized page on the screen, once the live channel delivered the desk. */
  page(o?: { viewport?: { width: number; height: number } }): Promise<Page>;
  /** Stops the broker (the device's link is down) and brings it back on the same port. */
  brokerDown(): Promise<void>;
  brokerUp(): Promise<void>;
  close(): Promise<void>;
}

export async function startOfficerStack(name: string, o: { outboxMaxBytes?: number; acking?: boolean; ocr?: boolean; browser?: Browser } = {}): Promise<OfficerStack> {
  buildOfficerUiIfStale();
  const dir = mkdtempSync(join(tmpdir(), `sk-officer-${name}-`));
  let broker = await startAedes(0);
  const server = o.acking === false ? null : await startAckingServer(broker.url, `officer-${name}-server`);
  const agent = new EdgeAgent({
    brokerUrls: [broker.url], checkpointId: 'ketapang', deviceId: 'ketapang-01', dataDir: join(dir, 'outbox'),
    reconnectPeriodMs: 200, retransmitAfterMs: 1000, statusIntervalMs: 60_000, outboxMaxBytes: o.outboxMaxBytes,
  });
  agent.on('error', () => {});
  await agent.start();
  const screen = startOfficerScreen(agent, { ocr: o.ocr ?? true, pushEveryMs: 500 });
  const http = await startHttp(agent, 0, '127.0.0.1', screen.routes);
  const url = `http://127.0.0.1:${http.port}/`;
  const browser = o.browser ?? (await launchChromium());
  return {
    dir, broker, server, agent, screen, url, browser,
    async page(po = {}) {
      const ctx = await browser.newContext({ viewport: po.viewport ?? { width: 1280, height: 800 }, locale: 'id-ID' });
      const page = await ctx.newPage();
      await page.goto(url);
      await page.getByTestId('broker').waitFor();
      await page.locator('[data-testid="broker"]').and(page.locator('[data-state]')).waitFor();
      return page;
    },
    async brokerDown() {
      await broker.close();
    },
    async brokerUp() {
      broker = await startAedes(broker.port, broker.persistence);
    },
    async close() {
      if (!o.browser) await browser.close().catch(() => {});
      http.server.close();
      http.server.closeAllConnections();
      await screen.stop();
      await agent.stop();
      await server?.close().catch(() => {});
      await broker.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface OfficerDevice {
  url: string;
  browser: Browser;
  server: AckingServer;
  page(o?: { viewport?: { width: number; height: number } }): Promise<Page>;
  close(): Promise<void>;
}

/**
 * As on a checkpoint device: the agent in its OWN process (`edge-agent/src/cli.ts run`, HTTP on a free
 * port), the broker and the acking stand-in server here, Chromium beside it. For the `officer`
 * benchmark: an in-process agent would share its event loop with the broker, the stand-in server
 * and the Chromium driver, and time their work as its own.
 */
export async function startOfficerDevice(name: string, o: { nodeArgs?: string[] } = {}): Promise<OfficerDevice> {
  buildOfficerUiIfStale();
  const dir = mkdtempSync(join(tmpdir(), `sk-officer-${name}-`));
  const broker = await startAedes(0);
  const server = await startAckingServer(broker.url, `officer-${name}-server`);
  const child = spawn(process.execPath, [...(o.nodeArgs ?? []), '--import', 'tsx', 'edge-agent/src/cli.ts', 'run'], {
    cwd: ROOT,
    env: { ...process.env, SK_BROKER_URLS: broker.url, SK_CHECKPOINT_ID: 'ketapang', SK_DEVICE_ID: 'ketapang-01', SK_DATA_DIR: join(dir, 'outbox'), SK_HTTP_PORT: '0', SK_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the agent did not start its HTTP port within 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`the agent exited (${code}) before listening`)));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      try {
        const j = JSON.parse(line) as { area?: string; port?: number };
        if (j.area === 'http' && typeof j.port === 'number') {
          clearTimeout(timer);
          resolve(j.port);
        }
      } catch { /* not a log line */ }
    });
  });
  const url = `http://127.0.0.1:${port}/`;
  const browser = await launchChromium();
  return {
    url, browser, server,
    async page(po = {}) {
      const page = await (await browser.newContext({ viewport: po.viewport ?? { width: 1280, height: 800 }, locale: 'id-ID' })).newPage();
      await page.goto(url);
      await page.locator('[data-testid="broker"][data-state="connected"]').waitFor({ timeout: 60_000 });
      return page;
    },
    async close() {
      await browser.close().catch(() => {});
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
      await server.close().catch(() => {});
      await broker.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
