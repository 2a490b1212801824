/**
 * The checkpoint supervisor's screen in headless Chromium against the real server (real aedes,
 * mqtt.js, private influxd, socket.io): a scan at their checkpoint shows live, one at another
 * checkpoint does not; their devices and alerts only; NIK masked; Bahasa Indonesia first, English toggle.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { ulid } from 'ulid';
import { deviceTopic, type DeviceStatus, type Scan } from '@sk/protocol';
import type { RunningServer } from '@sk/server';
import { startConsoleStack, type ConsoleStack } from './browser.ts';

const PASSWORD = 'uji-pos-rahasia';
const OWN = 'ketapang';
const OTHER = 'kalibaru';
const VILLAGE = '35.10.21.2003';

let seq = 0;
/** A valid scan (the NIK agrees with sex and birth date) from checkpoint `cp`'s first device. */
function scan(name: string, cp: string, temperatureC = 36.6): Scan {
  seq += 1;
  return {
    v: 1, scanId: ulid(), checkpointId: cp, deviceId: `${cp}-01`, seq, scannedAt: new Date().toISOString(),
    nik: `3510215705900${String(seq).padStart(3, '0')}`, name, sex: 'P', birthDate: '1990-05-17',
    originAddress: 'Jl. Raya Gilimanuk 1, Bali', destinationVillageCode: VILLAGE,
    health: { temperatureC, symptoms: [], rapidTest: 'negatif', vaccinationDoses: 2 },
  };
}

function status(cp: string): DeviceStatus {
  return {
    v: 1, checkpointId: cp, deviceId: `${cp}-01`, state: 'online', at: new Date().toISOString(), version: '0.1.0',
    outbox: { depth: 7, oldestAgeSec: 4, diskBytes: 4096, diskLimitBytes: 268_435_456 }, lastScanAt: null, clockSkewMs: 1500,
  };
}

describe('checkpoint supervisor console (headless Chromium, real server)', () => {
  let stack: ConsoleStack;
  let publish: ConsoleStack['publish'];
  let login: ConsoleStack['login'];
  let server: RunningServer;
  let device: MqttClient;

  beforeAll(async () => {
    stack = await startConsoleStack('console-supervisor', [{ username: 'pos.ketapang', role: 'checkpoint', displayName: 'Pengawas Ketapang', checkpointId: OWN }], { password: PASSWORD });
    ({ publish, login, server, device } = stack);
    for (const s of [status(OTHER), status(OWN)]) await device.publishAsync(deviceTopic(s.checkpointId, s.deviceId, 'status'), JSON.stringify(s), { qos: 1, retain: true });
    // History: one scan at each checkpoint before the supervisor signs in.
    await publish(scan('Riwayat Kalibaru', OTHER));
    await publish(scan('Riwayat Ketapang', OWN));
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('sees a scan at its checkpoint live and not one at another checkpoint; its devices and alerts only', async () => {
    const page = await login('pos.ketapang');
    expect(await page.locator('#checkpoint-title').textContent()).toBe('Layar pos pemeriksaan');
    const names = page.getByTestId('arrival-name');
    await expect.poll(() => names.allTextContents()).toEqual(['Riwayat Ketapang']);

    // Live: the other checkpoint's scan is published first, so it would have arrived before ours.
    await publish(scan('Asing Kalibaru', OTHER));
    await publish(scan('Siti Aminah', OWN, 38.6)); // fever: an alert for this checkpoint
    await expect.poll(() => names.allTextContents()).toEqual(['Siti Aminah', 'Riwayat Ketapang']);
    expect(await page.getByText('Asing Kalibaru').count()).toBe(0);
    expect(await page.getByText('Riwayat Kalibaru').count()).toBe(0);

    // Today's count for this checkpoint (live counts after the scans are stored).
    await expect.poll(() => page.getByTestId(`count-${OWN}`).textContent()).toBe('2');
    // Its device with outbox depth and clock skew; not the other checkpoint's.
    await expect.poll(() => page.getByTestId(`device-${OWN}-01`).textContent()).toContain('Daring');
    expect(await page.getByTestId(`outbox-${OWN}-01`).textContent()).toContain('7');
    expect(await page.getByTestId(`skew-${OWN}-01`).getAttribute('data-skewed')).toBe('false');
    expect(await page.getByTestId(`device-${OTHER}-01`).count()).toBe(0);
    // The fever alert of this checkpoint.
    await expect.poll(async () => Number(await page.getByTestId('alerts-open').textContent())).toBeGreaterThanOrEqual(1);
    await expect.poll(() => page.getByTestId('alerts').locator('[data-rule="fever"]').count()).toBe(1);

    // The NIK is masked in the detail, as on every other screen.
    await names.first().click();
    await expect.poll(() => page.getByTestId('detail-name').textContent()).toContain('Siti Aminah');
    expect(await page.getByTestId('detail-nik').textContent()).not.toMatch(/\d{16}/);

    // English on request, Bahasa Indonesia back for whoever signs in next on this machine.
    await page.getByTestId('lang-toggle').click();
    await expect.poll(() => page.locator('#checkpoint-title').textContent()).toBe('Checkpoint screen');
    await page.getByTestId('lang-toggle').click();
    await page.context().close();
  });
});
