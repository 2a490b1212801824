/**
 * Flags and env, read once per run. Every scenario declares its options with help text; parsing
 * collects every error, prints them all together and exits 1 (never a stack trace for a typo).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

export interface OptionSpec {
  type: 'string' | 'boolean';
  help: string;
  /** Default shown in --help and used when neither flag nor env is given. */
  default?: string;
  env?: string;
}

export type Specs = Record<string, OptionSpec>;

/** Flags every networked scenario shares. */
export const COMMON: Specs = {
  broker: { type: 'string', help: 'MQTT broker URL(s), comma-separated', default: 'mqtt://127.0.0.1:1883', env: 'SK_BROKER_URL' },
  server: { type: 'string', help: 'server base URL (for verify / stored counts)', default: 'http://127.0.0.1:8080', env: 'SK_SERVER_URL' },
  seed: { type: 'string', help: 'PRNG seed (number or word): same seed, same travellers', default: '1', env: 'SK_SIM_SEED' },
  'data-dir': { type: 'string', help: 'device outboxes and the sent-scan ledger', default: join(tmpdir(), 'sk-sim'), env: 'SK_SIM_DATA_DIR' },
  json: { type: 'boolean', help: 'print the final summary as one JSON line' },
  help: { type: 'boolean', help: 'show this help' },
};

export const AUTH: Specs = {
  credentials: { type: 'string', help: 'JSON file {"<deviceId>": "<secret>"} from the broker provisioning', env: 'SK_SIM_CREDENTIALS' },
  bare: { type: 'boolean', help: 'no device authentication (a bare broker)' },
  'observer-user': { type: 'string', help: 'optional: time acks from an MQTT observer (a server-kind broker user) instead of the agents’ events', env: 'SK_SIM_OBSERVER_USER' },
  'observer-password': { type: 'string', help: 'its password', env: 'SK_SIM_OBSERVER_PASSWORD' },
  user: { type: 'string', help: 'console user (command role) for the server API', env: 'SK_SIM_USER' },
  password: { type: 'string', help: 'its password', env: 'SK_SIM_PASSWORD' },
};

export type Values = Record<string, string | boolean | undefined>;

export class UsageError extends Error {}

export function helpText(usage: string, description: string, specs: Specs): string {
  const lines = [`Usage: ${usage}`, '', description, '', 'Options:'];
  for (const [name, s] of Object.entries(specs)) {
    const flag = s.type === 'string' ? `--${name} <value>` : `--${name}`;
    const extra = [s.default !== undefined ? `default ${s.default}` : '', s.env ? `env ${s.env}` : ''].filter(Boolean).join(', ');
    lines.push(`  ${flag.padEnd(28)} ${s.help}${extra ? ` (${extra})` : ''}`);
  }
  return lines.join('\n');
}

/** Parses argv against the specs; flag beats env beats default. Throws UsageError listing every problem. */
export function parseOptions(argv: string[], specs: Specs, env: NodeJS.ProcessEnv = process.env): Values {
  const options = Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, { type: s.type }]));
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: false }) as { values: Values; positionals: string[] };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values: Values = { ...parsed.values };
  for (const [name, s] of Object.entries(specs)) {
    if (values[name] !== undefined) continue;
    const fromEnv = s.env ? env[s.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== '') values[name] = s.type === 'boolean' ? fromEnv === '1' || fromEnv === 'true' : fromEnv;
    else if (s.default !== undefined) values[name] = s.type === 'boolean' ? s.default === 'true' : s.default;
  }
  return values;
}

/** Collects validation errors so the user sees all of them at once. */
export class Checker {
  readonly errors: string[] = [];
  constructor(private readonly values: Values) {}

  str(name: string): string | undefined {
    const v = this.values[name];
    return typeof v === 'string' ? v : undefined;
  }

  bool(name: string): boolean {
    return this.values[name] === true;
  }

  num(name: string, { min = -Infinity, max = Infinity, integer = false } = {}): number | undefined {
    const raw = this.str(name);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
      this.errors.push(`--${name}: expected ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${JSON.stringify(raw)}`);
      return undefined;
    }
    return n;
  }

  iso(name: string): string | undefined {
    const raw = this.str(name);
    if (raw === undefined) return undefined;
    const t = Date.parse(raw);
    if (Number.isNaN(t)) {
      this.errors.push(`--${name}: expected an ISO date/time, got ${JSON.stringify(raw)}`);
      return undefined;
    }
    return new Date(t).toISOString();
  }

  url(name: string): string | undefined {
    const raw = this.str(name);
    if (raw === undefined) return undefined;
    for (const u of raw.split(',')) {
      try {
        new URL(u);
      } catch {
        this.errors.push(`--${name}: not a URL: ${JSON.stringify(u)}`);
      }
    }
    return raw;
  }

  fail(message: string): void {
    this.errors.push(message);
  }

  done(): void {
    if (this.errors.length > 0) throw new UsageError(this.errors.join('\n'));
  }
}
