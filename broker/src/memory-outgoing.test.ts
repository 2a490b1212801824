import memoryPersistence from 'aedes-persistence';
import { describe, expect, it } from 'vitest';
import { MemoryOutgoing, type OutPacket } from './memory-outgoing.ts';

interface Reference {
  outgoingEnqueue(sub: { clientId: string }, p: OutPacket): Promise<void>;
  outgoingUpdate(c: { id: string }, p: OutPacket): Promise<void>;
  outgoingClearMessageId(c: { id: string }, p: OutPacket): Promise<OutPacket | undefined>;
  outgoingStream(c: { id: string }): AsyncIterable<OutPacket>;
}
const reference = () => (memoryPersistence as unknown as () => Reference)();

async function list(it: AsyncIterable<OutPacket>): Promise<string[]> {
  const out: string[] = [];
  for await (const p of it) out.push(`${p.cmd}:${p.brokerCounter ?? '-'}:${p.messageId ?? '-'}`);
  return out;
}

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('MemoryOutgoing', () => {
  it('keeps enqueue order, assigns ids, clears by id and returns the packet', async () => {
    const m = new MemoryOutgoing();
    for (let i = 1; i <= 3; i++) m.enqueue('c', { cmd: 'publish', brokerId: 'b', brokerCounter: i, qos: 1, topic: 't' } as OutPacket);
    m.update('c', { brokerId: 'b', brokerCounter: 2, messageId: 7 });
    expect(m.size('c')).toBe(3);
    expect(await list(m.stream('c'))).toEqual(['publish:1:-', 'publish:2:7', 'publish:3:-']);
    expect(m.clear('c', 7)?.brokerCounter).toBe(2);
    expect(m.clear('c', 7)).toBeUndefined();
    expect(m.clear('other', 7)).toBeUndefined();
    expect(() => m.update('c', { brokerId: 'b', brokerCounter: 99, messageId: 1 })).toThrow('no such packet');
  });

  it('a PUBREL replaces the publish holding its id, in place, until PUBCOMP clears it', async () => {
    const m = new MemoryOutgoing();
    m.enqueue('c', { cmd: 'publish', brokerId: 'b', brokerCounter: 1 });
    m.enqueue('c', { cmd: 'publish', brokerId: 'b', brokerCounter: 2 });
    m.update('c', { brokerId: 'b', brokerCounter: 1, messageId: 5 });
    expect(m.has('c', { cmd: 'pubrel', messageId: 5 })).toBe(true);
    m.update('c', { cmd: 'pubrel', messageId: 5 });
    expect(await list(m.stream('c'))).toEqual(['pubrel:-:5', 'publish:2:-']);
    expect(m.clear('c', 5)?.cmd).toBe('pubrel');
    expect(m.has('c', { cmd: 'pubrel', messageId: 5 })).toBe(false);
  });

  it('with a packet id in use twice (wrap-around) the oldest holder is cleared first', () => {
    const m = new MemoryOutgoing();
    m.enqueue('c', { brokerId: 'b', brokerCounter: 1 });
    m.enqueue('c', { brokerId: 'b', brokerCounter: 70_000 });
    m.update('c', { brokerId: 'b', brokerCounter: 1, messageId: 4 });
    m.update('c', { brokerId: 'b', brokerCounter: 70_000, messageId: 4 });
    expect(m.clear('c', 4)?.brokerCounter).toBe(1);
    expect(m.clear('c', 4)?.brokerCounter).toBe(70_000);
    expect(m.size('c')).toBe(0);
  });

  it('re-sending a packet under a new id (reconnect) moves its index', () => {
    const m = new MemoryOutgoing();
    m.enqueue('c', { brokerId: 'b', brokerCounter: 1 });
    m.update('c', { brokerId: 'b', brokerCounter: 1, messageId: 10 });
    m.update('c', { brokerId: 'b', brokerCounter: 1, messageId: 11 });
    expect(m.clear('c', 10)).toBeUndefined();
    expect(m.clear('c', 11)?.brokerCounter).toBe(1);
  });

  it('agrees with aedes-persistence on 3,000 random operations over three clients', async () => {
    const rand = rng(42);
    const m = new MemoryOutgoing();
    const ref = reference();
    const clients = ['a', 'b', 'c'];
    const counters = new Map<string, number>();
    const assigned = new Map<string, number[]>(); // brokerCounters without an id yet
    const inFlight = new Map<string, number[]>(); // messageIds handed out
    let nextId = 1;
    for (let n = 0; n < 3000; n++) {
      const c = clients[Math.floor(rand() * clients.length)]!;
      const r = rand();
      if (r < 0.4) {
        const bc = (counters.get(c) ?? 0) + 1;
        counters.set(c, bc);
        const p = { cmd: 'publish', brokerId: 'b', brokerCounter: bc, qos: 1, topic: 't' };
        m.enqueue(c, p);
        await ref.outgoingEnqueue({ clientId: c }, p);
        (assigned.get(c) ?? assigned.set(c, []).get(c)!).push(bc);
      } else if (r < 0.7) {
        const bc = assigned.get(c)?.shift();
        if (bc === undefined) continue;
        const id = nextId;
        nextId = nextId === 50 ? 1 : nextId + 1; // small id space: wrap-around happens often
        m.update(c, { brokerId: 'b', brokerCounter: bc, messageId: id });
        await ref.outgoingUpdate({ id: c }, { brokerId: 'b', brokerCounter: bc, messageId: id });
        (inFlight.get(c) ?? inFlight.set(c, []).get(c)!).push(id);
      } else {
        const ids = inFlight.get(c);
        if (!ids?.length) continue;
        const id = ids.splice(Math.floor(rand() * ids.length), 1)[0]!;
        const got = m.clear(c, id);
        const want = await ref.outgoingClearMessageId({ id: c }, { messageId: id });
        expect(got?.brokerCounter).toBe(want?.brokerCounter);
      }
    }
    for (const c of clients) expect(await list(m.stream(c))).toEqual(await list(ref.outgoingStream({ id: c })));
  });
});
