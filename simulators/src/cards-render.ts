/**
 * Shoots KTP-like cards (ktp-card.ts) in headless Chromium — Debian's /usr/bin/chromium through
 * playwright-core, never a downloaded browser — and writes each image with its truth beside it:
 * `card-0001-clean.jpg` + `card-0001-clean.json` ({@link CardTruth}).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { todayWib } from '@sk/protocol';
import { loadRegions } from '@sk/protocol/regions';
import { cardAddress, ktpCardHtml, ktpFields, type CardTruth, type CardVariant } from './ktp-card.ts';
import { Rng } from './rng.ts';
import { TravellerGenerator } from './travellers.ts';
import { loadWorld } from './world.ts';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}

export interface CardRenderOptions {
  count: number;
  seed: string | number;
  /** Variants drawn round-robin, card i gets `variants[i % n]`. */
  variants: readonly CardVariant[];
  /** Writes `card-NNNN-<variant>.jpg/.json` here when given. */
  outDir?: string;
  today?: string;
  /** Reuse a browser (tests, benchmarks); otherwise one is launched and closed. */
  browser?: Browser;
}

export interface RenderedCard {
  truth: CardTruth;
  image: Buffer;
  /** Where it was written (with outDir). */
  file?: string;
}

/** Renders `count` cards, yielding each as soon as it is shot (bounded: one page, one card at a time). */
export async function* renderCards(o: CardRenderOptions): AsyncGenerator<RenderedCard> {
  const today = o.today ?? todayWib();
  const regions = loadRegions();
  const gen = new TravellerGenerator(loadWorld(), { seed: o.seed, today });
  const rng = new Rng(`${o.seed}-cards`);
  const browser = o.browser ?? (await launchChromium());
  const page = await browser.newPage({ viewport: { width: 1080, height: 710 } });
  if (o.outDir) mkdirSync(o.outDir, { recursive: true });
  try {
    for (let i = 0; i < o.count; i++) {
      const t = gen.next();
      const variant = o.variants[i % o.variants.length]!;
      const d = t.originDistrictCode;
      const names = { province: regions.province(d.slice(0, 2)) ?? '', regency: regions.regency(d.slice(0, 5)) ?? '', district: regions.district(d) ?? '' };
      const fields = ktpFields(t, names, rng, today);
      await page.setContent(ktpCardHtml(fields, variant, rng));
      // The card on a grey table, as a camera would frame it; a low JPEG quality is the 'jpeg' variant.
      const image = await page.locator('#shot').screenshot({ type: 'jpeg', quality: variant === 'jpeg' ? 30 : 88 });
      const truth: CardTruth = {
        variant,
        fields,
        input: { nik: t.input.nik, name: fields.nama, birthDate: t.input.birthDate, sex: t.input.sex, originAddress: cardAddress(fields) },
      };
      let file: string | undefined;
      if (o.outDir) {
        const base = join(o.outDir, `card-${String(i + 1).padStart(4, '0')}-${variant}`);
        writeFileSync(`${base}.jpg`, image);
        writeFileSync(`${base}.json`, `${JSON.stringify(truth, null, 2)}\n`);
        file = `${base}.jpg`;
      }
      yield { truth, image, file };
    }
  } finally {
    await page.close().catch(() => {});
    if (!o.browser) await browser.close().catch(() => {});
  }
}
