/**
 * `sim load`: open loop at --rate scans/s (arrivals do not wait for the system: a slow server shows
 * as growing pending), or --closed: a window of unacked scans, refilled as fast as the server acks.
 */
import { loadWorld } from '../world.ts';
import { TravellerGenerator } from '../travellers.ts';
import { AUTH, COMMON } from '../options.ts';
import { Run } from '../runner.ts';
import { FLEET, planFleet } from '../setup.ts';
import { HEALTH_SPECS, healthOptions } from './generate.ts';
import type { Scenario } from './scenario.ts';

export const load: Scenario = {
  name: 'load',
  summary: 'open-loop (--rate) or closed-loop (--closed) load through real edge agents',
  usage: 'npm run sim -- load [--rate R | --closed [--window W]] [--count N] [--duration S] [--bare | --credentials F]',
  description: [
    'Submits generated travellers through D real edge agents per checkpoint, round robin, and times',
    'submit → server ack. Ends at --count, --duration or Ctrl-C, waits for the last acks, and with',
    '--user/--password asks the server which scans it stored (lost / doubled).',
  ].join('\n'),
  specs: {
    rate: { type: 'string', help: 'open loop: scans per second over the whole fleet', default: '50' },
    closed: { type: 'boolean', help: 'closed loop: keep --window scans unacked, as fast as acked' },
    window: { type: 'string', help: 'closed loop: unacked scans in flight (default: 4 per device)' },
    count: { type: 'string', help: 'stop after this many scans', default: '1000' },
    duration: { type: 'string', help: 'stop after this many seconds' },
    ...FLEET,
    ...HEALTH_SPECS,
    ...COMMON,
    ...AUTH,
  },
  async run(c) {
    const rate = c.num('rate', { min: 0.001, max: 1_000_000 });
    const count = c.num('count', { min: 1, max: 100_000_000, integer: true })!;
    const duration = c.num('duration', { min: 0.1, max: 7 * 86_400 });
    const windowOpt = c.num('window', { min: 1, max: 1_000_000, integer: true });
    const closed = c.bool('closed');
    const health = healthOptions(c);
    const residentShare = c.num('resident-share', { min: 0, max: 1 });
    c.url('server');
    const build = planFleet(c);
    c.done();
    const { fleet, checkpointIds, drainTimeoutMs, faults } = build();
    const seed = c.str('seed')!;
    const gen = new TravellerGenerator(loadWorld(), { seed, residentShare, health });
    await fleet.start();
    const run = new Run(fleet, undefined, faults);
    run.start();
    let issued = 0;
    const inflight = new Set<Promise<unknown>>();
    const submitNext = () => {
      const checkpointId = checkpointIds[issued % checkpointIds.length]!;
      issued++;
      const p = fleet.submit(checkpointId, gen.next(checkpointId).input).catch((err: Error) => {
        process.stderr.write(`submit failed: ${err.message}\n`);
      });
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    };
    const deadline = duration ? performance.now() + duration * 1000 : Infinity;
    const more = () => !run.stopped && issued < count && performance.now() < deadline;

    const window = windowOpt ?? 4 * fleet.stats().devices;
    if (closed) {
      while (more()) {
        if (fleet.pendingAck + inflight.size < window) submitNext();
        else {
          // Wait for something that changes the sum: a submit returning or one more ack. (Waiting
          // on a condition already true would spin on microtasks and starve the event loop.)
          const pending = fleet.pendingAck;
          await Promise.race([...inflight, ...(pending > 0 ? [fleet.waitForPending(pending - 1, 1000)] : [])]);
        }
      }
    } else {
      const t0 = performance.now();
      // Bounded so a stalled system cannot make the simulator itself run out of memory.
      const maxInflight = 10_000;
      let behind = 0;
      while (more()) {
        const due = Math.min(count, Math.floor(((performance.now() - t0) / 1000) * rate!));
        while (issued < due && more()) {
          if (inflight.size >= maxInflight) {
            behind++;
            await Promise.race(inflight);
          }
          submitNext();
        }
        await run.sleep(Math.max(1, Math.min(50, ((issued + 1) / rate! - (performance.now() - t0) / 1000) * 1000)));
      }
      if (behind > 0) process.stderr.write(`the fleet fell behind the open-loop rate ${behind} times (agents slower than --rate)\n`);
    }
    await Promise.allSettled([...inflight]);
    const summary = await run.finish({
      scenario: closed ? 'load-closed' : 'load-open',
      seed,
      drainTimeoutMs,
      json: c.bool('json'),
      server: { url: c.str('server')!, user: c.str('user'), password: c.str('password') },
      extra: closed ? { window } : { targetRate: rate },
    });
    return summary.lost > 0 || (summary.doubled ?? 0) > 0 || (summary.faults?.hostileStored ?? 0) > 0 ? 2 : 0;
  },
};
