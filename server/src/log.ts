/**
 * One small structured logger (pino, JSON lines on stderr) with named areas.
 * Rule: never pass NIK, names or addresses; log ids (scanId, deviceId), counts and reasons only.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({ level, base: { app: 'sk-server' } }, pino.destination(2));
}

/** `log.child({ area: 'ingest' })` — every line says which feature wrote it. */
export function area(log: Logger, name: string): Logger {
  return log.child({ area: name });
}
