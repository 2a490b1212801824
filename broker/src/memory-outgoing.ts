/**
 * The in-memory outgoing queues of the tiered persistence: QoS 1/2 packets to connected sessions.
 *
 * Same contract as aedes-persistence's memory tier (enqueue order kept; update by brokerId +
 * brokerCounter, or by messageId for a PUBREL; clear by messageId, oldest first), but O(1) per call.
 * aedes-persistence keeps one array per client and scans it on every update and PUBACK: with the
 * server's session holding thousands of scans in flight that scan was about a third of the broker's
 * CPU in the e2e bench (docs/benchmarks.md).
 *
 * A packet identifier can be in use twice at once: aedes numbers 1…65535 and wraps while older
 * packets may still wait for their PUBACK. The array scan then cleared the OLDEST packet holding the
 * id; `byMessageId` keeps a FIFO per id to do the same.
 */
import AedesPacket from 'aedes-packet';
import { Readable } from 'node:stream';

export interface OutPacket { cmd?: string; brokerId?: string; brokerCounter?: number; messageId?: number }

interface Queue {
  /** brokerId:brokerCounter (or a PUBREL's own key) → packet, in enqueue order. */
  packets: Map<string, OutPacket>;
  /** messageId → keys holding it, oldest first. */
  byMessageId: Map<number, string[]>;
}

// aedes-packet is a CommonJS constructor function (its types declare a plain function).
const Packet = AedesPacket as unknown as new (p: OutPacket) => OutPacket;
const keyOf = (p: OutPacket) => `${p.brokerId}:${p.brokerCounter}`;

export class MemoryOutgoing {
  readonly #queues = new Map<string, Queue>();

  #queue(clientId: string): Queue {
    let q = this.#queues.get(clientId);
    if (!q) this.#queues.set(clientId, (q = { packets: new Map(), byMessageId: new Map() }));
    return q;
  }

  /** True when this packet (by brokerId + brokerCounter, or a PUBREL by messageId) is queued here. */
  has(clientId: string, p: OutPacket): boolean {
    const q = this.#queues.get(clientId);
    if (!q) return false;
    return p.brokerId ? q.packets.has(keyOf(p)) : p.messageId !== undefined && q.byMessageId.has(p.messageId);
  }

  size(clientId: string): number {
    return this.#queues.get(clientId)?.packets.size ?? 0;
  }

  enqueue(clientId: string, packet: OutPacket): void {
    const copy = new Packet(packet);
    this.#queue(clientId).packets.set(keyOf(copy), copy);
  }

  /**
   * A packet got its messageId (publish), or a PUBREL replaces the publish with that messageId.
   * Throws like aedes-persistence when there is no such packet.
   */
  update(clientId: string, packet: OutPacket): void {
    const q = this.#queue(clientId);
    if (packet.brokerId) {
      const stored = q.packets.get(keyOf(packet));
      if (!stored) throw new Error('no such packet');
      if (stored.messageId !== undefined) this.#unindex(q, stored.messageId, keyOf(packet));
      stored.messageId = packet.messageId;
      if (packet.messageId !== undefined) this.#index(q, packet.messageId, keyOf(packet));
      return;
    }
    const key = packet.messageId === undefined ? undefined : q.byMessageId.get(packet.messageId)?.[0];
    if (key === undefined) throw new Error('no such packet');
    q.packets.set(key, packet); // keeps the position in the queue
  }

  /** Removes and returns the oldest packet holding this messageId (undefined: none here). */
  clear(clientId: string, messageId: number | undefined): OutPacket | undefined {
    const q = this.#queues.get(clientId);
    if (!q || messageId === undefined) return undefined;
    const keys = q.byMessageId.get(messageId);
    const key = keys?.[0];
    if (key === undefined) return undefined;
    this.#unindex(q, messageId, key);
    const packet = q.packets.get(key);
    q.packets.delete(key);
    if (q.packets.size === 0) this.#queues.delete(clientId);
    return packet;
  }

  /** A snapshot of the client's queue, in enqueue order. */
  stream(clientId: string): Readable {
    return Readable.from([...(this.#queues.get(clientId)?.packets.values() ?? [])]);
  }

  #index(q: Queue, messageId: number, key: string): void {
    const keys = q.byMessageId.get(messageId);
    if (!keys) q.byMessageId.set(messageId, [key]);
    else if (!keys.includes(key)) keys.push(key);
  }

  #unindex(q: Queue, messageId: number, key: string): void {
    const keys = q.byMessageId.get(messageId);
    if (!keys) return;
    const i = keys.indexOf(key);
    if (i >= 0) keys.splice(i, 1);
    if (keys.length === 0) q.byMessageId.delete(messageId);
  }
}
