import { describe, expect, it } from 'vitest';
import { orderEnqueues } from './ordered-enqueue.ts';

/** A persistence whose writes finish when the test says so (as LevelDB's do, in any order). */
function fakePersistence() {
  const pending = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  const wait = (key: string) => new Promise<void>((resolve, reject) => pending.set(key, { resolve, reject }));
  return {
    pending,
    storeRetained: (p: { brokerCounter?: number; qos?: number }) => wait(`retained:${p.brokerCounter}`),
    outgoingEnqueueCombi: (_subs: unknown, p: { brokerCounter?: number; qos?: number }) => wait(`enqueue:${p.brokerCounter}`),
  };
}
const flush = () => new Promise((r) => setImmediate(r));

describe('orderEnqueues', () => {
  it('releases finished enqueues only in counter order, whatever order the writes finish in', async () => {
    const p = orderEnqueues(fakePersistence());
    const order: number[] = [];
    for (const c of [1, 2, 3]) void p.outgoingEnqueueCombi([], { brokerCounter: c, qos: 1 }).then(() => order.push(c));
    p.pending.get('enqueue:3')!.resolve();
    p.pending.get('enqueue:2')!.resolve();
    await flush();
    expect(order).toEqual([]);
    p.pending.get('enqueue:1')!.resolve();
    await flush();
    expect(order).toEqual([1, 2, 3]);
  });

  it('holds later packets behind a retained packet still being written, and frees them if that write fails', async () => {
    const p = orderEnqueues(fakePersistence());
    const order: number[] = [];
    const retained = p.storeRetained({ brokerCounter: 1, qos: 1 }).catch(() => order.push(-1));
    void p.outgoingEnqueueCombi([], { brokerCounter: 2, qos: 1 }).then(() => order.push(2));
    p.pending.get('enqueue:2')!.resolve();
    await flush();
    expect(order).toEqual([]);
    p.pending.get('retained:1')!.reject(new Error('disk full'));
    await retained;
    await flush();
    expect([...order].sort()).toEqual([-1, 2]);
  });

  it('passes an enqueue failure through in its turn', async () => {
    const p = orderEnqueues(fakePersistence());
    const r = p.outgoingEnqueueCombi([], { brokerCounter: 7, qos: 1 });
    p.pending.get('enqueue:7')!.reject(new Error('io'));
    await expect(r).rejects.toThrow('io');
  });
});
