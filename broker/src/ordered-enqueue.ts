/**
 * Makes a slow (LevelDB) aedes persistence hand QoS 1/2 packets to delivery in the order aedes
 * numbered them.
 *
 * Why: aedes numbers every publish (`brokerCounter`, at `broker.publish`) and, per subscriber, drops a
 * packet whose counter is not above the highest it already forwarded (lib/client.js `dedupe`, meant
 * for overlapping subscriptions). A QoS > 0 publish is forwarded only after
 * `persistence.outgoingEnqueueCombi` resolves. With aedes-persistence-level those LevelDB writes
 * finish out of order under load, so a packet whose write finished after a later one's is silently
 * dropped for every subscriber — after its publisher got the PUBACK. It stays queued in LevelDB and
 * only moves at the subscriber's next reconnect. (Measured: 490 of 20,000 QoS 1 messages to one
 * clean:false subscriber; exactly the number of out-of-order completions. In memory the writes
 * resolve in order, so nothing is dropped.)
 *
 * Fix: each enqueue (and the retained write that precedes a retained packet's enqueue) registers its
 * counter; a finished enqueue resolves only once every enqueue with a lower counter has resolved.
 * The writes themselves still run concurrently; only their completions are released in order.
 */

interface Slot {
  counter: number;
  done: boolean;
  /** Set once this slot's own write settled; called when it is this slot's turn. */
  settle?: () => void;
}

interface PacketLike {
  brokerCounter?: number;
  qos?: number;
}

export interface EnqueuePersistence {
  storeRetained(packet: PacketLike): Promise<unknown>;
  outgoingEnqueueCombi(subs: unknown, packet: PacketLike): Promise<unknown>;
}

/** Wraps `p` in place (promise API, as aedes 1.x calls it) and returns it. */
export function orderEnqueues<P extends EnqueuePersistence>(p: P): P {
  // Slots sorted by counter; in practice always appended at the end (see register).
  const slots: Slot[] = [];
  const byCounter = new Map<number, Slot>();

  function register(counter: number): Slot {
    let slot = byCounter.get(counter);
    if (slot) return slot;
    slot = { counter, done: false };
    byCounter.set(counter, slot);
    // Counters are handed out in publish order, but a retained packet registers at its retained
    // write (synchronously inside broker.publish) while a plain one registers a microtask later, so
    // an insert may land just before the tail: walk back from the end.
    let i = slots.length;
    while (i > 0 && slots[i - 1]!.counter > counter) i--;
    slots.splice(i, 0, slot);
    return slot;
  }

  function release(): void {
    let n = 0;
    while (n < slots.length && slots[n]!.done) n++;
    if (n === 0) return;
    for (const s of slots.splice(0, n)) {
      byCounter.delete(s.counter);
      s.settle!();
    }
  }

  function finish(slot: Slot, settle: () => void): void {
    slot.done = true;
    slot.settle = settle;
    release();
  }

  const storeRetained = p.storeRetained.bind(p);
  const enqueue = p.outgoingEnqueueCombi.bind(p);

  p.storeRetained = (packet) => {
    const c = packet.brokerCounter;
    if (!c || !packet.qos) return storeRetained(packet);
    const slot = register(c);
    return storeRetained(packet).catch((e: unknown) => {
      // The publish stops here (no enqueue follows): free the slot so later packets are not held.
      finish(slot, () => {});
      throw e;
    });
  };

  p.outgoingEnqueueCombi = (subs, packet) => {
    const c = packet.brokerCounter;
    if (!c) return enqueue(subs, packet);
    const slot = register(c);
    return new Promise((resolve, reject) => {
      enqueue(subs, packet).then(
        (v) => finish(slot, () => resolve(v)),
        (e: unknown) => finish(slot, () => reject(e)),
      );
    });
  };
  return p;
}
