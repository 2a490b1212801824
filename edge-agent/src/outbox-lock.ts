/** One writer per outbox directory: a LOCK file holding the owner's pid. */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class OutboxLockedError extends Error {
  readonly code = 'outbox_locked';
  constructor(dir: string, pid: number) {
    super(`outbox ${dir} is in use by process ${pid}; two agents must never share one outbox`);
    this.name = 'OutboxLockedError';
  }
}

/**
 * One writer per outbox: a LOCK file with our pid. A lock left by a dead process (SIGKILL, power
 * loss) is taken over; one held by a live process is refused.
 */
export function acquireLock(dir: string): string {
  const path = join(dir, 'LOCK');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx', mode: 0o600 });
      return path;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(path, 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) throw new OutboxLockedError(dir, pid);
      unlinkSync(path);
    }
  }
  throw new Error(`could not lock outbox ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

