/**
 * `sim checkpoints`: the four checkpoints with realistic traffic (daily rhythm, Ketapang ferries,
 * Blimbingsari flights, mudik surge), time-compressed by --speed, until Ctrl-C / --duration / --count.
 */
import { hourOfDayWib, arrivals, type Arrival } from '../traffic.ts';
import { loadWorld } from '../world.ts';
import { TravellerGenerator } from '../travellers.ts';
import { AUTH, COMMON } from '../options.ts';
import { Run } from '../runner.ts';
import { FLEET, planFleet } from '../setup.ts';
import { HEALTH_SPECS, healthOptions } from './generate.ts';
import type { Scenario } from './scenario.ts';

export const checkpoints: Scenario = {
  name: 'checkpoints',
  summary: 'the 4 checkpoints with a realistic day of traffic (ferries, flights, rhythm, mudik)',
  usage: 'npm run sim -- checkpoints [--base-rate R] [--speed X] [--surge F] [--duration S] [--count N]',
  description: 'Simulated time starts at --start (default now) and runs --speed times faster than real time.',
  specs: {
    'base-rate': { type: 'string', help: 'walk-in travellers per hour per checkpoint at an average hour', default: '60' },
    speed: { type: 'string', help: 'simulated seconds per real second', default: '60' },
    surge: { type: 'string', help: 'Eid/mudik surge factor (1 = ordinary day)', default: '1' },
    start: { type: 'string', help: 'simulated start instant, ISO (default now)' },
    duration: { type: 'string', help: 'stop after this many real seconds' },
    count: { type: 'string', help: 'stop after this many scans' },
    ...FLEET,
    ...HEALTH_SPECS,
    ...COMMON,
    ...AUTH,
  },
  async run(c) {
    const baseRate = c.num('base-rate', { min: 0, max: 1_000_000 })!;
    const speed = c.num('speed', { min: 0.001, max: 1_000_000 })!;
    const surge = c.num('surge', { min: 0, max: 100 })!;
    const startIso = c.iso('start');
    const duration = c.num('duration', { min: 0.1, max: 30 * 86_400 });
    const count = c.num('count', { min: 1, max: 100_000_000, integer: true }) ?? Infinity;
    const health = healthOptions(c);
    const residentShare = c.num('resident-share', { min: 0, max: 1 });
    c.url('server');
    const build = planFleet(c);
    c.done();
    const { fleet, checkpointIds, drainTimeoutMs, faults } = build();
    const seed = c.str('seed')!;
    const simStart = startIso ? Date.parse(startIso) : Date.now();
    const gen = new TravellerGenerator(loadWorld(), { seed, residentShare, health });
    const streams = checkpointIds.map((checkpointId) => ({
      checkpointId,
      it: arrivals({ checkpointId, baseRatePerHour: baseRate, startMs: simStart, seed: `${seed}/${checkpointId}`, surge }),
    }));
    const heads: Arrival[] = streams.map((s) => s.it.next().value);
    const byKind: Record<string, number> = { walk: 0, ferry: 0, flight: 0 };
    let simNow = simStart;
    await fleet.start();
    const run = new Run(fleet, () => `  sim ${String(hourOfDayWib(simNow)).padStart(2, '0')}:xx WIB`, faults);
    run.start();
    const t0 = performance.now();
    const deadline = duration ? t0 + duration * 1000 : Infinity;
    const inflight = new Set<Promise<unknown>>();
    let issued = 0;
    while (!run.stopped && issued < count && performance.now() < deadline) {
      let i = 0;
      for (let k = 1; k < heads.length; k++) if (heads[k]!.atMs < heads[i]!.atMs) i = k;
      const next = heads[i]!;
      const dueReal = t0 + (next.atMs - simStart) / speed;
      const wait = dueReal - performance.now();
      if (wait > 0) {
        await run.sleep(Math.min(wait, deadline - performance.now(), 1000));
        continue;
      }
      simNow = next.atMs;
      heads[i] = streams[i]!.it.next().value;
      byKind[next.kind] = (byKind[next.kind] ?? 0) + 1;
      issued++;
      const checkpointId = streams[i]!.checkpointId;
      const p = fleet.submit(checkpointId, gen.next(checkpointId).input).catch((err: Error) => process.stderr.write(`submit failed: ${err.message}\n`));
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
      if (inflight.size >= 10_000) await Promise.race(inflight);
    }
    await Promise.allSettled([...inflight]);
    const summary = await run.finish({
      scenario: 'checkpoints',
      seed,
      drainTimeoutMs,
      json: c.bool('json'),
      server: { url: c.str('server')!, user: c.str('user'), password: c.str('password') },
      extra: { arrivals: byKind, simulatedFrom: new Date(simStart).toISOString(), simulatedTo: new Date(simNow).toISOString(), speed, surge },
    });
    return summary.lost > 0 || (summary.doubled ?? 0) > 0 || (summary.faults?.hostileStored ?? 0) > 0 ? 2 : 0;
  },
};
