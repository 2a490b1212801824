/**
 * The double-aid alarm in headless Chromium against the real server: three village officers' pages
 * (three browser contexts). A handout recorded in village A for a NIK that already received the same
 * programme in village B makes both A's and B's pages flash and play the alarm sound (after the
 * one-time "Aktifkan suara" gesture); village C's page stays quiet; acknowledging stops the flashing.
 * The resolution form is a real dialog: Escape closes it, Enter submits it.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { loadRegions } from '@sk/protocol/regions';
import { ROOT, startConsoleStack, type ConsoleStack } from './browser.ts';

const SHOTS = join(ROOT, 'docs', 'screenshots');
const PASSWORD = 'uji-konsol-rahasia';
const villages = loadRegions().villages;
const [A, B, C] = [villages[0]!, villages[40]!, villages[80]!];
const NIK = '3510215207900001'; // Kalipuro, a woman born 12-07-1990 (day + 40)
const KK = '3510212304150001';

describe('double-aid alarm across village pages (headless Chromium)', () => {
  let stack: ConsoleStack;
  const pages: Record<string, Page> = {};

  async function login(username: string): Promise<Page> {
    const page = await stack.login(username);
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
    stack = await startConsoleStack('console-aid', ([['desa.a', A], ['desa.b', B], ['desa.c', C]] as const).map(([username, v]) => ({ username, role: 'village' as const, displayName: `Petugas ${v.name}`, villageCode: v.code })), { password: PASSWORD });
    pages.A = await login('desa.a');
    pages.B = await login('desa.b');
    pages.C = await login('desa.c');
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
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
