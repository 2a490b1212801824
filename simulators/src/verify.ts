/** Compares the fleet's ledger with what the server says it stored. */
import { readLedger, reconcile, type Reconciliation } from './ledger.ts';
import { login, storedScanIds } from './server-client.ts';

export interface VerifyOptions {
  server: string;
  user: string;
  password: string;
  ledgerFile: string;
  from: string;
  to: string;
  /** The server keys on device scan time, the ledger on submit time: query a little wider. */
  marginMs?: number;
}

export interface VerifyResult extends Reconciliation {
  from: string;
  to: string;
}

export async function verifyStored(o: VerifyOptions): Promise<VerifyResult> {
  const margin = o.marginMs ?? 10 * 60_000;
  const sent = readLedger(o.ledgerFile, o.from, o.to).map((e) => e.scanId);
  const cookie = await login(o.server, o.user, o.password);
  const wide = (iso: string, d: number) => new Date(Date.parse(iso) + d).toISOString();
  const stored = await storedScanIds(o.server, cookie, wide(o.from, -margin), wide(o.to, margin));
  const sentSet = new Set(sent);
  // Ids outside our window are another run's business; count them but do not call them ours.
  const r = reconcile(sent, stored.filter((id) => sentSet.has(id)));
  return { ...r, unexpected: [...new Set(stored.filter((id) => !sentSet.has(id)))], from: o.from, to: o.to };
}
