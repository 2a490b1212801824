/**
 * The agent's configuration, read once: a JSON file (`--config`), then environment variables over it,
 * then command-line flags over both. Validated in one go so an installer sees every mistake at once.
 * Nothing else in the agent reads process.env.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ID_PATTERN } from '@sk/protocol';
import { DEFAULT_OUTBOX_MAX_BYTES } from './outbox.ts';

const BrokerUrl = z.string().refine((u) => {
  try {
    return ['mqtt:', 'mqtts:'].includes(new URL(u).protocol);
  } catch {
    return false;
  }
}, 'must be an mqtt:// or mqtts:// URL');

export const AgentFileConfigSchema = z.strictObject({
  brokerUrls: z.array(BrokerUrl).min(1, 'name at least one broker'),
  checkpointId: z.string().regex(ID_PATTERN, 'lower-case id like ketapang'),
  deviceId: z.string().regex(ID_PATTERN, 'lower-case id like ketapang-01'),
  /** The device secret; prefer SK_DEVICE_SECRET from a root-only env file over putting it here. */
  password: z.string().min(1).optional(),
  dataDir: z.string().min(1),
  /** Local HTTP input/status port on httpHost; absent = no HTTP. 0 = any free port. */
  httpPort: z.number().int().min(0).max(65535).optional(),
  httpHost: z.string().default('127.0.0.1'),
  version: z.string().max(40).default('0.1.0'),
  retransmitAfterMs: z.number().int().min(50).default(10_000),
  maxInFlight: z.number().int().min(1).max(65_535).default(500),
  /** A backlog is sent up to this many scans per MQTT message (1 = one per message). */
  maxScansPerMessage: z.number().int().min(1).max(64).default(32),
  statusIntervalMs: z.number().int().min(100).default(30_000),
  outboxMaxBytes: z.number().int().min(64 * 1024).default(DEFAULT_OUTBOX_MAX_BYTES),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type AgentFileConfig = z.infer<typeof AgentFileConfigSchema>;

export interface ConfigSources {
  /** Path of the JSON config file, if any. */
  configPath?: string;
  env: Record<string, string | undefined>;
  /** Flag overrides (already parsed), e.g. `{ httpPort: 0 }`. */
  overrides?: Partial<AgentFileConfig>;
}

export type ConfigResult = { ok: true; config: Readonly<AgentFileConfig> } | { ok: false; errors: string[] };

/** Env variable → config key, with how to parse it. */
const ENV: Record<string, [keyof AgentFileConfig, (v: string) => unknown]> = {
  SK_BROKER_URLS: ['brokerUrls', (v) => v.split(',').map((s) => s.trim()).filter(Boolean)],
  SK_CHECKPOINT_ID: ['checkpointId', String],
  SK_DEVICE_ID: ['deviceId', String],
  SK_DEVICE_SECRET: ['password', String],
  SK_DATA_DIR: ['dataDir', String],
  SK_HTTP_PORT: ['httpPort', Number],
  SK_HTTP_HOST: ['httpHost', String],
  SK_LOG_LEVEL: ['logLevel', String],
  SK_OUTBOX_MAX_BYTES: ['outboxMaxBytes', Number],
};

export function loadConfig(sources: ConfigSources): ConfigResult {
  const errors: string[] = [];
  let fromFile: Record<string, unknown> = {};
  if (sources.configPath) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(sources.configPath, 'utf8'));
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) fromFile = parsed as Record<string, unknown>;
      else errors.push(`${sources.configPath}: must hold a JSON object`);
    } catch (err) {
      errors.push(`${sources.configPath}: ${(err as Error).message}`);
    }
  }
  const fromEnv: Record<string, unknown> = {};
  for (const [name, [key, parse]] of Object.entries(ENV)) {
    const raw = sources.env[name];
    if (raw !== undefined && raw !== '') fromEnv[key] = parse(raw);
  }
  const merged = { ...fromFile, ...fromEnv, ...sources.overrides };
  const result = AgentFileConfigSchema.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = issue.path.join('.') || '(config)';
      const envName = Object.entries(ENV).find(([, [k]]) => k === issue.path[0])?.[0];
      const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
      errors.push(`${key}${envName ? ` (${envName})` : ''}: ${missing ? 'required' : issue.message}`);
    }
  }
  if (errors.length > 0 || !result.success) return { ok: false, errors };
  return { ok: true, config: Object.freeze(result.data) };
}
