/**
 * The console's decision screens in headless Chromium against the real server: a critical alert
 * announces itself on the command centre and is acknowledged then cleared there; the village officer
 * sees expected arrivals with names, overdue ones highlighted, and marks one "Sudah tiba"; the
 * quarantine card shows occupancy. The server's clock is injected (no timed waits).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { buildConsoleIfStale, launchChromium } from './browser.ts';
import { ulid } from 'ulid';
import { deviceTopic, type Scan } from '@sk/protocol';
import { addUser, loadConfig, startServer, serverPaths, type RunningServer } from '@sk/server';
import { startPrivateInfluxd, freePort, type PrivateInfluxd } from '../scripts/lib/influxd.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CONSOLE = join(ROOT, 'console');
const SHOTS = join(ROOT, 'docs', 'screenshots');
const PASSWORD = 'uji-konsol-rahasia';
const VILLAGE = '35.10.11.2001';

let seq = 0;
function scan(name: string, health: Partial<Scan['health']> = {}): Scan {
  seq += 1;
  return {
    v: 1, scanId: ulid(), checkpointId: 'kalibaru', deviceId: 'kalibaru-01', seq, scannedAt: new Date().toISOString(),
    nik: `3510115705900${String(seq).padStart(3, '0')}`, name, sex: 'P', birthDate: '1990-05-17',
    originAddress: 'Jl. Gajah Mada 12, Jember', destinationVillageCode: VILLAGE,
    health: { temperatureC: 36.6, symptoms: [], rapidTest: 'negatif', vaccinationDoses: 2, ...health },
  };
}

describe('console alerts, expected arrivals and quarantine (headless Chromium)', () => {
  let dir: string;
  let influx: PrivateInfluxd;
  let brokerNet: NetServer;
  let broker: Aedes;
  let server: RunningServer;
  let device: MqttClient;
  let browser: Browser;
  let clockOffsetMs = 0;

  const publish = (s: Scan) => device.publishAsync(deviceTopic(s.checkpointId, s.deviceId, 'scans'), JSON.stringify(s), { qos: 1 });
  async function login(username: string): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1366, height: 900 } })).newPage();
    await page.goto(server.url);
    await page.getByLabel('Nama pengguna').fill(username);
    await page.getByLabel('Kata sandi').fill(PASSWORD);
    await page.getByRole('button', { name: 'Masuk' }).click();
    await page.getByTestId('connection').and(page.locator('[data-state="connected"]')).waitFor();
    return page;
  }

  beforeAll(async () => {
    buildConsoleIfStale();
    dir = mkdtempSync(join(tmpdir(), 'sk-console-alerts-'));
    influx = await startPrivateInfluxd({ dir: join(dir, 'influx'), port: await freePort() });
    broker = await Aedes.createBroker();
    brokerNet = createServer(broker.handle);
    await new Promise<void>((r) => brokerNet.listen(0, '127.0.0.1', () => r()));
    const mqttUrl = `mqtt://127.0.0.1:${(brokerNet.address() as { port: number }).port}`;
    const cfg = loadConfig({ INFLUX_URL: influx.url, MQTT_URL: mqttUrl, HTTP_PORT: '0', DATA_DIR: join(dir, 'data'), CONSOLE_DIR: join(CONSOLE, 'dist'), LOG_LEVEL: 'silent', MQTT_CLIENT_ID: 'sk-server-console-alerts' });
    const users = serverPaths(cfg.dataDir).users;
    await addUser(users, { username: 'komando', role: 'command', displayName: 'Pusat Komando', password: PASSWORD });
    await addUser(users, { username: 'desa.kalibaru', role: 'village', displayName: 'Petugas Desa', villageCode: VILLAGE, password: PASSWORD });
    server = await startServer(cfg, { now: () => new Date(Date.now() + clockOffsetMs), tuning: { overdueAfterMs: 60_000, overdueCheckMs: 100 } });
    device = await mqtt.connectAsync(mqttUrl, { clientId: 'kalibaru-01', reconnectPeriod: 0 });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await device?.endAsync();
    await server?.close();
    await new Promise<void>((r) => (broker ? broker.close(() => r()) : r()));
    await new Promise<void>((r) => (brokerNet ? brokerNet.close(() => r()) : r()));
    await influx?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a critical alert announces itself on the command centre; acknowledge then clear it', async () => {
    const page = await login('komando');
    await expect.poll(() => page.getByTestId('quarantine').locator('li').count()).toBeGreaterThan(3);
    await publish(scan('Dewi Lestari', { rapidTest: 'positif' }));
    await page.getByTestId('alert-announce').waitFor();
    expect(await page.getByTestId('alert-announce').textContent()).toContain('Peringatan kritis baru');
    await page.screenshot({ path: join(SHOTS, 'alerts.png') });
    const item = page.locator('[data-rule="rapid_positive"]');
    await item.locator('button', { hasText: 'Tanggapi' }).click();
    await expect.poll(() => item.getAttribute('data-state')).toBe('acknowledged');
    expect(await item.textContent()).toContain('ditanggapi komando');
    await item.locator('button', { hasText: 'Selesai' }).click();
    await page.getByTestId('alerts-history').click();
    await expect.poll(() => page.locator('[data-rule="rapid_positive"]').getAttribute('data-state')).toBe('cleared');
    await page.context().close();
  });

  it('the village officer sees expected arrivals by name, overdue highlighted, and marks one arrived', async () => {
    const page = await login('desa.kalibaru');
    const a = scan('Rina Wulandari');
    const b = scan('Ayu Kartika');
    await publish(a);
    await publish(b);
    await page.getByTestId(`expected-${b.scanId}`).waitFor();
    expect(await page.getByTestId(`expected-${a.scanId}`).textContent()).toContain('Rina Wulandari');
    await page.getByTestId(`arrived-${a.scanId}`).click();
    await page.getByTestId(`expected-${a.scanId}`).waitFor({ state: 'detached' });
    clockOffsetMs = 6 * 3600_000; // the server's clock moves past b's ETA: an overdue alert reloads the list
    await expect.poll(() => page.getByTestId(`expected-${b.scanId}`).getAttribute('data-status'), { timeout: 15_000 }).toBe('overdue');
    // Ayu and the first test's traveller are overdue; Rina, marked arrived, raised none.
    await expect.poll(() => page.locator('[data-rule="arrival_overdue"]').count()).toBe(2);
    await page.context().close();
  });
});
