/**
 * The checkpoint officer's screen (issue 16) in headless Chromium against a real agent, broker and
 * acking stand-in server: a traveller by keyboard alone, the same from a card image, an invalid NIK,
 * the broker down then back, the outbox full, and a name carrying HTML. Waits are bounded, never timed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Scan } from '@sk/protocol';
import { CHROMIUM_ARGS, renderCards, launchChromium, type RenderedCard } from '../simulators/src/cards-render.ts';
import { ktpCardHtml } from '../simulators/src/ktp-card.ts';
import { Rng } from '../simulators/src/rng.ts';
import { until } from '../edge-agent/src/testing.ts';
import { startOfficerStack, type OfficerStack } from './officer-stack.ts';

let browser: Browser;
let stack: OfficerStack;
const SHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'screenshots');
/** Keeps the screen's look in docs/screenshots (as the console tests do). */
async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `officer-${name}.png`), fullPage: true });
}

beforeAll(async () => {
  browser = await launchChromium();
  stack = await startOfficerStack('screen', { browser });
});
afterAll(async () => {
  await stack?.close();
  await browser?.close();
});

const received = (nik: string): Scan | undefined => stack.server!.received.find((s) => s.nik === nik);

/** Starts the duty by keyboard: focus the officer field, type, Enter. */
async function startDuty(page: Page, officer = 'bu-rina'): Promise<void> {
  if ((await page.getByTestId('officer').textContent())?.includes(officer)) return;
  await page.locator('#officer-id').focus();
  await page.keyboard.type(officer);
  await page.keyboard.press('Enter');
  await page.getByTestId('officer').getByText(officer).waitFor();
  await page.locator('#nik').focus();
}

/** The keyboard-only path after the NIK: name, address, village search, temperature, doses, Enter = Simpan. */
async function typeRest(page: Page, t: { name: string; address: string; village: string; temp: string; doses: string }): Promise<void> {
  await page.keyboard.type(t.name);
  await page.keyboard.press('Enter');
  await page.keyboard.type(t.address);
  await page.keyboard.press('Enter');
  await page.keyboard.type(t.village);
  await page.locator('#village-list [role=option]').first().waitFor();
  await page.keyboard.press('Enter');
  await page.keyboard.type(t.temp);
  await page.keyboard.press('Enter');
  await page.keyboard.type(t.doses);
  await page.keyboard.press('Enter');
}

