/** Small helpers of the agent's MQTT side. */

/** Waits for `p` but at most `ms`; failures are ignored (used only on shutdown). */
export async function bounded(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => {}), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
