/**
 * Broker URLs → mqtt.js connect options: with several (a broker cluster) mqtt.js moves to the next
 * on each reconnect, so a client whose broker died carries on at another.
 */
import type { IClientOptions } from 'mqtt';

export function brokerOptions(urls: readonly string[]): Pick<IClientOptions, 'servers'> {
  if (urls.length < 2) return {};
  return {
    servers: urls.map((u) => {
      const url = new URL(u);
      const protocol = url.protocol.replace(/:$/, '') as 'mqtt' | 'mqtts';
      return { host: url.hostname, port: Number(url.port) || (protocol === 'mqtts' ? 8883 : 1883), protocol };
    }),
  };
}
