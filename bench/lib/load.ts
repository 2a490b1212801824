/**
 * Drives the publisher workers (pub-worker.ts) and the counting subscriber (sub-worker.ts) over IPC,
 * in the manner of /work/shared/peer-bench/lib/load.mjs: clients spread over N worker processes.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { forkTsx, progress, stopChild } from './proc.ts';
import type { PubClientPlan, PubDone, PubInit } from './pub-worker.ts';
import type { SubInit } from './sub-worker.ts';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

function nextMsg<T>(c: ChildProcess, name: string, types: string[], timeoutMs: number): Promise<T> {
  return new Promise((res, rej) => {
    const timer = setTimeout(() => { cleanup(); rej(new Error(`${name}: no ${types.join('/')} within ${Math.round(timeoutMs / 1000)} s`)); }, timeoutMs);
    const on = (m: { type: string; msg?: string }) => {
      if (m.type === 'fatal') { cleanup(); rej(new Error(`${name}: ${m.msg}`)); } else if (types.includes(m.type)) { cleanup(); res(m as T); }
    };
    const onExit = (code: number | null) => { cleanup(); rej(new Error(`${name} exited with ${code}`)); };
    const cleanup = () => { clearTimeout(timer); c.off('message', on); c.off('exit', onExit); };
    c.on('message', on);
    c.once('exit', onExit);
  });
}

function fork(name: string, file: string): ChildProcess {
  const c = forkTsx(name, here(file));
  c.on('message', (m: { type: string; msg?: string }) => { if (m.type === 'log') progress(`${name}: ${m.msg}`); });
  return c;
}

async function exit(c: ChildProcess): Promise<void> {
  if (c.connected) c.send({ type: 'exit' });
  await Promise.race([new Promise((r) => c.once('exit', r)), new Promise((r) => setTimeout(r, 2500))]);
  await stopChild(c, 1000);
}

export interface Publishers {
  pids: number[];
  /** Starts publishing; resolves when every scan is PUBACKed (and server-acked when asked), or rejects after `timeoutMs`. */
  go(timeoutMs: number): Promise<PubDone>;
  stop(): Promise<void>;
}

/** Spreads `clients` round-robin over `workers` processes; connects them all before returning. */
export async function startPublishers(o: Omit<PubInit, 'clients'> & { clients: PubClientPlan[]; workers: number }): Promise<Publishers> {
  const n = Math.max(1, Math.min(o.workers, o.clients.length));
  const plan: PubClientPlan[][] = Array.from({ length: n }, () => []);
  o.clients.forEach((c, i) => plan[i % n]!.push(c));
  const procs = plan.map((_, i) => fork(`pub${i}`, './pub-worker.ts'));
  const stop = () => Promise.all(procs.map(exit)).then(() => undefined);
  try {
    await Promise.all(procs.map((c, i) => {
      const ready = nextMsg(c, `pub${i}`, ['ready'], 60_000);
      const cfg: PubInit = { url: o.url, window: o.window, ratePerClient: o.ratePerClient, serverAcks: o.serverAcks, seed: o.seed + i, batch: o.batch, clients: plan[i]! };
      c.send({ type: 'init', cfg });
      return ready;
    }));
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    pids: procs.map((c) => c.pid!),
    async go(timeoutMs) {
      // At the deadline each worker reports what it has done so far (complete: false) instead of failing.
      const done = Promise.all(procs.map((c, i) => nextMsg<PubDone>(c, `pub${i}`, ['done', 'report'], timeoutMs + 10_000)));
      for (const c of procs) c.send({ type: 'go' });
      const timer = setTimeout(() => {
        progress(`deadline of ${Math.round(timeoutMs / 1000)} s reached: collecting partial figures`);
        for (const c of procs) if (c.connected) c.send({ type: 'report' });
      }, timeoutMs);
      const rs = await done.finally(() => clearTimeout(timer));
      return {
        firstPub: Math.min(...rs.map((r) => r.firstPub)),
        lastPuback: Math.max(...rs.map((r) => r.lastPuback)),
        lastServerAck: Math.max(...rs.map((r) => r.lastServerAck)),
        published: rs.reduce((a, r) => a + r.published, 0),
        pubacked: rs.reduce((a, r) => a + r.pubacked, 0),
        serverAcked: rs.reduce((a, r) => a + r.serverAcked, 0),
        errors: rs.reduce((a, r) => a + r.errors, 0),
        cpuSec: rs.reduce((a, r) => a + r.cpuSec, 0),
        complete: rs.every((r) => r.complete),
      };
    },
    stop,
  };
}

export interface SubReport { total: number; unique: number; first: number; last: number }
export interface Subscriber { pid: number; done(timeoutMs: number): Promise<SubReport>; report(): Promise<SubReport>; stop(): Promise<void> }

export async function startSubscriber(cfg: SubInit): Promise<Subscriber> {
  const c = fork('sub', './sub-worker.ts');
  const ready = nextMsg(c, 'sub', ['ready'], 30_000);
  c.send({ type: 'init', cfg });
  let doneP: Promise<SubReport> | undefined;
  const donePending = nextMsg<SubReport>(c, 'sub', ['done'], 10 * 60_000);
  donePending.catch(() => {});
  try { await ready; } catch (e) { await exit(c); throw e; }
  return {
    pid: c.pid!,
    done(timeoutMs) {
      doneP ??= Promise.race([donePending, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('subscriber: not all scans arrived in time')), timeoutMs))]);
      return doneP;
    },
    report() {
      const p = nextMsg<SubReport>(c, 'sub', ['report'], 5000);
      c.send({ type: 'report' });
      return p;
    },
    stop: () => exit(c),
  };
}

/** Devices `<checkpoint>-bNN` spread over the four checkpoints, `perDevice` scans each. */
export function devicePlan(checkpoints: readonly string[], devices: number, total: number): PubClientPlan[] {
  return Array.from({ length: devices }, (_, i) => {
    const checkpointId = checkpoints[i % checkpoints.length]!;
    return { checkpointId, deviceId: `${checkpointId}-b${String(i + 1).padStart(2, '0')}`, count: Math.floor(total / devices) + (i < total % devices ? 1 : 0) };
  });
}
