/**
 * What every fleet scenario shares: a stop signal (Ctrl-C, --duration, --count), a progress line
 * each second on stderr, and the final summary (text, or one JSON line with --json).
 */
import type { FaultInjector, FaultReport } from './faults.ts';
import type { Fleet, FleetStats } from './fleet.ts';
import { readLedger } from './ledger.ts';
import { verifyStored, type VerifyResult } from './verify.ts';

export interface RunSummary extends FleetStats {
  scenario: string;
  seed: string;
  durationSec: number;
  sentPerSec: number;
  /** From the server's stored-scan-ids, when --user/--password were given and it answered. */
  stored: number | null;
  /** Missing on the server (verified), or unacked after the drain timeout (unverified). */
  lost: number;
  doubled: number | null;
  verified: boolean;
  verifyError?: string;
  ledger: string;
  /** Injected faults; `hostileStored` counts hostile payloads the server stored (must be 0; null unverified). */
  faults?: Omit<FaultReport, 'hostile'> & { hostile: Omit<FaultReport['hostile'], 'scanIds'>; hostileStored: number | null };
  extra?: Record<string, unknown>;
}

export class Run {
  stopped = false;
  readonly startedAt = Date.now();
  readonly #t0 = performance.now();
  #timer: NodeJS.Timeout | undefined;
  /** Stopped by a signal: a supervisor (scripts/up.ts) will not wait long, so drain briefly. */
  #signalled = false;
  readonly #onSigint = () => {
    if (this.stopped) process.exit(130);
    this.#signalled = true;
    process.stderr.write('\nberhenti… (stopping; Ctrl-C again to quit at once)\n');
    this.stop();
  };
  #wakeups: (() => void)[] = [];

  #faultTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly fleet: Fleet,
    private readonly progressExtra: () => string = () => '',
    private readonly faults?: { injector: FaultInjector; everyMs: number },
  ) {}

  start(): void {
    process.once('SIGINT', this.#onSigint);
    process.once('SIGTERM', this.#onSigint);
    let last = 0;
    this.#timer = setInterval(() => {
      const s = this.fleet.stats();
      const t = this.elapsedSec();
      process.stderr.write(
        `[${t.toFixed(0).padStart(4)}s] sent ${s.submitted} (${((s.submitted - last)).toFixed(0)}/s)  acked ${s.acked}  pending ${s.pendingAck}  rejected ${s.rejected}${this.progressExtra()}\n`,
      );
      last = s.submitted;
    }, 1000);
    this.#timer.unref();
    if (this.faults) {
      const { injector, everyMs } = this.faults;
      this.#faultTimer = setInterval(() => injector.injectOne(), everyMs);
    }
  }

  elapsedSec(): number {
    return (performance.now() - this.#t0) / 1000;
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.#wakeups.splice(0)) w();
  }

  /** Sleeps up to `ms`, waking early when the run is stopped. */
  sleep(ms: number): Promise<void> {
    if (this.stopped || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.#wakeups.push(done);
    });
  }

  /** Drains acks, verifies against the server if possible, stops the fleet, prints the summary. */
  async finish(o: { scenario: string; seed: string; drainTimeoutMs: number; json: boolean; server?: { url: string; user?: string; password?: string }; extra?: Record<string, unknown> }): Promise<RunSummary> {
    clearInterval(this.#timer);
    clearInterval(this.#faultTimer);
    process.off('SIGINT', this.#onSigint);
    process.off('SIGTERM', this.#onSigint);
    const durationSec = this.elapsedSec();
    // Unacked scans are safe in the device outboxes and go out on the next run.
    const drainMs = this.#signalled ? Math.min(o.drainTimeoutMs, 3000) : o.drainTimeoutMs;
    if (this.fleet.pendingAck > 0) process.stderr.write(`menunggu ack… waiting up to ${drainMs / 1000}s for ${this.fleet.pendingAck} acks\n`);
    const faultReport = await this.faults?.injector.finish();
    await this.fleet.waitForAcks(drainMs);
    const stats = this.fleet.stats();
    await this.fleet.stop();
    let verify: VerifyResult | undefined;
    let verifyError: string | undefined;
    if (o.server?.user && o.server.password) {
      try {
        verify = await verifyStored({ server: o.server.url, user: o.server.user, password: o.server.password, ledgerFile: this.fleet.ledgerFile, from: new Date(this.startedAt).toISOString(), to: new Date().toISOString() });
      } catch (err) {
        verifyError = (err as Error).message;
      }
    }
    // Scans a revoked device took after its revocation are held in its outbox, by design: not lost.
    const revokedIds = new Set((faultReport?.revoked ?? []).map((r) => r.deviceId));
    const heldCount = (faultReport?.revoked ?? []).reduce((n, r) => n + r.heldInOutbox, 0);
    const held = new Set(revokedIds.size > 0 ? readLedger(this.fleet.ledgerFile).filter((e) => revokedIds.has(e.deviceId) && (verify?.missing ?? []).includes(e.scanId)).map((e) => e.scanId) : []);
    const summary: RunSummary = {
      scenario: o.scenario,
      seed: o.seed,
      ...stats,
      durationSec: Math.round(durationSec * 10) / 10,
      sentPerSec: Math.round((stats.submitted / Math.max(durationSec, 0.001)) * 10) / 10,
      stored: verify ? verify.stored : null,
      lost: verify ? verify.missing.filter((id) => !held.has(id)).length : stats.pendingAck - heldCount,
      doubled: verify ? verify.doubled.length : null,
      verified: verify !== undefined,
      ...(verifyError ? { verifyError } : {}),
      ledger: this.fleet.ledgerFile,
      ...(faultReport ? { faults: summarizeFaults(faultReport, verify?.unexpected) } : {}),
      ...(o.extra ? { extra: o.extra } : {}),
    };
    process.stdout.write(o.json ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
    return summary;
  }
}

function summarizeFaults(r: FaultReport, unexpected: string[] | undefined): NonNullable<RunSummary['faults']> {
  const { scanIds, ...hostile } = r.hostile;
  const stored = unexpected ? new Set(unexpected) : undefined;
  return { ...r, hostile, hostileStored: stored ? scanIds.filter((id) => stored.has(id)).length : null };
}

export function formatSummary(s: RunSummary): string {
  const ms = (v: number | null) => (v === null ? '–' : `${v.toFixed(1)} ms`);
  const reasons = Object.entries(s.rejectReasons).map(([k, v]) => `${k}=${v}`).join(', ');
  return [
    `Ringkasan / summary — ${s.scenario} (seed ${s.seed}, ${s.devices} devices, ${s.durationSec}s)`,
    `  sent     ${s.submitted}  (${s.sentPerSec}/s)`,
    `  rejected ${s.rejected}${reasons ? `  (${reasons})` : ''}${s.retried ? `  (${s.retried} re-scans after a device said not accepted)` : ''}`,
    `  acked    ${s.acked}  by the server${s.extraAcks ? `  (+${s.extraAcks} extra acks)` : ''}`,
    `  stored   ${s.stored ?? `not verified${s.verifyError ? `: ${s.verifyError}` : ' (give --user/--password)'}`}`,
    `  lost     ${s.lost}${s.verified ? '' : ' (unacked after drain; kept in the device outboxes, sent on the next run)'}`,
    `  doubled  ${s.doubled ?? 'not verified'}`,
    `  submit→ack  p50 ${ms(s.latencyMs.p50)}  p95 ${ms(s.latencyMs.p95)}  p99 ${ms(s.latencyMs.p99)}  max ${ms(s.latencyMs.max)}`,
    ...(s.faults
      ? [
          `  faults   drop ${s.faults.drop}  restart ${s.faults.restart}  duplicate ${s.faults.duplicate.scans} scans (${s.faults.duplicate.injections}×)  hostile ${s.faults.hostile.sent} sent, ${s.faults.hostileStored ?? 'not verified'} stored${s.faults.errors.length ? `  errors: ${s.faults.errors.slice(0, 3).join('; ')}` : ''}`,
          ...s.faults.revoked.map((r) => `  revoked  ${r.deviceId} at ${r.at}: ${r.heldInOutbox} scans held in its outbox (not lost)`),
          ...s.faults.skew.map((k) => `  skew     ${k.deviceId} injected ${(k.injectedMs / 1000).toFixed(0)}s, measured ${k.measuredMs === null ? '–' : `${(k.measuredMs / 1000).toFixed(1)}s`}${k.serverTime ? ', stamps server time' : ', no server time yet'}`),
        ]
      : []),
    `  ledger   ${s.ledger}`,
    '',
  ].join('\n');
}
