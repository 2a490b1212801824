/** `sim verify --from --to`: every scan the fleet sent in the window vs. what the server stored. */
import { join } from 'node:path';
import { AUTH, COMMON } from '../options.ts';
import { readLedger } from '../ledger.ts';
import { verifyStored } from '../verify.ts';
import type { Scenario } from './scenario.ts';

export const verify: Scenario = {
  name: 'verify',
  summary: 'compare the sent-scan ledger with the server’s stored scan ids (missing / doubled)',
  usage: 'npm run sim -- verify --user U --password P [--from ISO] [--to ISO] [--ledger FILE]',
  description: 'Logs in (command role), reads GET /api/stored-scan-ids and lists every missing or doubled scan.\nExit 0: all stored exactly once; 2: some missing or doubled; 1: could not check.',
  specs: {
    from: { type: 'string', help: 'window start, ISO (default: first ledger entry)' },
    to: { type: 'string', help: 'window end, ISO (default: now)' },
    ledger: { type: 'string', help: 'ledger file (default <data-dir>/ledger.jsonl)' },
    settle: { type: 'string', help: 'seconds: unstored scans sent this recently count as in flight, not missing', default: '30' },
    server: COMMON.server!,
    'data-dir': COMMON['data-dir']!,
    user: AUTH.user!,
    password: AUTH.password!,
    json: COMMON.json!,
    help: COMMON.help!,
  },
  async run(c) {
    const server = c.url('server')!;
    let from = c.iso('from');
    const to = c.iso('to') ?? new Date().toISOString();
    const settle = c.num('settle', { min: 0, max: 86_400 });
    const user = c.str('user');
    const password = c.str('password');
    if (!user || !password) c.fail('--user and --password (a command-role console user) are required');
    c.done();
    const ledgerFile = c.str('ledger') ?? join(c.str('data-dir')!, 'ledger.jsonl');
    if (!from) {
      const first = readLedger(ledgerFile)[0];
      if (!first) {
        process.stderr.write(`ledger ${ledgerFile} is empty: nothing to verify\n`);
        return 1;
      }
      from = first.at;
    }
    const r = await verifyStored({ server, user: user!, password: password!, ledgerFile, from, to, settleMs: (settle ?? 30) * 1000 });
    if (c.bool('json')) {
      process.stdout.write(`${JSON.stringify({ ...r, missingCount: r.missing.length, inFlightCount: r.inFlight.length, doubledCount: r.doubled.length, unexpectedCount: r.unexpected.length })}\n`);
    } else {
      const lines = [
        `Verifikasi ${r.from} … ${r.to}`,
        `  sent ${r.sent}  stored ${r.stored}  missing ${r.missing.length}  in flight ${r.inFlight.length}  doubled ${r.doubled.length}  (stored by others in window: ${r.unexpected.length})`,
        ...r.missing.map((id) => `  MISSING ${id}`),
        ...r.doubled.map((d) => `  DOUBLED ${d.scanId} ×${d.times}`),
        r.missing.length + r.doubled.length === 0 ? '  OK: every sent scan stored exactly once' : '',
      ];
      process.stdout.write(`${lines.filter(Boolean).join('\n')}\n`);
    }
    return r.missing.length + r.doubled.length === 0 ? 0 : 2;
  },
};
