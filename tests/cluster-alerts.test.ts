/**
 * Alerts across instances (issues 9, 15): both servers share one PostgreSQL, so an alert raised by the
 * server that ingested the scan is the same row (same id) for the other, and ack / clear work through
 * either. A change is seen at once over the socket (the Redis adapter carries the emit to every
 * console), and after a restart from the database. A server that joins later lists what was raised
 * before it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_IDS, type AlertEvent } from '@sk/protocol';
import type { RunningServer } from '@sk/server';
import { validScanInput } from '../edge-agent/src/testing.ts';
import { allAcked, ClusterRig, type Child } from './cluster-helpers.ts';
import { liveSocket, signIn, until } from './server-fixtures.ts';

const rig = new ClusterRig();
let s1: Child;
let s2: Child;
let holders: Record<string, string | null>;
const devices = CHECKPOINT_IDS.map((cp) => [cp, `${cp}-01`] as [string, string]);
let cookie1: string;
let cookie2: string;
const scanIds: string[] = [];
const feverOn = async (s: Child, cookie: string) => (await alerts(s, cookie)).filter((a) => a.rule === 'fever' && scanIds.includes(a.scanId ?? ''));

async function alerts(s: Child, cookie: string): Promise<AlertEvent[]> {
  const res = await fetch(`${s.url}/api/alerts?active=false&limit=500`, { headers: { cookie } });
  return ((await res.json()) as { data: AlertEvent[] }).data;
}

async function act(s: Child, cookie: string, id: number, action: 'ack' | 'clear'): Promise<number> {
  return (await fetch(`${s.url}/api/alerts/${id}/${action}`, { method: 'POST', headers: { cookie } })).status;
}

beforeAll(async () => {
  await rig.start();
  await rig.enrol(devices);
  const brokers = await Promise.all([rig.broker('broker-a'), rig.broker('broker-b')]);
  const urls = brokers.map((b) => b.url);
  s1 = await rig.server('server-1', urls, { redis: true });
  s2 = await rig.server('server-2', [...urls].reverse(), { redis: true });
  holders = await rig.leasesSplit('server-1', 'server-2');
}, 240_000);

afterAll(async () => {
  await rig.stop();
}, 60_000);

describe('alerts on two servers', () => {
  it('an alert raised on server 1 is listed on server 2; ack on 2 and clear on 1 show on both', async () => {
    cookie1 = await signIn({ url: s1.url } as RunningServer, rig.records('server-1'), 'pusat1', 'command');
    cookie2 = await signIn({ url: s2.url } as RunningServer, rig.records('server-2'), 'pusat2', 'command');
    // One feverish traveller through a checkpoint of each server.
    const agents = [];
    for (const owner of ['sk-server-server-1', 'sk-server-server-2']) {
      const cp = CHECKPOINT_IDS.find((c) => holders[c] === owner)!;
      const agent = await rig.agent(cp, `${cp}-01`, [rig.children[0]!.url, rig.children[1]!.url]);
      const input = validScanInput(7000 + scanIds.length);
      const r = await agent.submit({ ...input, health: { ...input.health, temperatureC: 39.2 } });
      if (!r.ok) throw new Error(r.message);
      scanIds.push(r.scanId);
      agents.push(agent);
    }
    await allAcked(agents, 60_000, rig);

    await until('both fever alerts listed on both servers', async () => (await feverOn(s1, cookie1)).length === 2 && (await feverOn(s2, cookie2)).length === 2, 30_000);
    const on1 = await feverOn(s1, cookie1);
    const on2 = await feverOn(s2, cookie2);
    expect(new Set(on1.map((a) => a.id)).size).toBe(2); // one sequence in the shared database
    expect(on2.map((a) => [a.id, a.scanId]).sort()).toEqual(on1.map((a) => [a.id, a.scanId]).sort());

    const raisedOn1 = on1.find((a) => a.scanId === scanIds[0])!;
    // A console on server 1 hears the ack made through server 2 at once (the Redis adapter).
    const console1 = liveSocket({ url: s1.url } as RunningServer, cookie1);
    const heard: AlertEvent[] = [];
    console1.on('alert', (a) => heard.push(a));
    await new Promise((r) => console1.once('hello', r));
    expect(await act(s2, cookie2, raisedOn1.id, 'ack')).toBe(200);
    await until('the ack through server 2 pushed to a console on server 1', () => heard.some((a) => a.id === raisedOn1.id && a.state === 'acknowledged' && a.ackedBy === 'pusat2'), 30_000);
    console1.close();
    await until('ack through server 2 seen on server 1', async () => (await feverOn(s1, cookie1)).find((a) => a.id === raisedOn1.id)?.state === 'acknowledged', 30_000);
    expect(await act(s1, cookie1, raisedOn1.id, 'clear')).toBe(200);
    await until('clear through server 1 seen on server 2', async () => (await feverOn(s2, cookie2)).find((a) => a.id === raisedOn1.id)?.state === 'cleared', 30_000).catch(async (e: Error) => {
      throw new Error(`${e.message}\non 1: ${JSON.stringify(await feverOn(s1, cookie1))}\non 2: ${JSON.stringify(await feverOn(s2, cookie2))}`);
    });
    const final = (await feverOn(s2, cookie2)).find((a) => a.id === raisedOn1.id)!;
    expect(final).toMatchObject({ ackedBy: 'pusat2', clearedBy: 'pusat1' });
  }, 120_000);

  it('a server that joins later lists the open alerts raised before it; a restarted one learns what it missed', async () => {
    const open = (await feverOn(s1, cookie1)).find((a) => a.scanId === scanIds[1])!;
    expect(open.state).toBe('active');
    const s3 = await rig.server('server-3', [rig.children[0]!.url], { redis: true });
    // Sessions are shared: server 1's cookie works on the newcomer. It never heard these alerts live: they
    // are rows of the shared database.
    await until('newcomer lists the open alert', async () => (await feverOn(s3, cookie1)).length > 0);
    const on3 = await feverOn(s3, cookie1);
    expect(on3.filter((a) => a.state !== 'cleared').map((a) => [a.id, a.state])).toEqual([[open.id, 'active']]);

    // Server 2 is down while server 1 acknowledges; back up, it lists the alert as acknowledged.
    await s2.stop();
    expect(await act(s1, cookie1, open.id, 'ack')).toBe(200);
    s2 = await rig.server('server-2', [rig.children[0]!.url, rig.children[1]!.url], { redis: true });
    expect((await feverOn(s2, cookie2)).find((a) => a.id === open.id)).toMatchObject({ state: 'acknowledged', ackedBy: 'pusat1' });
    expect((await feverOn(s3, cookie1)).find((a) => a.id === open.id)?.state).toBe('acknowledged');
  }, 180_000);
});
