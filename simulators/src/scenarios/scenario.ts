import { Checker, helpText, parseOptions, type Specs } from '../options.ts';

export interface Scenario {
  name: string;
  /** One line for the CLI's list. */
  summary: string;
  usage: string;
  description: string;
  specs: Specs;
  /** Returns the process exit code. */
  run(c: Checker): Promise<number>;
}

/** Parses a scenario's argv; `--help` prints its help. Throws UsageError on bad flags. */
export async function runScenario(s: Scenario, argv: string[]): Promise<number> {
  const values = parseOptions(argv, s.specs);
  if (values.help) {
    process.stdout.write(`${helpText(s.usage, s.description, s.specs)}\n`);
    return 0;
  }
  return s.run(new Checker(values));
}
