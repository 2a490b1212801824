/** `sim generate --count N`: travellers as JSON lines (ScanInput), e.g. to pipe into an edge agent's stdin. */
import { CHECKPOINT_IDS } from '@sk/protocol';
import { loadWorld } from '../world.ts';
import { TravellerGenerator } from '../travellers.ts';
import { COMMON } from '../options.ts';
import type { Scenario } from './scenario.ts';

export const HEALTH_SPECS = {
  'fever-rate': { type: 'string', help: 'share of travellers with fever', default: '0.03' },
  'symptom-rate': { type: 'string', help: 'share with symptoms', default: '0.08' },
  'positive-rate': { type: 'string', help: 'share of rapid tests positive', default: '0.01' },
  'resident-share': { type: 'string', help: 'share of Banyuwangi residents coming home', default: '0.35' },
} as const;

export const generate: Scenario = {
  name: 'generate',
  summary: 'print generated travellers as JSON lines (ScanInput)',
  usage: 'npm run sim -- generate [--count N] [--seed S] [--checkpoint ID] [--full]',
  description: 'Prints one ScanInput per line on stdout (personal data is synthetic). Same seed, same lines.',
  specs: {
    count: { type: 'string', help: 'how many travellers', default: '10' },
    checkpoint: { type: 'string', help: `origin mix of this checkpoint (${CHECKPOINT_IDS.join(', ')})` },
    full: { type: 'boolean', help: 'also print origin and name group: {input, originRegencyCode, …}' },
    today: { type: 'string', help: 'day ages count from, YYYY-MM-DD (default today, WIB)' },
    ...HEALTH_SPECS,
    seed: COMMON.seed!,
    help: COMMON.help!,
  },
  async run(c) {
    const count = c.num('count', { min: 0, max: 10_000_000, integer: true });
    const checkpoint = c.str('checkpoint');
    if (checkpoint && !CHECKPOINT_IDS.includes(checkpoint)) c.fail(`--checkpoint: unknown ${JSON.stringify(checkpoint)}`);
    const today = c.str('today');
    if (today && !/^\d{4}-\d{2}-\d{2}$/.test(today)) c.fail('--today: expected YYYY-MM-DD');
    const health = healthOptions(c);
    const residentShare = c.num('resident-share', { min: 0, max: 1 });
    c.done();
    const gen = new TravellerGenerator(loadWorld(), { seed: c.str('seed')!, today, residentShare, health });
    const full = c.bool('full');
    for (let i = 0; i < count!; i++) {
      const t = gen.next(checkpoint);
      const line = `${JSON.stringify(full ? t : t.input)}\n`;
      // Respect backpressure so `| head` and slow consumers work.
      if (!process.stdout.write(line)) await new Promise((r) => process.stdout.once('drain', r));
    }
    return 0;
  },
};

export function healthOptions(c: import('../options.ts').Checker) {
  return {
    fever: c.num('fever-rate', { min: 0, max: 1 }),
    symptom: c.num('symptom-rate', { min: 0, max: 1 }),
    positive: c.num('positive-rate', { min: 0, max: 1 }),
  };
}
