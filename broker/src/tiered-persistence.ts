/**
 * aedes persistence in two tiers: LevelDB for what must outlive a broker restart (subscriptions,
 * retained status, wills, and QoS 1 messages queued for a persistent session that is OFFLINE), memory
 * for the hot path (QoS 1 messages to a session that is connected, and inbound QoS 2 state).
 *
 * Why (issue 5): with everything in LevelDB the broker did ~6 LevelDB operations and msgpack round
 * trips per message forwarded to the server's clean:false session (enqueue put; update get+put+put;
 * PUBACK get+batch) — about half the broker's CPU in the e2e bench. Those writes buy nothing the
 * product relies on: a device keeps every scan in its fsynced outbox until the SERVER's ack
 * (README "Nothing lost, nothing doubled"), so a scan in flight to a connected server when the broker
 * dies is sent again by its device; the server's acks are re-sent when the device's retransmission
 * arrives. What the broker alone holds — scans queued while the server is away, retained status,
 * sessions — stays in LevelDB as before (tests/broker-persistence.test.ts).
 *
 * A session that disconnects keeps its in-memory queue while the broker runs (replayed on reconnect,
 * after its LevelDB queue); only a broker restart drops it, and the devices resend.
 */
import memoryPersistence from 'aedes-persistence';
import { Readable } from 'node:stream';
import { MemoryOutgoing } from './memory-outgoing.ts';

interface PacketLike { brokerId?: string; brokerCounter?: number; messageId?: number }
interface ClientLike { id: string }
interface SubLike { clientId: string }

/** The promise API of aedes-persistence 11 that the tiering touches (aedes 1.x calls it without callbacks). */
export interface PersistenceLike {
  setup(broker: unknown): Promise<void>;
  outgoingEnqueue(sub: SubLike, packet: PacketLike): Promise<unknown>;
  outgoingEnqueueCombi(subs: SubLike[], packet: PacketLike): Promise<unknown>;
  outgoingUpdate(client: ClientLike, packet: PacketLike): Promise<unknown>;
  outgoingClearMessageId(client: ClientLike, packet: PacketLike): Promise<PacketLike | undefined>;
  outgoingStream(client: ClientLike): Readable;
  incomingStorePacket(client: ClientLike, packet: PacketLike): Promise<unknown>;
  incomingGetPacket(client: ClientLike, packet: PacketLike): Promise<unknown>;
  incomingDelPacket(client: ClientLike, packet: PacketLike): Promise<unknown>;
  cleanIncoming(client: ClientLike): Promise<unknown>;
  destroy(): Promise<void>;
}

/**
 * Wraps `durable` (aedes-persistence-level) in place: its outgoing and incoming methods now send
 * packets for connected clients to an in-memory aedes-persistence. `isOnline(id)` tells whether a
 * client id is connected right now.
 */
export function tierPersistence<P extends PersistenceLike>(durable: P, isOnline: (clientId: string) => boolean): P {
  // A CommonJS default export: at run time the import is the factory itself. Only its incoming (QoS 2
  // receive) store is used; outgoing queues to connected sessions live in MemoryOutgoing (O(1) calls).
  const mem = (memoryPersistence as unknown as () => PersistenceLike)();
  const out = new MemoryOutgoing();
  const d = {
    setup: durable.setup.bind(durable),
    enqueue: durable.outgoingEnqueue.bind(durable),
    enqueueCombi: durable.outgoingEnqueueCombi.bind(durable),
    update: durable.outgoingUpdate.bind(durable),
    clear: durable.outgoingClearMessageId.bind(durable),
    stream: durable.outgoingStream.bind(durable),
  };

  // aedes checks that setup is an async function (aedes.js), so keep it one.
  durable.setup = async (broker: unknown) => {
    await d.setup(broker);
    await mem.setup(broker);
  };
  durable.outgoingEnqueue = async (sub, packet) => {
    if (!isOnline(sub.clientId)) return d.enqueue(sub, packet);
    out.enqueue(sub.clientId, packet);
  };
  durable.outgoingEnqueueCombi = async (subs, packet) => {
    const offline: SubLike[] = [];
    for (const s of subs ?? []) {
      if (isOnline(s.clientId)) out.enqueue(s.clientId, packet);
      else offline.push(s);
    }
    if (offline.length) await d.enqueueCombi(offline, packet);
  };
  durable.outgoingUpdate = async (client, packet) => (out.has(client.id, packet) ? out.update(client.id, packet) : d.update(client, packet));
  durable.outgoingClearMessageId = async (client, packet) => out.clear(client.id, packet.messageId) ?? d.clear(client, packet);
  // On reconnect: what waited in LevelDB (queued while offline, older) first, then the memory tier.
  durable.outgoingStream = (client) => {
    const durableStream = d.stream(client);
    const memoryStream = out.stream(client.id);
    async function* both() {
      yield* durableStream;
      yield* memoryStream;
    }
    return Readable.from(both());
  };
  durable.incomingStorePacket = (c, p) => mem.incomingStorePacket(c, p);
  durable.incomingGetPacket = (c, p) => mem.incomingGetPacket(c, p);
  durable.incomingDelPacket = (c, p) => mem.incomingDelPacket(c, p);
  durable.cleanIncoming = (c) => mem.cleanIncoming(c);
  return durable;
}
