/**
 * The console's decision screens in headless Chromium against the real server: a critical alert
 * announces itself on the command centre and is acknowledged then cleared there; the village officer
 * sees expected arrivals with names, overdue ones highlighted, and marks one "Sudah tiba"; the
 * quarantine card shows occupancy; a symptomatic traveller is a follow-up the village officer works
 * (issue 17). The server's clock is injected (no timed waits).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ulid } from 'ulid';
import { deviceTopic, type Scan } from '@sk/protocol';
import type { RunningServer } from '@sk/server';
import { ROOT, startConsoleStack, type ConsoleStack } from './browser.ts';

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
  let stack: ConsoleStack;
  let publish: ConsoleStack['publish'];
  let server: RunningServer;
  let clockOffsetMs = 0;
  const login = (username: string) => stack.login(username, { viewport: { width: 1366, height: 900 } });

  beforeAll(async () => {
    stack = await startConsoleStack('console-alerts', [
      { username: 'komando', role: 'command', displayName: 'Pusat Komando' },
      { username: 'desa.kalibaru', role: 'village', displayName: 'Petugas Desa', villageCode: VILLAGE },
    ], { password: PASSWORD, deviceClientId: 'kalibaru-01', overrides: { now: () => new Date(Date.now() + clockOffsetMs), tuning: { overdueAfterMs: 60_000, overdueCheckMs: 100 } } });
    ({ publish, server } = stack);
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('a critical alert announces itself on the command centre, which answers only its own alerts: acknowledge then clear one', async () => {
    const page = await login('komando');
    await page.getByTestId('tab-quarantine').click();
    await expect.poll(() => page.getByTestId('quarantine').locator('li').count()).toBeGreaterThan(3);
    await publish(scan('Dewi Lestari', { rapidTest: 'positif' }));
    await page.getByTestId('alert-announce').waitFor();
    expect(await page.getByTestId('alert-announce').textContent()).toContain('Peringatan kritis baru');
    // The positive test is the village's to answer (its follow-up): counted here, not a button to press.
    await expect.poll(() => page.getByTestId('alerts-village').textContent()).toContain('1 peringatan pelaku perjalanan');
    expect(await page.getByTestId('alerts').locator('[data-rule="rapid_positive"]').count()).toBe(0);
    // A device gone offline is the command centre's own to answer.
    const offline = { v: 1, checkpointId: 'kalibaru', deviceId: 'kalibaru-01', state: 'offline', at: new Date().toISOString(), version: '0.1.0' };
    await stack.device.publishAsync(deviceTopic('kalibaru', 'kalibaru-01', 'status'), JSON.stringify(offline), { qos: 1, retain: true });
    const item = page.locator('[data-rule="device_offline"]');
    await item.waitFor();
    await page.screenshot({ path: join(SHOTS, 'alerts.png') });
    await item.locator('button', { hasText: 'Tanggapi' }).click();
    await expect.poll(() => item.getAttribute('data-state')).toBe('acknowledged');
    expect(await item.textContent()).toContain('ditanggapi komando');
    await item.locator('button', { hasText: 'Selesai' }).click();
    await page.getByTestId('alerts-history').click();
    await expect.poll(() => page.locator('[data-rule="device_offline"]').first().getAttribute('data-state')).toBe('cleared');
    await expect.poll(() => page.locator('[data-rule="rapid_positive"]').count()).toBe(1); // the history has every alert
    const online = { ...offline, state: 'online', at: new Date().toISOString() };
    await stack.device.publishAsync(deviceTopic('kalibaru', 'kalibaru-01', 'status'), JSON.stringify(online), { qos: 1, retain: true });
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

  it('a coughing traveller is a follow-up for the village (no alert): the officer marks them contacted; the command centre lists it too', async () => {
    const page = await login('desa.kalibaru');
    const sari = scan('Sari Handayani', { symptoms: ['batuk'] });
    await publish(sari);
    const row = page.getByTestId('follow-ups').locator('li', { hasText: 'Sari Handayani' });
    await row.waitFor();
    expect(await row.getAttribute('data-reason')).toBe('symptoms');
    expect(await page.locator('[data-rule="symptoms"]').count()).toBe(0);
    await row.locator('button', { hasText: 'Dihubungi' }).click();
    await expect.poll(() => row.getAttribute('data-state')).toBe('dihubungi');
    await page.getByTestId('follow-ups').screenshot({ path: join(SHOTS, 'follow-ups.png') });
    await page.context().close();
    const cmd = await login('komando');
    await cmd.getByTestId('tab-followups').click();
    const seen = cmd.getByTestId('follow-ups').locator('li', { hasText: 'Sari Handayani' });
    await seen.waitFor();
    expect(await seen.getAttribute('data-state')).toBe('dihubungi');
    await cmd.context().close();
  });
});
