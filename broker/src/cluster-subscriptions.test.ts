import { describe, expect, it } from 'vitest';
import { queueSubscriptionCalls, type SubscriptionCalls } from './cluster-subscriptions.ts';

/**
 * A stand-in with aedes-persistence-redis 11's flaw (BroadcastPersistence): a call resolves when its
 * broadcast comes back, looked up by (client, first topic); a second waiter under the same key
 * replaces the first. The broadcast "comes back" when the test says so (no clock involved).
 */
class KeyedWaiters implements SubscriptionCalls {
  readonly waiting = new Map<string, () => void>();
  readonly broadcasts: string[] = [];
  readonly log: string[] = [];
  addSubscriptions(client: { id: string }, subs: { topic: string; qos?: number }[]): Promise<unknown> {
    return this.#call(`${client.id}-sub_${subs[0]!.topic}`, `+${subs.map((s) => s.topic).join(',')}`);
  }
  removeSubscriptions(client: { id: string }, topics: string[]): Promise<unknown> {
    return this.#call(`${client.id}-unsub_${topics[0]}`, `-${topics.join(',')}`);
  }
  #call(key: string, what: string): Promise<unknown> {
    this.log.push(what);
    return new Promise((resolve) => {
      this.waiting.set(key, () => resolve(undefined));
      this.broadcasts.push(key);
    });
  }
  /** Delivers every broadcast sent so far, as the mq would. */
  deliver(): void {
    for (const key of this.broadcasts.splice(0)) {
      const w = this.waiting.get(key);
      this.waiting.delete(key);
      w?.();
    }
  }
}

const settled = async (p: Promise<unknown>) => {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  for (let i = 0; i < 20; i++) await Promise.resolve();
  return done;
};

/** Drives deliveries until `p` settles (bounded). */
async function drive(fake: KeyedWaiters, p: Promise<unknown>): Promise<void> {
  for (let i = 0; i < 50 && !(await settled(p)); i++) fake.deliver();
  await p;
}

describe('subscription calls of one client, queued', () => {
  const client = { id: 'sk-server-1-features' };
  const subs = [{ topic: 'sk/v1/aid/+', qos: 1 }, { topic: 'sk/v1/puskesmas/+', qos: 1 }];

  it('without the queue, aedes\'s per-filter calls of one multi-filter SUBSCRIBE leave one hanging (the bug)', async () => {
    const fake = new KeyedWaiters();
    const calls = subs.map(() => fake.addSubscriptions(client, subs));
    fake.deliver();
    expect(await Promise.all(calls.map(settled))).toEqual([false, true]);
  });

  it('with the queue, every per-filter call resolves, and the identical copies become one write', async () => {
    const fake = new KeyedWaiters();
    queueSubscriptionCalls(fake, 60_000);
    const calls = Promise.all(subs.map(() => fake.addSubscriptions(client, subs)));
    await drive(fake, calls);
    expect(fake.log).toEqual(['+sk/v1/aid/+,sk/v1/puskesmas/+']);
  });

  it('keeps the order of SUBSCRIBE, UNSUBSCRIBE, SUBSCRIBE of one filter (no coalescing across a change)', async () => {
    const fake = new KeyedWaiters();
    queueSubscriptionCalls(fake, 60_000);
    const one = [{ topic: 'a/+', qos: 1 }];
    const all = Promise.all([fake.addSubscriptions(client, one), fake.removeSubscriptions(client, ['a/+']), fake.addSubscriptions(client, one)]);
    await drive(fake, all);
    expect(fake.log).toEqual(['+a/+', '-a/+', '+a/+']);
  });

  it('different clients do not wait for each other', async () => {
    const fake = new KeyedWaiters();
    queueSubscriptionCalls(fake, 60_000);
    const first = fake.addSubscriptions({ id: 'x' }, [{ topic: 't', qos: 1 }]);
    const other = fake.addSubscriptions({ id: 'y' }, [{ topic: 't', qos: 1 }]);
    expect(fake.log).toEqual([]); // both queued behind a resolved promise: started on the next ticks
    await settled(Promise.resolve());
    expect(fake.log).toEqual(['+t', '+t']);
    await drive(fake, Promise.all([first, other]));
  });

  it('a broadcast that never comes back fails the call (aedes refuses the SUBSCRIBE) instead of hanging', async () => {
    const fake = new KeyedWaiters();
    queueSubscriptionCalls(fake, 1); // 1 ms: the broadcast below is never delivered
    await expect(fake.addSubscriptions(client, subs)).rejects.toThrow(/not confirmed/);
    // The queue is not stuck behind the failure.
    const next = fake.addSubscriptions(client, [{ topic: 'b', qos: 1 }]);
    await drive(fake, next);
  });
});
