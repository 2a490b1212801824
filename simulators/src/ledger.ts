/**
 * The fleet's local ledger of what it sent: one JSON line per accepted scan, ids and times only
 * (no NIK, no name), so `verify` can compare it with what the server stored.
 */
import { createWriteStream, mkdirSync, readFileSync, existsSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

export interface LedgerEntry {
  scanId: string;
  checkpointId: string;
  deviceId: string;
  seq: number;
  /** When the device accepted it (ISO). */
  at: string;
}

export class Ledger {
  readonly #out: WriteStream;

  constructor(readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.#out = createWriteStream(file, { flags: 'a' });
  }

  append(entry: LedgerEntry): void {
    this.#out.write(`${JSON.stringify(entry)}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.#out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

/** Entries with `from <= at < to` (ISO strings compare in time order). A torn last line is skipped. */
export function readLedger(file: string, from?: string, to?: string): LedgerEntry[] {
  if (!existsSync(file)) return [];
  const out: LedgerEntry[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    let e: LedgerEntry;
    try {
      e = JSON.parse(line) as LedgerEntry;
    } catch {
      continue;
    }
    if (typeof e.scanId !== 'string' || typeof e.at !== 'string') continue;
    if ((from && e.at < from) || (to && e.at >= to)) continue;
    out.push(e);
  }
  return out;
}

export interface Reconciliation {
  sent: number;
  stored: number;
  missing: string[];
  doubled: { scanId: string; times: number }[];
  /** Stored ids the ledger never sent (another fleet, or forged). */
  unexpected: string[];
}

/** Compares sent scanIds with stored ones (duplicates included). Pure. */
export function reconcile(sent: readonly string[], stored: readonly string[]): Reconciliation {
  const counts = new Map<string, number>();
  for (const id of stored) counts.set(id, (counts.get(id) ?? 0) + 1);
  const sentSet = new Set(sent);
  return {
    sent: sentSet.size,
    stored: counts.size,
    missing: [...sentSet].filter((id) => !counts.has(id)),
    doubled: [...counts].filter(([, n]) => n > 1).map(([scanId, times]) => ({ scanId, times })),
    unexpected: [...counts.keys()].filter((id) => !sentSet.has(id)),
  };
}
