/**
 * Issue 17: a fever or positive traveller can never be left without a follow-up, nor an alert without
 * its follow-up — even when the server is killed -9 at a random moment between a batch's commit and its
 * triage, or inside the triage transaction. A child process stores and triages batches; it is killed
 * three times at random moments; a restart's sweep then covers what the crashes left, and the database
 * holds, for every scan, both the follow-up and the alert or neither. Both engines.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { Alerts } from '../server/src/alerts/alerts.ts';
import { openDatabase } from '../server/src/db/database.ts';
import { ROOT } from './browser.ts';
import { ENGINES, freshDb, stopPrivatePostgres } from './db-fixtures.ts';
import { until } from './server-fixtures.ts';

afterAll(stopPrivatePostgres);

/** Runs the child until it has triaged at least `batches` batches, then kills it -9 a random 0–40 ms later. */
async function runAndKill(file: string, url: string | undefined, seqBase: number, batches: number): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tests', 'alerts-crash-child.ts'), file, url ?? ''], {
    cwd: ROOT, env: { ...process.env, SEQ_BASE: String(seqBase) }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let done = -1;
  let err = '';
  child.stdout!.on('data', (b: Buffer) => {
    const m = /batch (\d+)\s*$/.exec(b.toString().trim());
    if (m) done = Number(m[1]);
  });
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise((r) => child.once('exit', r));
  try {
    await until(`child triaged ${batches} batches (${err.slice(-300)})`, () => done >= batches, 60_000);
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 40)));
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

describe.each(ENGINES)('triage survives kill -9 on %s', (engine) => {
  it('after three kills at random moments and a restart, every fever/positive scan has its follow-up and alert, both or neither', async () => {
    const fresh = await freshDb(engine);
    const file = join(fresh.dataDir, 'server', 'records.sqlite');
    const url = fresh.databaseUrl;
    await fresh.close();
    for (let round = 0; round < 3; round++) await runAndKill(file, url, round * 1_000_000, 3 + round * 2);

    const rdb = await openDatabase({ sqliteFile: file, databaseUrl: url });
    try {
      const q = async (text: string) => Number((await sql<{ n: number }>`${sql.raw(text)}`.execute(rdb.db)).rows[0]!.n);
      const scans = await q('select count(*) as n from scans');
      expect(scans).toBeGreaterThan(0);
      // The restart: the feature's start covers what the kills left between commit and triage.
      const alerts = new Alerts({ rdb, feverC: 37.5, watchOrigins: [], offlineAfterMs: 90_000, personSecret: Buffer.alloc(32, 3) });
      await alerts.start({ silentCheckMs: 3_600_000, sweepMs: 3_600_000 });
      await alerts.stop();
      const hot = "s.health in ('demam', 'positif')";
      expect(await q(`select count(*) as n from scans s where ${hot}`)).toBe(scans * 2 / 5);
      // Every fever/positive scan is covered by a follow-up that exists…
      expect(await q(`select count(*) as n from scans s where ${hot} and not exists (select 1 from follow_up_scans c join follow_ups f on f.id = c.follow_up_id where c.scan_id = s.scan_id)`)).toBe(0);
      // …no claim was left without its follow-up (the claim, follow-up and alert commit together)…
      expect(await q('select count(*) as n from follow_up_scans where follow_up_id = 0')).toBe(0);
      // …each such follow-up has its alert, and each traveller alert its follow-up.
      expect(await q("select count(*) as n from follow_ups f where f.reason in ('fever', 'positive') and not exists (select 1 from alerts a where a.id = f.alert_id)")).toBe(0);
      expect(await q("select count(*) as n from alerts a where a.rule in ('fever', 'rapid_positive') and not exists (select 1 from follow_ups f where f.alert_id = a.id)")).toBe(0);
      // One follow-up per fever/positive traveller (distinct people), none doubled by the restart.
      expect(await q("select count(*) as n from follow_ups where reason in ('fever', 'positive')")).toBe(scans * 2 / 5);
      expect(await q("select count(*) as n from alerts where rule in ('fever', 'rapid_positive')")).toBe(scans * 2 / 5);
    } finally {
      await rdb.close();
    }
  }, 240_000);
});
