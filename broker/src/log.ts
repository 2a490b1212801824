/**
 * The broker's logger: pino, or anything with the same three methods. Client ids, usernames and
 * topics come from the network, so they pass through `safe()` before they are logged: a
 * misconfigured device could put a NIK (16 digits) in its client id, and no NIK goes in a log line.
 */
import { pino } from 'pino';

export interface BrokerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export function createLogger(level: string = 'info'): BrokerLogger {
  return pino({ name: 'sk-broker', level });
}

/** Truncates and masks long digit runs (a NIK, a KK, a phone number) in a network-supplied label. */
export function safe(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const s = String(value).slice(0, 128);
  return s.replace(/\d{6,}/g, (m) => `<${m.length} digits>`);
}
