#!/usr/bin/env -S npx tsx
/**
 * Testers' device simulators: `npm run sim -- <scenario> [options]`, `--help` on each scenario.
 */
import { UsageError } from './options.ts';
import { aid } from './scenarios/aid.ts';
import { cards } from './scenarios/cards.ts';
import { checkpoints } from './scenarios/checkpoints.ts';
import { generate } from './scenarios/generate.ts';
import { load } from './scenarios/load.ts';
import { puskesmas } from './scenarios/puskesmas.ts';
import { runScenario, type Scenario } from './scenarios/scenario.ts';
import { verify } from './scenarios/verify.ts';

const SCENARIOS: readonly Scenario[] = [checkpoints, load, verify, generate, puskesmas, aid, cards];

function usage(): string {
  return [
    'Usage: npm run sim -- <scenario> [options]      (npm run sim -- <scenario> --help for its options)',
    '',
    'Simulated checkpoint devices for Smart Kampung Checkpoint: synthetic travellers (valid NIKs, real',
    'Kemendagri region codes), sent through real edge agents to the broker.',
    '',
    'Scenarios:',
    ...SCENARIOS.map((s) => `  ${s.name.padEnd(12)} ${s.summary}`),
    '',
    'Exit codes: 0 ok, 1 usage or connection error, 2 scans lost or doubled.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 1;
  }
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (!scenario) {
    process.stderr.write(`unknown scenario ${JSON.stringify(name)}\n\n${usage()}\n`);
    return 1;
  }
  try {
    return await runScenario(scenario, rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n(npm run sim -- ${scenario.name} --help)\n`);
      return 1;
    }
    // Connection refused, server errors…: one sentence, no stack.
    process.stderr.write(`${scenario.name}: ${(err as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
