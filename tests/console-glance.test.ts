/**
 * The day at a glance (issue 17): on a 1440×900 screen the command centre's first view shows, without
 * scrolling, the four checkpoints' counts today, arrivals per hour, the health mix, what needs an
 * answer (alerts, with counts) and device health; the details open on demand. Headless Chromium
 * against the real server; saves docs/screenshots/command-centre.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ulid } from 'ulid';
import { CHECKPOINTS, deviceTopic, type DeviceStatus, type Scan } from '@sk/protocol';
import { ROOT, startConsoleStack, type ConsoleStack } from './browser.ts';

const SHOTS = join(ROOT, 'docs', 'screenshots');
const PASSWORD = 'uji-sekilas-rahasia';

let seq = 0;
const NAMES = ['Siti Aminah', 'Bagus Prakoso', 'Wayan Sudarsana', 'Dewi Lestari', 'Rahmat Hidayat', 'Nur Aini', 'Agus Salim', 'Made Ayu', 'Yusuf Hamzah', 'Ratna Sari', 'Eko Prasetyo', 'Intan Permata'];
/** A valid scan (NIK agrees with sex and birth date) at `checkpointId`, with a screening giving `health`. */
function scan(checkpointId: string, health: 'sehat' | 'gejala' | 'demam' | 'positif'): Scan {
  seq += 1;
  const sex = seq % 2 ? 'L' : 'P';
  const day = sex === 'P' ? 57 : 17;
  return {
    v: 1, scanId: ulid(), checkpointId, deviceId: `${checkpointId}-01`, seq, scannedAt: new Date().toISOString(),
    nik: `351011${day}0590${String(seq).padStart(4, '0')}`, name: NAMES[seq % NAMES.length]!, sex, birthDate: '1990-05-17',
    originAddress: 'Jl. Gajah Mada 12, Jember', destinationVillageCode: '35.10.11.2001',
    health: {
      temperatureC: health === 'demam' ? 38.4 : 36.6,
      symptoms: health === 'gejala' ? ['batuk'] : [],
      rapidTest: health === 'positif' ? 'positif' : 'negatif',
      vaccinationDoses: 2,
    },
  };
}

describe('command centre: the day at a glance on 1440×900', () => {
  let stack: ConsoleStack;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    stack = await startConsoleStack('glance', [{ username: 'komando', role: 'command', displayName: 'Pusat Komando' }], { password: PASSWORD });
    // Eight devices, one of them behind with a wrong clock, and a day's mix of travellers.
    for (const cp of CHECKPOINTS) for (const n of [1, 2]) {
      const status: DeviceStatus = {
        v: 1, checkpointId: cp.id, deviceId: `${cp.id}-0${n}`, state: cp.id === 'wongsorejo' && n === 2 ? 'offline' : 'online', at: new Date().toISOString(), version: '0.1.0',
        outbox: { depth: cp.id === 'ketapang' && n === 2 ? 14 : 0, oldestAgeSec: 3, diskBytes: 4096, diskLimitBytes: 268_435_456 }, lastScanAt: new Date().toISOString(),
        clockSkewMs: cp.id === 'kalibaru' && n === 2 ? 3_600_000 : 300,
      };
      await stack.device.publishAsync(deviceTopic(cp.id, `${cp.id}-0${n}`, 'status'), JSON.stringify(status), { qos: 1, retain: true });
    }
    const mix = ['sehat', 'sehat', 'sehat', 'gejala', 'sehat', 'demam', 'sehat', 'gejala', 'positif', 'sehat'] as const;
    for (const [i, cp] of CHECKPOINTS.entries()) for (let k = 0; k < 3 + 2 * i; k++) await stack.publish(scan(cp.id, mix[(k + i) % mix.length]!));
    for (let i = 0; i < 300 && stack.server.stats().stored + stack.server.stats().deadLettered < 24; i++) await new Promise((r) => setTimeout(r, 100));
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('shows counts, arrivals per hour, health mix, what needs an answer and device health without scrolling', async () => {
    expect(stack.server.stats()).toMatchObject({ stored: 24, deadLettered: 0 });
    const page = await stack.login('komando', { viewport: { width: 1440, height: 900 } });
    const total = 3 + 5 + 7 + 9;
    await expect.poll(async () => Number((await page.getByTestId('hourly-total').textContent())?.match(/\d+/)?.[0] ?? 0), { timeout: 20_000 }).toBe(total);
    await expect.poll(async () => Number((await page.getByTestId('mix-sehat').textContent())?.match(/\d+/)?.[0] ?? 0)).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('alerts-open').textContent()).not.toBe('0');
    await expect.poll(() => page.getByTestId('devices-attention').count()).toBe(1);

    const blocks = ['count-ketapang', 'count-wongsorejo', 'count-kalibaru', 'count-blimbingsari', 'hourly-chart', 'health-mix', 'alerts', 'devices'];
    for (const id of blocks) {
      const box = await page.getByTestId(id).boundingBox();
      expect(box, id).not.toBeNull();
      expect(box!.x, `${id} left`).toBeGreaterThanOrEqual(0);
      expect(box!.y, `${id} top`).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width, `${id} right`).toBeLessThanOrEqual(1440);
      expect(box!.y + box!.height, `${id} bottom`).toBeLessThanOrEqual(900);
      expect(box!.height, `${id} height`).toBeGreaterThan(20);
    }
    // Nothing needs a scroll to be seen: the page itself does not scroll at this size.
    expect(await page.evaluate(() => [window.scrollY, document.documentElement.scrollHeight <= window.innerHeight + 1 || document.querySelector('.layout')!.getBoundingClientRect().bottom <= window.innerHeight])).toEqual([0, true]);
    // The alert list says how many of each, and its first alert is in view with its buttons.
    expect(await page.getByTestId('alert-counts').textContent()).toMatch(/kritis/);
    const firstAlert = await page.getByTestId('alerts').locator('li').first().boundingBox();
    expect(firstAlert!.y + firstAlert!.height).toBeLessThanOrEqual(900);
    // Every device row is in view (eight devices).
    const lastDevice = await page.getByTestId('devices').locator('tbody tr').last().boundingBox();
    expect(lastDevice!.y + lastDevice!.height).toBeLessThanOrEqual(900);

    // The feed is the first detail tab; the others open on demand.
    await expect.poll(() => page.getByTestId('feed-count').textContent()).toContain(String(total));
    expect(await page.getByTestId('arrival-name').first().isVisible()).toBe(true);
    expect(await page.getByTestId('map-ketapang').isVisible()).toBe(false);
    await page.screenshot({ path: join(SHOTS, 'command-centre.png') });
    await page.getByTestId('tab-map').click();
    expect(await page.getByTestId('map-ketapang').isVisible()).toBe(true);
    expect(await page.getByTestId('arrival-feed').isVisible()).toBe(false);
    await page.getByTestId('tab-feed').click();
    // A traveller's details open over the side column, and close again.
    await page.getByTestId('arrival-name').first().click();
    await expect.poll(() => page.getByTestId('detail-name').isVisible()).toBe(true);
    await page.getByTestId('detail').getByRole('button').first().click();
    await expect.poll(() => page.getByTestId('detail').count()).toBe(0);
    // In English too.
    await page.getByTestId('lang-toggle').click();
    expect(await page.locator('#mix-title').textContent()).toBe('Health today');
    expect(await page.getByTestId('tab-map').textContent()).toBe('Map');
    await page.getByTestId('lang-toggle').click();
    await page.context().close();
  });
});
