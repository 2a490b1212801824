// aedes-persistence-redis ships no types; these are the calls the broker's cluster mode makes.
declare module 'aedes-persistence-redis' {
  import type { Redis } from 'ioredis';
  export interface RedisPersistence {
    /** The async implementation behind the callback layer (aedes 1.2 calls it through promises). */
    asyncPersistence: {
      addSubscriptions(client: { id: string }, subs: { topic: string; qos?: number }[]): Promise<unknown>;
      removeSubscriptions(client: { id: string }, topics: string[]): Promise<unknown>;
    };
    destroy(): Promise<void>;
  }
  export default function aedesPersistenceRedis(opts: { conn?: Redis; maxSessionDelivery?: number; packetTTL?: (packet: unknown) => number }): RedisPersistence;
}
