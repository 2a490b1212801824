/**
 * `npm run bench -- alerts` (issue 17): a realistic peak day replayed at accelerated time through the
 * database of record and the alerts feature — the scan writer's row codec and batched insert, then the
 * alerts' `onScans` per committed batch (triage, follow-ups and alerts in one transaction), the
 * periodic sweep, device statuses, and village officers working their follow-up lists — with an
 * injected clock. 50,000 arrivals by default at the four checkpoints, with the simulators' daily
 * rhythm, ferry and flight bursts, health mix (simulators/src/travellers.ts) and device faults
 * (offline spells, a growing backlog).
 *
 * What it reports:
 * - alertsPerHourNeedingCommandAnswer: alerts raised per hour that the command centre must answer
 *   itself (answer_by = command), the worst hour of the day (goal ≤ 20); beside it, what the rules of
 *   sessions 1–4 would have raised (every fever, symptom, positive and watched origin: one each);
 * - followUpsPerVillagePerDay: follow-ups opened per village that had any (mean and max);
 * - feverOrPositiveWithoutFollowUp: fever or positive scans no follow-up covers, by SQL (must be 0);
 * - p99ScanToFollowUpMs: wall time from a batch's insert starting to its follow-ups committed, per
 *   follow-up (goal < 1 s). Wall time on this machine: SQLite with synchronous=FULL (an fsync per commit).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { ulid } from 'ulid';
import { CHECKPOINT_IDS, type DeviceStatus, type Scan } from '@sk/protocol';
import { loadRegions } from '@sk/protocol/regions';
import { arrivals, loadWorld, Rng, TravellerGenerator } from '@sk/simulators';
import { Alerts } from '../server/src/alerts/alerts.ts';
import { scanAlerts } from '../server/src/alerts/rules.ts';
import { etaFor } from '../server/src/arrivals/eta.ts';
import { openDatabase } from '../server/src/db/database.ts';
import { insertScans, scanToRow } from '../server/src/db/scan-rows.ts';
import type { BenchResult } from './run.ts';
import { opt, percentile, round } from './stats.ts';

export const help = `npm run bench -- alerts [--arrivals 50000] [--batch-sec 2] [--database-url postgres://…]

A peak day through the alerts feature on the database of record at accelerated time (injected clock).
--arrivals      arrivals in the day (default 50000)
--batch-sec     simulated seconds per scan batch (default 2: the scan writer commits a batch per tick)
--database-url  run on PostgreSQL (an empty database) instead of a fresh SQLite file; written to alerts-postgres.json`;

const DAY_MS = 86_400_000;
const FEVER_C = 37.5;

export async function run(args: string[]): Promise<BenchResult> {
  const target = opt(args, 'arrivals', 50_000);
  const batchMs = opt(args, 'batch-sec', 2) * 1000;
  const databaseUrl = opt(args, 'database-url', '');
  const dir = mkdtempSync(join(tmpdir(), 'sk-bench-alerts-'));
  const rdb = await openDatabase({ databaseUrl: databaseUrl || undefined, sqliteFile: join(dir, 'records.sqlite') });
  // A WIB day: midnight to midnight.
  const dayStart = Date.parse('2026-12-07T17:00:00.000Z');
  try {
    // --- the day's arrivals: the simulators' rhythm per checkpoint, scaled to `target` ---
    const times = (base: number) =>
      CHECKPOINT_IDS.flatMap((cp) => {
        const out: { atMs: number; cp: string }[] = [];
        const gen = arrivals({ checkpointId: cp, baseRatePerHour: base, startMs: dayStart, seed: `alerts-${cp}` });
        for (let i = 0; i < 2_000_000; i++) {
          const a = gen.next().value;
          if (a.atMs >= dayStart + DAY_MS) break;
          out.push({ atMs: Math.floor(a.atMs), cp });
        }
        return out;
      });
    // Walk-ins scale with the base rate, ferries and flights do not: generate more than needed, then keep
    // a seeded uniform share (the day's shape stays), exactly `target`.
    let all = times(200);
    for (let base = 400; all.length < target && base <= 1_000_000; base *= 2) all = times(base);
    const thin = new Rng('alerts-thin');
    const plan = all
      .map((a) => ({ a, k: thin.next() }))
      .sort((x, y) => x.k - y.k)
      .slice(0, target)
      .map((x) => x.a)
      .sort((a, b) => a.atMs - b.atMs);
    const world = loadWorld();
    const gen = new TravellerGenerator(world, { seed: 'alerts-day', today: '2026-12-08' });
    const seqs = new Map<string, number>();
    const scans: Scan[] = plan.map(({ atMs, cp }) => {
      const dev = `${cp}-0${1 + (atMs % 2)}`;
      const seq = (seqs.get(dev) ?? 0) + 1;
      seqs.set(dev, seq);
      const t = gen.next(cp);
      return { v: 1, scanId: ulid(atMs), checkpointId: cp, deviceId: dev, seq, scannedAt: new Date(atMs).toISOString(), ...t.input } as Scan;
    });

    // --- the feature, on an injected clock ---
    let now = dayStart;
    const clock = () => new Date(now);
    const alerts = new Alerts({ rdb, feverC: FEVER_C, watchOrigins: [], offlineAfterMs: 90_000, now: clock, personSecret: Buffer.alloc(32, 1), regions: loadRegions() });
    await alerts.start({ silentCheckMs: 3_600_000, sweepMs: 3_600_000 }); // the bench calls the checks on simulated time

    // Device faults: an offline spell per device (one a day, 10–40 min), and a backlog growing on one.
    const devices = CHECKPOINT_IDS.flatMap((cp) => [`${cp}-01`, `${cp}-02`].map((d) => ({ cp, d })));
    const faults = devices.map(({ cp, d }, i) => ({ cp, d, offAt: dayStart + (2 + i * 2.5) * 3_600_000, backAt: dayStart + (2 + i * 2.5) * 3_600_000 + (10 + i * 4) * 60_000 }));
    const status = (cp: string, d: string, state: 'online' | 'offline', depth?: number): DeviceStatus => ({
      v: 1, checkpointId: cp, deviceId: d, state, at: new Date(now).toISOString(), version: '1',
      ...(depth !== undefined ? { outbox: { depth, oldestAgeSec: 60, diskBytes: depth * 1000, diskLimitBytes: 50_000_000 } } : {}),
    });

    // Village officers: each follow-up contacted after a delay; 1 in 12 forgotten past the deadline.
    let rnd = 42;
    const rand = () => ((rnd = (rnd * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const contactAt = new Map<number, number>();
    const command = { username: 'pusat', displayName: 'Pusat', role: 'command' as const };

    const latencies: number[] = [];
    let next = 0;
    let lastSweep = now;
    let lastOfficers = now;
    const started = performance.now();
    for (let t = dayStart + batchMs; t <= dayStart + DAY_MS + batchMs; t += batchMs) {
      now = t;
      const batch: Scan[] = [];
      while (next < scans.length && Date.parse(scans[next]!.scannedAt) < t) batch.push(scans[next++]!);
      if (batch.length) {
        const t0 = performance.now();
        const receivedAt = new Date(now).toISOString();
        await insertScans(rdb, batch.map((scan) => scanToRow({ scan, receivedAt, eta: etaFor(scan, now) }, FEVER_C)));
        await alerts.onScans(batch);
        const ms = performance.now() - t0;
        for (const s of batch) if (s.health.temperatureC >= FEVER_C || s.health.rapidTest === 'positif' || s.health.symptoms.length > 0) latencies.push(ms);
      }
      for (const f of faults) {
        if (now - batchMs < f.offAt && now >= f.offAt) alerts.onStatus(status(f.cp, f.d, 'offline'));
        if (now - batchMs < f.backAt && now >= f.backAt) alerts.onStatus(status(f.cp, f.d, 'online'));
      }
      // kalibaru-02's outbox grows for half an hour at 15:00 WIB (a weak uplink), reporting every minute.
      const bl = now - (dayStart + 15 * 3_600_000);
      if (bl >= 0 && bl < 45 * 60_000 && bl % 60_000 < batchMs) alerts.onStatus(status('kalibaru', 'kalibaru-02', 'online', bl < 30 * 60_000 ? 50 + Math.floor(bl / 60_000) * 20 : 10));
      if (now - lastOfficers >= 5 * 60_000) {
        lastOfficers = now;
        for (const f of await alerts.followUps(command, { state: 'baru', limit: 1000 })) {
          if (!contactAt.has(f.id)) contactAt.set(f.id, Date.parse(f.createdAt) + (rand() < 1 / 12 ? 3 * 3_600_000 : (5 + rand() * 85) * 60_000));
          if (contactAt.get(f.id)! <= now) await alerts.moveFollowUp({ username: 'desa', displayName: 'Desa', role: 'village', villageCode: f.villageCode }, f.id, 'dihubungi');
        }
      }
      if (now - lastSweep >= 60_000) {
        lastSweep = now;
        await alerts.sweep();
      }
    }
    const wallS = (performance.now() - started) / 1000;
    await alerts.stop();

    // --- figures, from the database ---
    const hourOf = (iso: string) => Math.floor((Date.parse(iso) - dayStart) / 3_600_000);
    const cmdRows = await rdb.db.selectFrom('alerts').select(['raised_at', 'rule']).where('answer_by', '=', 'command').execute();
    const perHour = Array.from({ length: 24 }, () => 0);
    for (const r of cmdRows) {
      const h = hourOf(r.raised_at);
      if (h >= 0 && h < 24) perHour[h]!++;
    }
    const byRule: Record<string, number> = {};
    for (const r of cmdRows) byRule[r.rule] = (byRule[r.rule] ?? 0) + 1;
    const allAlerts = Number((await rdb.db.selectFrom('alerts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    // What sessions 1–4 raised: one alert per rule per traveller (fever, symptoms, positive, watched origin).
    const oldPerHour = Array.from({ length: 24 }, () => 0);
    for (const s of scans) {
      const n = scanAlerts(s, { feverC: FEVER_C, watchOrigins: [] }).length;
      const h = hourOf(s.scannedAt);
      if (h >= 0 && h < 24) oldPerHour[h]! += n;
    }
    const fu = await rdb.db.selectFrom('follow_ups').select(['village_code', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('village_code').execute();
    const perVillage = fu.map((r) => Number(r.n));
    const without = await sql<{ n: number }>`select count(*) as n from scans s where s.health in ('demam', 'positif')
      and not exists (select 1 from follow_up_scans c join follow_ups f on f.id = c.follow_up_id where c.scan_id = s.scan_id)`.execute(rdb.db);
    const feverOrPositive = scans.filter((s) => s.health.temperatureC >= FEVER_C || s.health.rapidTest === 'positif').length;

    return {
      // On PostgreSQL the figures are kept beside the SQLite ones (bench/results/alerts-postgres.json).
      bench: rdb.engine === 'postgres' ? 'alerts-postgres' : 'alerts',
      metrics: {
        arrivals: scans.length,
        alertsPerHourNeedingCommandAnswer: Math.max(...perHour),
        alertsPerHourNeedingCommandAnswerMean: round(cmdRows.length / 24, 2),
        oldRulesAlertsPerHourPeak: Math.max(...oldPerHour),
        oldRulesAlertsPerDay: oldPerHour.reduce((a, b) => a + b, 0),
        alertsPerDayAll: allAlerts,
        followUpsPerVillagePerDay: round(perVillage.reduce((a, b) => a + b, 0) / Math.max(perVillage.length, 1), 2),
        followUpsPerVillagePerDayMax: Math.max(0, ...perVillage),
        villagesWithFollowUps: perVillage.length,
        feverOrPositiveTravellers: feverOrPositive,
        feverOrPositiveWithoutFollowUp: Number(without.rows[0]!.n),
        p99ScanToFollowUpMs: round(percentile(latencies, 99), 1),
        p50ScanToFollowUpMs: round(percentile(latencies, 50), 1),
        engine: rdb.engine,
        wallSeconds: round(wallS, 1),
      },
      goal: { alertsPerHourNeedingCommandAnswer: '≤ 20', feverOrPositiveWithoutFollowUp: '0', p99ScanToFollowUpMs: '< 1000' },
      notes: [
        `command-answer alerts by rule over the day: ${JSON.stringify(byRule)}`,
        `per hour (WIB 00–23): ${perHour.join(' ')}`,
        'village officers contact each follow-up 5–90 min after it opens; 1 in 12 is forgotten for 3 h (so overdue follow-ups reach the command centre, one alert per district: the puskesmas area)',
        'device faults: one offline spell per device (10–38 min), one backlog growing for 30 min; arrival surges as the simulators\' ferry and flight bursts make them',
        'WATCH_ORIGINS empty (the default); the old-rules figure counts fever, symptoms and positive only',
        'the clock is injected (accelerated day); latencies are wall time on this machine, insert + triage commit per batch',
      ],
    };
  } finally {
    await rdb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
