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
  /** Scans sent this recently and not yet stored are reported as in flight, not missing (live runs). */
  settleMs?: number;
  now?: number;
}

export interface VerifyResult extends Reconciliation {
  from: string;
  to: string;
  /** Not stored yet but sent within the settle time: probably still on their way. */
  inFlight: string[];
}

export async function verifyStored(o: VerifyOptions): Promise<VerifyResult> {
  const margin = o.marginMs ?? 10 * 60_000;
  const settleFrom = new Date((o.now ?? Date.now()) - (o.settleMs ?? 0)).toISOString();
  const all = readLedger(o.ledgerFile);
  const inWindow = all.filter((e) => e.at >= o.from && e.at < o.to);
  const cookie = await login(o.server, o.user, o.password);
  const wide = (iso: string, d: number) => new Date(Date.parse(iso) + d).toISOString();
  const stored = await storedScanIds(o.server, cookie, wide(o.from, -margin), wide(o.to, margin));
  // The wider server window may hold our scans from just outside [from, to): judge those by the
  // whole ledger, so only ids this ledger never sent count as unexpected.
  const everSent = new Set(all.map((e) => e.scanId));
  const windowIds = new Set(inWindow.map((e) => e.scanId));
  const r = reconcile([...windowIds], stored.filter((id) => windowIds.has(id)));
  const recent = new Set(inWindow.filter((e) => e.at >= settleFrom).map((e) => e.scanId));
  return {
    ...r,
    missing: r.missing.filter((id) => !recent.has(id)),
    inFlight: r.missing.filter((id) => recent.has(id)),
    unexpected: [...new Set(stored.filter((id) => !everSent.has(id)))],
    from: o.from,
    to: o.to,
  };
}
