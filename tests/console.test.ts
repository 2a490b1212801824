/**
 * The console in headless Chromium against the real server: real aedes, mqtt.js, private influxd,
 * socket.io. A scan published over MQTT appears live; names render as text; a village officer sees
 * only their own village. Saves screenshots of the main screens to docs/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import type { Browser } from 'playwright-core';
import { ulid } from 'ulid';
import { deviceTopic, type DeviceStatus, type Scan } from '@sk/protocol';
import type { RunningServer } from '@sk/server';
import { ROOT, startConsoleStack, type ConsoleStack } from './browser.ts';

const SHOTS = join(ROOT, 'docs', 'screenshots');
const PASSWORD = 'uji-konsol-rahasia';
// Kalibaru district (35.10.11): the officer's village and a neighbour whose arrivals they must not see.
const OWN_VILLAGE = '35.10.11.2001';
const OTHER_VILLAGE = '35.10.11.2002';
const XSS_NAME = '<img src=x onerror=alert(1)>';

let seq = 0;
/** A valid scan (the NIK agrees with sex and birth date) from the Kalibaru checkpoint's device. */
function scan(name: string, villageCode: string, sex: 'L' | 'P' = 'P'): Scan {
  seq += 1;
  const day = sex === 'P' ? 57 : 17; // women: birth day + 40 in the NIK
  return {
    v: 1, scanId: ulid(), checkpointId: 'kalibaru', deviceId: 'kalibaru-01', seq, scannedAt: new Date().toISOString(),
    nik: `35101${1}${day}0590${String(seq).padStart(4, '0')}`, name, sex, birthDate: '1990-05-17',
    originAddress: 'Jl. Gajah Mada 12, Jember', destinationVillageCode: villageCode,
    health: { temperatureC: 36.6, symptoms: [], rapidTest: 'negatif', vaccinationDoses: 2 },
  };
}

