// aedes-persistence-redis ships no types; these are the calls the broker's cluster mode makes.
declare module 'aedes-persistence-redis' {
  import type { Redis } from 'ioredis';
  export interface RedisPersistence {
    destroy(): Promise<void>;
  }
  export default function aedesPersistenceRedis(opts: { conn?: Redis; maxSessionDelivery?: number; packetTTL?: (packet: unknown) => number }): RedisPersistence;
}
