/**
 * The double-aid alarm in headless Chromium against the real server: three village officers' pages
 * (three browser contexts). A handout recorded in village A for a NIK that already received the same
 * programme in village B makes both A's and B's pages flash and play the alarm sound (after the
 * one-time "Aktifkan suara" gesture); village C's page stays quiet; acknowledging stops the flashing.
 * The resolution form is a real dialog: Escape closes it, Enter submits it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Aedes } from 'aedes';
import type { Browser, Page } from 'playwright-core';
import { buildConsoleIfStale, launchChromium } from './browser.ts';
import { loadRegions } from '@sk/protocol/regions';
import { addUser, loadConfig, startServer, serverPaths, type RunningServer } from '@sk/server';
import { startPrivateInfluxd, freePort, type PrivateInfluxd } from '../scripts/lib/influxd.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CONSOLE = join(ROOT, 'console');
const SHOTS = join(ROOT, 'docs', 'screenshots');
const PASSWORD = 'uji-konsol-rahasia';
const villages = loadRegions().villages;
const [A, B, C] = [villages[0]!, villages[40]!, villages[80]!];
const NIK = '3510215207900001'; // Kalipuro, a woman born 12-07-1990 (day + 40)
const KK = '3510212304150001';

describe('double-aid alarm across village pages (headless Chromium)', () => {
  let dir: string;
  let influx: PrivateInfluxd;
  let brokerNet: NetServer;
  let broker: Aedes;
  let server: RunningServer;
  let browser: Browser;
  const pages: Record<string, Page> = {};

  async function login(username: string): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1366, height: 768 } })).newPage();
    await page.goto(server.url);
    await page.getByLabel('Nama pengguna').fill(username);
    await page.getByLabel('Kata sandi').fill(PASSWORD);
    await page.getByRole('button', { name: 'Masuk' }).click();
    await page.getByTestId('connection').and(page.locator('[data-state="connected"]')).waitFor();
    await page.getByTestId('aid-panel').waitFor();
    return page;
  }
  const played = (p: Page) => p.evaluate(() => (window as unknown as { __skAlarmPlayed?: number }).__skAlarmPlayed ?? 0);
  const flashing = (p: Page) => p.getByTestId('aid-panel').evaluate((el) => el.classList.contains('flash'));
  async function record(p: Page, name: string): Promise<string> {
    await p.getByTestId('aid-nik').fill(NIK);
    await p.getByTestId('aid-kk').fill(KK);
    await p.getByTestId('aid-name').fill(name);
    await p.getByTestId('aid-birth').fill('1990-07-12');
    await p.getByTestId('aid-record').click();
    await expect.poll(() => p.getByTestId('aid-result').textContent()).toMatch(/Tercatat/);
    return (await p.getByTestId('aid-result').textContent()) ?? '';
  }

  beforeAll(async () => {
    buildConsoleIfStale();
    dir = mkdtempSync(join(tmpdir(), 'sk-console-aid-'));
    influx = await startPrivateInfluxd({ dir: join(dir, 'influx'), port: await freePort() });
    broker = await Aedes.createBroker();
    brokerNet = createServer(broker.handle);
    await new Promise<void>((r) => brokerNet.listen(0, '127.0.0.1', () => r()));
    const mqttUrl = `mqtt://127.0.0.1:${(brokerNet.address() as { port: number }).port}`;
    const cfg = loadConfig({ INFLUX_URL: influx.url, MQTT_URL: mqttUrl, HTTP_PORT: '0', DATA_DIR: join(dir, 'data'), CONSOLE_DIR: join(CONSOLE, 'dist'), LOG_LEVEL: 'silent', MQTT_CLIENT_ID: 'sk-server-console-aid' });
    const users = serverPaths(cfg.dataDir).users;
    for (const [u, v] of [['desa.a', A], ['desa.b', B], ['desa.c', C]] as const) {
      await addUser(users, { username: u, role: 'village', displayName: `Petugas ${v.name}`, villageCode: v.code, password: PASSWORD });
    }
    server = await startServer(cfg);
    browser = await launchChromium();
    pages.A = await login('desa.a');
    pages.B = await login('desa.b');
    pages.C = await login('desa.c');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await new Promise<void>((r) => (broker ? broker.close(() => r()) : r()));
    await new Promise<void>((r) => (brokerNet ? brokerNet.close(() => r()) : r()));
    await influx?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a second handout of the same programme sounds and flashes on both villages’ pages, not on a third', async () => {
    for (const p of Object.values(pages)) {
      await p.getByRole('button', { name: 'Aktifkan suara' }).click();
      await p.getByTestId('aid-enable-sound').waitFor({ state: 'detached' }); // the audio context is running
    }
    expect(await record(pages.B!, 'Siti Rahayu')).not.toMatch(/GANDA/);
    expect(await record(pages.A!, 'Siti Rahayu')).toMatch(/GANDA/);
    for (const p of [pages.A!, pages.B!]) {
      await expect.poll(() => played(p)).toBe(1);
      await expect.poll(() => flashing(p)).toBe(true);
      await expect.poll(() => p.getByTestId('aid-alarm').count()).toBe(1);
    }
    // C sees nothing: its page got no alarm (the server routes it to A's and B's rooms only).
    expect(await played(pages.C!)).toBe(0);
    expect(await flashing(pages.C!)).toBe(false);
    expect(await pages.C!.getByTestId('aid-alarm').count()).toBe(0);
    await pages.A!.getByTestId('aid-panel').screenshot({ path: join(SHOTS, 'aid-alarm.png') });
  });

  it('acknowledging stops the flashing; the resolution dialog closes on Escape and submits on Enter', async () => {
    const a = pages.A!;
    await a.getByTestId('aid-ack').click();
    await expect.poll(() => flashing(a)).toBe(false);
    await expect.poll(() => flashing(pages.B!)).toBe(false); // the acknowledgement reaches the other village too
    await a.getByRole('button', { name: 'Konfirmasi' }).click();
    const dialog = a.getByTestId('aid-resolve-dialog');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await a.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);
    await a.getByRole('button', { name: 'Konfirmasi' }).click();
    await a.getByTestId('aid-resolve-reason').fill('Dua program berbeda, sudah dicek kepala desa');
    await a.keyboard.press('Enter');
    await expect.poll(() => a.getByTestId('aid-alarm').textContent()).toContain('dikonfirmasi oleh desa.a');
    await expect.poll(() => pages.B!.getByTestId('aid-alarm').textContent()).toContain('dikonfirmasi');
  });
});
