/** `sim cards`: KTP-like card images of generated travellers, with the truth beside each (issue 16). */
import { CARD_VARIANTS, DEGRADED_VARIANTS, type CardVariant } from '../ktp-card.ts';
import { renderCards } from '../cards-render.ts';
import { COMMON } from '../options.ts';
import type { Scenario } from './scenario.ts';

export const cards: Scenario = {
  name: 'cards',
  summary: 'render KTP-like card images (clean and degraded) with the truth beside each',
  usage: 'npm run sim -- cards --out DIR [--count N] [--variants clean,blur,…|degraded|all] [--seed S]',
  description: [
    'Draws synthetic travellers\' KTP-like cards in the real KTP-el layout (PROVINSI, KABUPATEN, NIK, Nama,',
    'Tempat/Tgl Lahir, Jenis Kelamin, Alamat, RT/RW, Kel/Desa, Kecamatan, Agama, Status Perkawinan,',
    'Pekerjaan, Kewarganegaraan, Berlaku Hingga, photo box) in headless Chromium (/usr/bin/chromium) and',
    'writes card-NNNN-<variant>.jpg with card-NNNN-<variant>.json (printed fields and the form\'s expected',
    `input). Variants: ${CARD_VARIANTS.join(', ')} (rotation ±2–5°, glare, uneven light, JPEG noise, blur).`,
    'Every person is generated: never a real KTP. Same seed, same cards.',
  ].join('\n'),
  specs: {
    out: { type: 'string', help: 'folder to write the images and truth files to' },
    count: { type: 'string', help: 'how many cards', default: '12' },
    variants: { type: 'string', help: 'comma-separated variants, or "all" or "degraded"; cards take them in turn', default: 'all' },
    today: { type: 'string', help: 'day ages count from, YYYY-MM-DD (default today, WIB)' },
    seed: COMMON.seed!,
    help: COMMON.help!,
  },
  async run(c) {
    const outDir = c.str('out');
    if (!outDir) c.fail('--out: a folder is required');
    const count = c.num('count', { min: 1, max: 100_000, integer: true })!;
    const v = c.str('variants') ?? 'all';
    const variants: CardVariant[] = v === 'all' ? [...CARD_VARIANTS] : v === 'degraded' ? [...DEGRADED_VARIANTS] : (v.split(',') as CardVariant[]);
    for (const x of variants) if (!CARD_VARIANTS.includes(x)) c.fail(`--variants: unknown ${JSON.stringify(x)} (${CARD_VARIANTS.join(', ')})`);
    const today = c.str('today');
    if (today && !/^\d{4}-\d{2}-\d{2}$/.test(today)) c.fail('--today: expected YYYY-MM-DD');
    c.done();
    let n = 0;
    for await (const card of renderCards({ count, seed: c.str('seed')!, variants, outDir: outDir!, today })) {
      n++;
      process.stderr.write(`\r${n}/${count} ${card.truth.variant.padEnd(7)}`);
    }
    process.stderr.write('\n');
    process.stdout.write(`${JSON.stringify({ cards: n, out: outDir })}\n`);
    return 0;
  },
};
