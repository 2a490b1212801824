/**
 * Broker URLs → mqtt.js connect options: with several (a broker cluster) mqtt.js moves to the next
 * on each reconnect, so a client whose broker died carries on at another.
 */
import type { IClientOptions } from 'mqtt';
import { brokerServers } from '@sk/protocol';

export function brokerOptions(urls: readonly string[]): Pick<IClientOptions, 'servers'> {
  return urls.length < 2 ? {} : { servers: brokerServers(urls) };
}
