/**
 * The agent's one structured logger: JSON lines on stderr (stdout belongs to the stdin protocol's
 * replies). Areas name the part that speaks (`agent`, `mqtt`, `http`, `cli`). Never log a NIK, a
 * name or an address: log seqs, scanIds and counts.
 */
import { pino, destination, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string = 'info'): Logger {
  return pino({ level, base: { app: 'sk-edge-agent' } }, destination({ fd: 2, sync: false }));
}

/** A logger that drops everything, for library use and tests. */
export const silentLogger: Logger = pino({ level: 'silent' });
