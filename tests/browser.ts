/**
 * Shared by the console tests: build the console when its sources are newer than the build, launch
 * Debian's Chromium headless with the flags this machine needs (never a downloaded browser), and the
 * whole stack a console test drives (private influxd, aedes, the server, a device, the browser).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { chromium, type Browser, type Page } from 'playwright-core';
import { deviceTopic, type Scan } from '@sk/protocol';
import { addUser, loadConfig, serverPaths, startServer, type AddUserInput, type RunningServer, type ServerOverrides } from '@sk/server';
import { freePort, startPrivateInfluxd } from '../scripts/lib/influxd.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CONSOLE = join(ROOT, 'console');

/** Newest mtime under a folder (bounded walk of the console's own sources). */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export function buildConsoleIfStale(): void {
  const index = join(CONSOLE, 'dist', 'index.html');
  const sources = Math.max(newest(join(CONSOLE, 'src')), statSync(join(CONSOLE, 'index.html')).mtimeMs, statSync(join(CONSOLE, 'vite.config.ts')).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  execFileSync('npm', ['run', 'build', '-w', 'console'], { cwd: ROOT, stdio: 'pipe' });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export interface ConsoleStack {
  dir: string;
  mqttUrl: string;
  server: RunningServer;
  browser: Browser;
  /** One MQTT client publishing as the devices (its messages reach the server in publish order). */
  device: MqttClient;
  publish(s: Scan): Promise<void>;
  /** A fresh browser context signed in as `username`, once the live channel is connected. */
  login(username: string, o?: { viewport?: { width: number; height: number }; onPage?: (p: Page) => void }): Promise<Page>;
  close(): Promise<void>;
}

/**
 * The real system for a console test: private influxd, aedes, the server serving the built console,
 * the given users (all with `password`), a device client and headless Chromium. `name` makes the temp
 * dir and the server's MQTT client id unique; `overrides` go to startServer (clock, tuning).
 */
export async function startConsoleStack(name: string, users: Omit<AddUserInput, 'password'>[], o: { password: string; overrides?: ServerOverrides; deviceClientId?: string }): Promise<ConsoleStack> {
  buildConsoleIfStale();
  const dir = mkdtempSync(join(tmpdir(), `sk-${name}-`));
  const parts: (() => Promise<void>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const p of parts.splice(0).reverse()) await p().catch(() => {});
  };
  try {
    const influx = await startPrivateInfluxd({ dir: join(dir, 'influx'), port: await freePort() });
    parts.push(() => influx.stop());
    const broker = await Aedes.createBroker();
    const net = createServer(broker.handle);
    parts.push(() => new Promise<void>((r) => broker.close(() => r())), () => new Promise<void>((r) => net.close(() => r())));
    await new Promise<void>((r) => net.listen(0, '127.0.0.1', () => r()));
    const mqttUrl = `mqtt://127.0.0.1:${(net.address() as { port: number }).port}`;
    const cfg = loadConfig({
      INFLUX_URL: influx.url, MQTT_URL: mqttUrl, HTTP_PORT: '0', DATA_DIR: join(dir, 'data'),
      CONSOLE_DIR: join(CONSOLE, 'dist'), LOG_LEVEL: 'silent', MQTT_CLIENT_ID: `sk-server-${name}`,
    });
    for (const u of users) await addUser({ dataDir: cfg.dataDir, databaseUrl: cfg.databaseUrl }, { ...u, password: o.password });
    const server = await startServer(cfg, o.overrides);
    parts.push(() => server.close());
    const device = await mqtt.connectAsync(mqttUrl, { clientId: o.deviceClientId ?? `${name}-devices`, reconnectPeriod: 0 });
    parts.push(() => device.endAsync());
    const browser = await launchChromium();
    parts.push(() => browser.close());
    return {
      dir, mqttUrl, server, browser, device, close,
      publish: async (s) => void (await device.publishAsync(deviceTopic(s.checkpointId, s.deviceId, 'scans'), JSON.stringify(s), { qos: 1 })),
      async login(username, lo = {}) {
        const page = await (await browser.newContext({ viewport: lo.viewport ?? { width: 1366, height: 768 } })).newPage();
        lo.onPage?.(page);
        await page.goto(server.url);
        await page.getByLabel('Nama pengguna').fill(username);
        await page.getByLabel('Kata sandi').fill(o.password);
        await page.getByRole('button', { name: 'Masuk' }).click();
        await page.getByTestId('connection').and(page.locator('[data-state="connected"]')).waitFor();
        return page;
      },
    };
  } catch (e) {
    await close();
    throw e;
  }
}
