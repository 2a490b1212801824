/**
 * One subscription broadcast at a time per client, for aedes-persistence-redis 11 (issue 9).
 *
 * Why: its BroadcastPersistence resolves `addSubscriptions` / `removeSubscriptions` only when its own
 * `$SYS/sub/add|rm` broadcast comes back through the mq, and it finds the waiting call in a Map keyed
 * by (client id, first topic of the call). Two calls of one client with the same first topic in flight
 * at once share one key: the second overwrites the first's waiter, which then never resolves. aedes
 * makes exactly such calls: for a SUBSCRIBE with N filters of a persistent session it calls
 * `addSubscriptions(client, allN)` once PER FILTER, in parallel (lib/handlers/subscribe.js). N-1 of
 * them hang, so the broker never sends the SUBACK [MQTT-3.8.4-1]. A client that awaits that SUBACK
 * waits for ever — the server's feature client did, and when its broker was killed the pending
 * subscribe failed with "Connection closed", which took the whole server process down: the
 * "surviving server receives nothing after a broker kill" of issue 9.
 *
 * Fix, without forking the package: queue each client's subscription calls in arrival order (so at
 * most one waiter per client exists at a time and an UNSUBSCRIBE cannot overtake its SUBSCRIBE), and
 * let a call identical to the one at the tail of the queue share its result (aedes's N copies become
 * one Redis write + one broadcast). A broadcast that never comes back (Redis pub/sub lost it) fails
 * the call after `confirmMs`: aedes then refuses the SUBSCRIBE and closes the connection, the client
 * reconnects and subscribes again, instead of hanging silently.
 */

interface Sub {
  topic: string;
  qos?: number;
}

/** The two calls we wrap, on aedes-persistence-redis's async instance (`persistence.asyncPersistence`). */
export interface SubscriptionCalls {
  addSubscriptions(client: { id: string }, subs: Sub[]): Promise<unknown>;
  removeSubscriptions(client: { id: string }, topics: string[]): Promise<unknown>;
}

interface Tail {
  key: string;
  done: Promise<unknown>;
}

export const SUBSCRIPTION_CONFIRM_MS = 10_000;

export function queueSubscriptionCalls(target: SubscriptionCalls, confirmMs = SUBSCRIPTION_CONFIRM_MS): void {
  const add = target.addSubscriptions.bind(target);
  const remove = target.removeSubscriptions.bind(target);
  const tails = new Map<string, Tail>();

  function enqueue(clientId: string, key: string, call: () => Promise<unknown>): Promise<unknown> {
    const tail = tails.get(clientId);
    if (tail?.key === key) return tail.done; // the same change is already queued last: same outcome
    const done = (tail?.done ?? Promise.resolve()).catch(() => undefined).then(() => bounded(call(), confirmMs));
    const mine: Tail = { key, done };
    tails.set(clientId, mine);
    const forget = () => {
      if (tails.get(clientId) === mine) tails.delete(clientId);
    };
    done.then(forget, forget);
    return done;
  }

  target.addSubscriptions = (client, subs) =>
    enqueue(client.id, `+${JSON.stringify(subs.map((s) => [s.topic, s.qos ?? 0]))}`, () => add(client, subs));
  target.removeSubscriptions = (client, topics) => enqueue(client.id, `-${JSON.stringify(topics)}`, () => remove(client, topics));
}

function bounded<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`subscription change not confirmed by the cluster within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