describe('officer screen', () => {
  it('takes a traveller by keyboard alone: saved on the device, then received by the centre, listed with a masked NIK', async () => {
    const page = await stack.page();
    await startDuty(page);
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('nik');
    await page.keyboard.type('3510214107900001');
    // Decoded at once: origin district, birth date and sex fill themselves.
    await page.getByTestId('nik-info').getByText('Kalipuro').waitFor();
    expect(await page.locator('#birth').inputValue()).toBe('1990-07-01');
    expect(await page.locator('#sex').inputValue()).toBe('P');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('name');
    await typeRest(page, { name: 'Siti Aminah', address: 'Jl. Gajah Mada 12, Denpasar', village: 'kalipuro', temp: '36.6', doses: '2' });
    await page.getByTestId('saved').getByText('351021********01').waitFor();
    const row = page.getByTestId('recent').locator('li').first();
    expect(await row.textContent()).toContain('351021********01');
    expect(await row.textContent()).not.toContain('3510214107900001');
    await page.getByTestId('recent').locator('li[data-state="acked"]').getByText('diterima pusat').waitFor();
    const scan = received('3510214107900001')!;
    expect(scan).toMatchObject({ v: 2, officer: 'bu-rina', name: 'Siti Aminah', destinationVillageCode: '35.10.21.1001', health: { temperatureC: 36.6, vaccinationDoses: 2 } });
    // The form cleared for the next traveller.
    expect(await page.locator('#nik').inputValue()).toBe('');
    await shot(page, 'saved');
    await page.close();
  });

  it('takes the same kind of traveller from a card image: every field lands in the form for the officer', async () => {
    let card: RenderedCard | undefined;
    for await (const c of renderCards({ count: 1, seed: 'officer-test', variants: ['clean'], browser })) card = c;
    const page = await stack.page();
    await startDuty(page);
    await page.getByTestId('card-file').setInputFiles({ name: 'ktp.jpg', mimeType: 'image/jpeg', buffer: card!.image });
    await page.getByTestId('card-status').getByText('KTP terbaca').waitFor({ timeout: 60_000 });
    expect(await page.locator('#nik').inputValue()).toBe(card!.truth.input.nik);
    expect(await page.locator('#name').inputValue()).toBe(card!.truth.input.name);
    expect(await page.locator('#birth').inputValue()).toBe(card!.truth.input.birthDate);
    expect(await page.locator('#address').inputValue()).toBe(card!.truth.input.originAddress);
    // Nothing is saved until the officer says so.
    expect(received(card!.truth.input.nik)).toBeUndefined();
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('village');
    await shot(page, 'card-read');
    await page.keyboard.type('kalipuro');
    await page.locator('#village-list [role=option]').first().waitFor();
    await page.keyboard.press('Enter');
    await page.keyboard.type('36.8');
    await page.keyboard.press('Enter');
    await page.keyboard.type('3');
    await page.keyboard.press('Enter');
    await page.getByTestId('saved').waitFor();
    await until(() => received(card!.truth.input.nik) !== undefined, 'the card scan at the server', 30_000);
    expect(received(card!.truth.input.nik)).toMatchObject({ name: card!.truth.input.name, sex: card!.truth.input.sex, officer: 'bu-rina' });
    await page.close();
  });

  it('says what is wrong with an invalid NIK, in words, and saves nothing', async () => {
    const page = await stack.page();
    await startDuty(page);
    const before = stack.agent.stats().accepted;
    await page.keyboard.type('3510219902900001'); // day 99: no such birth date
    await page.getByTestId('nik-info').getByText('Tanggal lahir pada NIK tidak mungkin').waitFor();
    await page.locator('#name').fill('Budi');
    await page.keyboard.press('Control+Enter');
    await page.getByTestId('errors').waitFor();
    expect(await page.getByTestId('errors').textContent()).toContain('Pilih desa/kelurahan tujuan');
    await page.locator('#nik').fill('351021410790000');
    await page.keyboard.press('Control+Enter');
    expect(await page.getByTestId('errors').textContent()).toContain('NIK harus tepat 16 angka');
    expect(stack.agent.stats().accepted).toBe(before);
    await page.close();
  });

  it('with the broker down, saves on the device and confirms once the broker is back', async () => {
    const page = await stack.page();
    await startDuty(page);
    await stack.brokerDown();
    await page.locator('[data-testid="broker"][data-state="disconnected"]').waitFor();
    await page.locator('#nik').focus();
    await page.keyboard.type('3510010101800002');
    await page.getByTestId('nik-info').getByText('Pesanggaran').waitFor();
    await typeRest(page, { name: 'Made Wirawan', address: 'Denpasar', village: 'sarongan', temp: '36.5', doses: '1' });
    await page.getByTestId('saved').waitFor();
    const row = page.getByTestId('recent').locator('li').first();
    expect(await row.getAttribute('data-state')).toBe('stored');
    expect(await row.textContent()).toContain('tersimpan di perangkat');
    await page.locator('[data-testid="backlog"]:not([data-depth="0"])').waitFor();
    await shot(page, 'broker-down');
    await stack.brokerUp();
    await page.locator('[data-testid="broker"][data-state="connected"]').waitFor({ timeout: 60_000 });
    await page.getByTestId('recent').locator('li').first().and(page.locator('[data-state="acked"]')).waitFor({ timeout: 60_000 });
    expect(received('3510010101800002')).toBeDefined();
    await page.close();
  });

  it('flags a card whose NIK disagrees with its printed birth date, and saves it only once the officer confirms', async () => {
    let card: RenderedCard | undefined;
    for await (const c of renderCards({ count: 1, seed: 'officer-flag', variants: ['clean'], browser })) card = c;
    // The same card with one birth digit of the NIK changed: a valid NIK that is not this person's.
    const f = card!.truth.fields;
    const wrongNik = `${f.nik.slice(0, 6)}${String((Number(f.nik[6]) + 1) % 3)}${f.nik.slice(7)}`;
    const render = await browser.newPage({ viewport: { width: 1080, height: 710 } });
    await render.setContent(ktpCardHtml({ ...f, nik: wrongNik }, 'clean', new Rng(1)));
    const image = await render.locator('#shot').screenshot({ type: 'jpeg', quality: 88 });
    await render.close();
    const page = await stack.page();
    await startDuty(page);
    await page.getByTestId('card-file').setInputFiles({ name: 'ktp.jpg', mimeType: 'image/jpeg', buffer: image });
    await page.getByTestId('nik-flag').waitFor({ timeout: 60_000 });
    expect(await page.locator('#nik').inputValue()).toBe(wrongNik);
    await shot(page, 'nik-flagged');
    await page.locator('#village').fill('kalipuro');
    await page.locator('#village-list [role=option]').first().waitFor();
    await page.locator('#village').press('Enter');
    await page.keyboard.type('36.6');
    await page.keyboard.press('Enter');
    await page.keyboard.type('2');
    await page.keyboard.press('Enter');
    await page.getByTestId('errors').getByText('cocokkan dengan kartu').waitFor();
    expect(received(wrongNik)).toBeUndefined();
    // The officer retypes the NIK from the card: that is the confirmation, and the flag goes.
    await page.locator('#nik').fill('');
    await page.locator('#nik').focus();
    await page.keyboard.type(f.nik);
    expect(await page.getByTestId('nik-flag').count()).toBe(0);
    await page.keyboard.press('Control+Enter');
    await page.getByTestId('saved').waitFor();
    await until(() => received(f.nik) !== undefined, 'the corrected card scan at the server', 30_000);
    expect(received(wrongNik)).toBeUndefined();
    await page.close();
  });

  it('says so in words when a photo cannot be read, and reads the next card as before', async () => {
    const page = await stack.page();
    const file = page.getByTestId('card-file');
    await file.setInputFiles({ name: 'bukan-foto.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('bukan foto KTP '.repeat(20)) });
    await page.getByTestId('card-status').getByText('KTP tidak terbaca').waitFor();
    // Broken inside the engine (a JPEG header, no picture): the agent survives and starts afresh.
    await file.setInputFiles({ name: 'rusak.jpg', mimeType: 'image/jpeg', buffer: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(600, 7)]) });
    await page.getByTestId('card-status').getByText('ambil ulang foto KTP').waitFor({ timeout: 60_000 });
    let card: RenderedCard | undefined;
    for await (const c of renderCards({ count: 1, seed: 'officer-after-bad', variants: ['clean'], browser })) card = c;
    await file.setInputFiles({ name: 'ktp.jpg', mimeType: 'image/jpeg', buffer: card!.image });
    await page.getByTestId('card-status').getByText('KTP terbaca').waitFor({ timeout: 60_000 });
    expect(await page.locator('#name').inputValue()).toBe(card!.truth.input.name);
    await page.close();
  });

  it('switches to English and back by keyboard', async () => {
    const page = await stack.page();
    await page.getByRole('button', { name: 'Ganti bahasa ke English' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: /^Save/ }).waitFor();
    expect(await page.getByTestId('broker').textContent()).toContain('Centre');
    await page.locator('#nik').fill('3510219902900001');
    await page.getByTestId('nik-info').getByText('The birth date in the NIK is impossible').waitFor();
    await shot(page, 'english');
    await page.locator('#nik').fill('');
    await page.getByRole('button', { name: 'Switch language to Bahasa Indonesia' }).press('Enter');
    await page.getByRole('button', { name: /^Simpan/ }).waitFor();
    await page.close();
  });

  it('keeps a name carrying HTML as text', async () => {
    const page = await stack.page();
    await startDuty(page);
    const name = '<img src=x onerror="window.__xss=1"><b>Rudi</b>';
    await page.keyboard.type('3510210505850003');
    await page.getByTestId('nik-info').getByText('Kalipuro').waitFor();
    await typeRest(page, { name, address: '<script>window.__xss=2</script>', village: 'kalipuro', temp: '36.4', doses: '2' });
    await page.getByTestId('saved').waitFor();
    const row = page.getByTestId('recent').locator('li').first();
    expect(await row.locator('.name').textContent()).toBe(name);
    expect(await row.locator('img, b').count()).toBe(0);
    expect(await page.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined();
    await until(() => received('3510210505850003') !== undefined, 'the HTML-named scan at the server', 30_000);
    expect(received('3510210505850003')!.name).toBe(name);
    await page.close();
  });
});

describe('officer screen, kiosk mode with a camera', () => {
  it('reads the card a traveller holds to the camera by itself, for the officer to confirm', async () => {
    let card: RenderedCard | undefined;
    for await (const c of renderCards({ count: 1, seed: 'officer-kiosk', variants: ['clean'], browser })) card = c;
    // Chromium's fake camera plays an MJPEG file: JPEG frames one after another.
    const dir = mkdtempSync(join(tmpdir(), 'sk-kiosk-'));
    const video = join(dir, 'card.mjpeg');
    writeFileSync(video, Buffer.concat([card!.image, card!.image]));
    const cam = await chromium.launch({
      executablePath: '/usr/bin/chromium', headless: true,
      args: [...CHROMIUM_ARGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`],
    });
    try {
      const page = await (await cam.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
      await page.goto(stack.url);
      await page.getByTestId('broker').waitFor();
      await page.getByRole('button', { name: 'Nyalakan kamera' }).click();
      await page.getByLabel(/Mode kios/).check();
      await page.getByTestId('card-status').getByText('KTP terbaca').waitFor({ timeout: 60_000 });
      expect(await page.locator('#nik').inputValue()).toBe(card!.truth.input.nik);
      expect(await page.locator('#name').inputValue()).toBe(card!.truth.input.name);
      // Kiosk mode stops once a card is read; nothing is saved until the officer adds the screening.
      expect(await page.getByLabel(/Mode kios/).isChecked()).toBe(false);
      await shot(page, 'kiosk');
      expect(received(card!.truth.input.nik)).toBeUndefined();
    } finally {
      await cam.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('officer screen, outbox full', () => {
  let full: OfficerStack;
  beforeAll(async () => {
    full = await startOfficerStack('full', { browser, outboxMaxBytes: 64 * 1024, acking: false, ocr: false });
    await full.brokerDown();
    // Fill the device's outbox straight through the agent until it refuses.
    for (let i = 1; i <= 2000; i++) {
      const r = await full.agent.submit({ ...validInput(i), officer: 'bu-rina' });
      if (!r.ok) {
        expect(r.reason).toBe('outbox_full');
        break;
      }
    }
  });
  afterAll(() => full?.close());

  it('says the device storage is full, saves nothing and keeps the form for a retry', async () => {
    const page = await full.page();
    await startDuty(page);
    const before = full.agent.stats().accepted;
    await page.keyboard.type('3510214107900001');
    await page.getByTestId('nik-info').getByText('Kalipuro').waitFor();
    await typeRest(page, { name: 'Siti Aminah', address: 'Denpasar', village: 'kalipuro', temp: '36.6', doses: '2' });
    await page.getByTestId('failure').getByText('Penyimpanan perangkat penuh').waitFor();
    expect(await page.getByTestId('saved').count()).toBe(0);
    expect(await page.locator('#nik').inputValue()).toBe('3510214107900001');
    expect(await page.locator('#name').inputValue()).toBe('Siti Aminah');
    expect(full.agent.stats().accepted).toBe(before);
    await shot(page, 'outbox-full');
    await page.close();
  });
});

function validInput(i: number) {
  const day = String((i % 28) + 1).padStart(2, '0');
  const month = String((Math.floor(i / 28) % 12) + 1).padStart(2, '0');
  return {
    nik: `351021${day}${month}80${String((i % 9999) + 1).padStart(4, '0')}`, name: `Pelaku ${i}`, sex: 'L', birthDate: `1980-${month}-${day}`,
    originAddress: 'Denpasar', destinationVillageCode: '35.10.01.2001', health: { temperatureC: 36.6, symptoms: [], rapidTest: 'negatif', vaccinationDoses: 2 },
  };
}
