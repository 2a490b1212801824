import { describe, expect, it } from 'vitest';
import { DeviceClock, type SavedClock } from './device-clock.ts';

const SERVER = Date.parse('2026-12-06T04:00:00.000Z');
const HOUR = 3_600_000;

/** A device: its wall clock `skew` ms off the server's, a monotonic clock from boot; both advanced by hand. */
function device(skew: number, bootId: string | null = 'boot-a', saved?: SavedClock | null) {
  let server = SERVER;
  let mono = 5000;
  const clock = new DeviceClock({ wall: () => server + skew, mono: () => mono, bootId, saved });
  return {
    clock,
    advance(ms: number) {
      server += ms;
      mono += ms;
    },
    /** The wall clock is stepped (NTP), the monotonic one is not. */
    stepWall(by: number) {
      skew += by;
    },
    get server() {
      return server;
    },
    get mono() {
      return mono;
    },
  };
}

describe('DeviceClock', () => {
  it.each([
    ['booted at 1970', Date.parse('1970-01-01T00:00:00.000Z') - SERVER],
    ['an RTC at 2099', Date.parse('2099-01-01T00:00:00.000Z') - SERVER],
    ['an hour fast (wrong time zone)', HOUR],
    ['an hour slow', -HOUR],
  ])('%s: untrusted wall time until it hears the server, then the server time', (_why, skew) => {
    const d = device(skew);
    expect(d.clock.now()).toEqual({ ms: SERVER + skew, trusted: false });
    expect(d.clock.skewMs()).toBeNull();
    expect(d.clock.observe({ serverMs: d.server, atMono: d.mono, uncertaintyMs: 500 })).toBe(true);
    d.advance(60_000);
    expect(d.clock.now()).toEqual({ ms: d.server, trusted: true });
    expect(d.clock.skewMs()).toBe(skew);
  });

  it('keeps the server time when NTP steps the wall clock later', () => {
    const d = device(-56 * 365 * 24 * HOUR);
    d.clock.observe({ serverMs: d.server, atMono: d.mono, uncertaintyMs: 200 });
    d.stepWall(56 * 365 * 24 * HOUR + 1234);
    d.advance(10_000);
    expect(d.clock.now().ms).toBe(d.server);
    expect(d.clock.skewMs()).toBe(1234);
  });

  it('a tighter sample replaces a looser one, not the other way round', () => {
    const d = device(0);
    d.clock.observe({ serverMs: d.server + 400, atMono: d.mono, uncertaintyMs: 500 });
    expect(d.clock.now().ms).toBe(d.server + 400);
    // An ack half a 40 ms round trip off: tighter, taken.
    expect(d.clock.observe({ serverMs: d.server + 10, atMono: d.mono, uncertaintyMs: 20 })).toBe(true);
    expect(d.clock.now().ms).toBe(d.server + 10);
    // A beacon now (±500 ms) is looser than the 20 ms anchor: ignored.
    expect(d.clock.observe({ serverMs: d.server - 300, atMono: d.mono, uncertaintyMs: 500 })).toBe(false);
    expect(d.clock.now().ms).toBe(d.server + 10);
  });

  it('an old anchor loses to a fresh looser sample once drift has grown it past that', () => {
    const d = device(0);
    d.clock.observe({ serverMs: d.server, atMono: d.mono, uncertaintyMs: 20 });
    d.advance(HOUR); // 100 ppm of an hour: +360 ms
    expect(d.clock.uncertaintyMs()).toBeCloseTo(380, 6);
    expect(d.clock.observe({ serverMs: d.server, atMono: d.mono, uncertaintyMs: 500 })).toBe(false);
    d.advance(2 * HOUR);
    expect(d.clock.observe({ serverMs: d.server, atMono: d.mono, uncertaintyMs: 500 })).toBe(true);
  });

  it.each([
    ['too uncertain', { uncertaintyMs: 10_001 }],
    ['a negative uncertainty', { uncertaintyMs: -1 }],
    ['from the future of the monotonic clock', { atMono: Infinity }],
    ['not a number', { serverMs: NaN }],
  ])('ignores a sample %s', (_why, bad) => {
    const d = device(HOUR);
    expect(d.clock.observe({ serverMs: d.server, atMono: d.mono, uncertaintyMs: 100, ...bad })).toBe(false);
    expect(d.clock.trusted).toBe(false);
  });

  it('a saved anchor holds after an agent restart in the same boot, not after a reboot', () => {
    const first = device(HOUR);
    first.clock.observe({ serverMs: first.server, atMono: first.mono, uncertaintyMs: 50 });
    const saved = first.clock.toSaved()!;
    expect(saved).toMatchObject({ v: 1, bootId: 'boot-a', uncertaintyMs: 50 });

    // Same boot: a fresh DeviceClock on the same monotonic clock, a minute later.
    let mono = first.mono + 60_000;
    const restarted = new DeviceClock({ wall: () => 0, mono: () => mono, bootId: 'boot-a', saved });
    expect(restarted.now()).toEqual({ ms: first.server + 60_000, trusted: true });
    mono += 1000;
    expect(restarted.now().ms).toBe(first.server + 61_000);

    // A reboot: another boot id (and the monotonic clock starts again near 0).
    const rebooted = new DeviceClock({ wall: () => 0, mono: () => 3000, bootId: 'boot-b', saved });
    expect(rebooted.now()).toEqual({ ms: 0, trusted: false });
    // No boot id known: nothing saved is trusted, nothing is saved.
    const unknown = new DeviceClock({ wall: () => 0, mono: () => mono, bootId: null, saved });
    expect(unknown.trusted).toBe(false);
    unknown.observe({ serverMs: SERVER, atMono: mono, uncertaintyMs: 5 });
    expect(unknown.toSaved()).toBeNull();
  });

  it('a saved anchor from a monotonic time not yet reached is void', () => {
    const saved: SavedClock = { v: 1, bootId: 'boot-a', serverMs: SERVER, atMono: 1e12, uncertaintyMs: 5 };
    expect(new DeviceClock({ wall: () => 0, mono: () => 1000, bootId: 'boot-a', saved }).trusted).toBe(false);
  });
});