describe('console (headless Chromium, real server)', () => {
  let stack: ConsoleStack;
  let publish: ConsoleStack['publish'];
  let server: RunningServer;
  let device: MqttClient;
  let browser: Browser;
  const dialogs: string[] = [];
  const login = (username: string) => stack.login(username, { onPage: (page) => page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); }) });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    stack = await startConsoleStack('console', [
      { username: 'komando', role: 'command', displayName: 'Pusat Komando' },
      { username: 'desa.kalibarukulon', role: 'village', displayName: 'Petugas Desa', villageCode: OWN_VILLAGE },
    ], { password: PASSWORD, deviceClientId: 'kalibaru-01' });
    ({ publish, server, device, browser } = stack);
    const status: DeviceStatus = {
      v: 1, checkpointId: 'kalibaru', deviceId: 'kalibaru-01', state: 'online', at: new Date().toISOString(), version: '0.1.0',
      outbox: { depth: 3, oldestAgeSec: 4, diskBytes: 4096, diskLimitBytes: 268_435_456 }, lastScanAt: null, clockSkewMs: 1200,
    };
    await device.publishAsync(deviceTopic('kalibaru', 'kalibaru-01', 'status'), JSON.stringify(status), { qos: 1, retain: true });
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('a wrong password shows a sentence, not a stack', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(server.url);
    await page.getByLabel('Nama pengguna').fill('komando');
    await page.getByLabel('Kata sandi').fill('salah-sekali');
    await page.getByRole('button', { name: 'Masuk' }).click();
    await expect.poll(() => page.getByTestId('login-error').textContent()).toBe('Nama pengguna atau kata sandi salah.');
    await page.screenshot({ path: join(SHOTS, 'login.png') });
    await page.close();
  });

  it('the command centre shows a published scan live, with a hostile name as plain text', async () => {
    const page = await login('komando');
    await publish(scan('Siti Aminah', OWN_VILLAGE));
    await publish(scan(XSS_NAME, OTHER_VILLAGE, 'L'));
    const names = page.getByTestId('arrival-name');
    await expect.poll(() => names.allTextContents()).toEqual([XSS_NAME, 'Siti Aminah']);
    // Rendered as text: no <img> element was created from the name, no alert fired.
    expect(await page.getByTestId('arrival-feed').locator('img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    await expect.poll(() => page.getByTestId('count-kalibaru').textContent()).toContain('2');
    await expect.poll(() => page.getByTestId('device-kalibaru-01').textContent()).toContain('Daring');
    await names.first().click();
    await expect.poll(() => page.getByTestId('detail-name').textContent()).toContain(XSS_NAME);
    const nik = await page.getByTestId('detail-nik').textContent();
    expect(nik).not.toMatch(/^\d{16}$/);
    // docs/screenshots/command-centre.png: console-glance.test.ts, on 1440×900 with a day's data.
    await page.context().close();
  });

  it('after the connection drops it catches up, so a scan published meanwhile is not missed', async () => {
    const page = await login('komando');
    const banner = page.getByTestId('connection');
    await page.context().setOffline(true);
    await expect.poll(() => banner.getAttribute('data-state'), { timeout: 90_000 }).toBe('reconnecting');
    expect(await banner.textContent()).toContain('Koneksi terputus — menyambung ulang…');
    await publish(scan('Rahmat Hidayat', OTHER_VILLAGE, 'L'));
    await page.context().setOffline(false);
    await expect.poll(() => banner.getAttribute('data-state'), { timeout: 90_000 }).toBe('connected');
    await expect.poll(() => page.getByTestId('arrival-name').allTextContents()).toContain('Rahmat Hidayat');
    await page.context().close();
  });

  it('devices, map and chart: skew over 60 s highlighted, offline shown; usable on a tablet, by keyboard, in English', async () => {
    const skewed: DeviceStatus = {
      v: 1, checkpointId: 'ketapang', deviceId: 'ketapang-02', state: 'offline', at: new Date().toISOString(), version: '0.1.0',
      outbox: { depth: 12, oldestAgeSec: 300, diskBytes: 8192, diskLimitBytes: 268_435_456 }, lastScanAt: new Date().toISOString(), clockSkewMs: -95_000,
    };
    await device.publishAsync(deviceTopic('ketapang', 'ketapang-02', 'status'), JSON.stringify(skewed), { qos: 1, retain: true });
    await publish(scan('Nur Aini', OTHER_VILLAGE));
    const page = await login('komando');
    await page.setViewportSize({ width: 768, height: 1024 });
    await expect.poll(() => page.getByTestId('skew-ketapang-02').getAttribute('data-skewed')).toBe('true');
    expect(await page.getByTestId('skew-kalibaru-01').getAttribute('data-skewed')).toBe('false');
    expect(await page.getByTestId('outbox-ketapang-02').textContent()).toContain('12');
    // An offline device (the server may also have raised an alert for it, which outranks offline).
    await expect.poll(() => page.getByTestId('map-ketapang').getAttribute('data-state')).toMatch(/^(offline|alert)$/);
    expect(await page.getByTestId('map-kalibaru').getAttribute('data-state')).toBe('online');
    // The hourly chart comes from the server's stats (the scans published above, today).
    await expect.poll(async () => Number((await page.getByTestId('hourly-total').textContent())?.match(/\d+/)?.[0] ?? 0)).toBeGreaterThanOrEqual(1);
    await page.getByTestId('hourly-plot').locator('canvas').first().waitFor();
    // A tablet: nothing is wider than the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(768);
    await page.screenshot({ path: join(SHOTS, 'command-centre-tablet.png'), fullPage: true });
    // Keyboard: focus order runs header → the day at a glance (chart period first); Enter on the toggle switches to English.
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-testid'));
    await page.getByTestId('lang-toggle').focus();
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('logout');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('chart-today');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    expect(await focused()).toBe('lang-toggle');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('connection').textContent()).toContain('Connected');
    expect(await page.locator('#chart-title').textContent()).toBe('Arrivals per hour (WIB)');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    await page.getByTestId('lang-toggle').click(); // back to Bahasa Indonesia for the other tests
    await page.context().close();
  });

  it('a village officer sees their own village’s expected arrivals and not another’s', async () => {
    const page = await login('desa.kalibarukulon');
    const names = page.getByTestId('arrival-name');
    // History over HTTP: Siti (own village) yes, the other village's traveller no.
    await expect.poll(() => names.allTextContents()).toEqual(['Siti Aminah']);
    // Live: a new arrival for another village does not show; one for this village does.
    await publish(scan('Dewi Lestari', OTHER_VILLAGE));
    await publish(scan('Budi Santoso', OWN_VILLAGE, 'L'));
    await expect.poll(() => names.allTextContents()).toEqual(['Budi Santoso', 'Siti Aminah']);
    expect(await page.getByText('Dewi Lestari').count()).toBe(0);
    expect(await page.getByText(XSS_NAME).count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'village-officer.png') });
    await page.context().close();
  });
});
