/** `sim puskesmas --wave-2021`: sends daily puskesmas reports to the server (HTTP, command user). */
import { COMMON, AUTH } from '../options.ts';
import { login } from '../server-client.ts';
import type { Scenario } from './scenario.ts';
import { waveReports } from './puskesmas-wave.ts';

export const puskesmas: Scenario = {
  name: 'puskesmas',
  summary: 'daily puskesmas reports; --wave-2021 replays the 2021 wave (12 weeks)',
  usage: 'npm run sim -- puskesmas --wave-2021 [--server URL] --user U --password P',
  description: 'Posts daily reports to /api/puskesmas/reports in batches. Deterministic: the weekly totals match the seed article.',
  specs: {
    'wave-2021': { type: 'boolean', help: 'replay June–August 2021 (the only data set so far)' },
    server: COMMON.server!,
    user: AUTH.user!,
    password: AUTH.password!,
    json: COMMON.json!,
    help: COMMON.help!,
  },
  async run(c) {
    if (!c.bool('wave-2021')) c.fail('--wave-2021: required (the only data set so far)');
    const server = c.str('server')!;
    const user = c.str('user');
    const password = c.str('password');
    if (!user || !password) c.fail('--user and --password: a command-role console user');
    c.done();
    const cookie = await login(server, user!, password!);
    const reports = waveReports();
    for (let i = 0; i < reports.length; i += 1000) {
      const res = await fetch(`${server}/api/puskesmas/reports`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify(reports.slice(i, i + 1000)) });
      if (res.status !== 201) throw new Error(`server refused reports: HTTP ${res.status} ${await res.text()}`);
    }
    const summary = { sent: reports.length, from: reports[0]!.date, to: reports.at(-1)!.date };
    process.stdout.write(c.bool('json') ? `${JSON.stringify(summary)}\n` : `sent ${summary.sent} daily reports ${summary.from} … ${summary.to}\n`);
    return 0;
  },
};
