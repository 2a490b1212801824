/** Small helpers of the agent's MQTT side. */

/** `mqtt://a:1883` → mqtt.js `servers` entry; mqtt.js tries them in order on each reconnect. */
export function brokerServers(urls: readonly string[]): { host: string; port: number; protocol: 'mqtt' | 'mqtts' }[] {
  return urls.map((u) => {
    const url = new URL(u);
    const protocol = url.protocol.replace(/:$/, '') as 'mqtt' | 'mqtts';
    return { host: url.hostname, port: Number(url.port) || (protocol === 'mqtts' ? 8883 : 1883), protocol };
  });
}

/** Waits for `p` but at most `ms`; failures are ignored (used only on shutdown). */
export async function bounded(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => {}), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
