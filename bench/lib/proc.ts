/**
 * Child processes for the benchmarks: started with `node --import tsx` (so the pid we hold is the
 * process doing the work, and /proc tells its CPU and peak RSS), tracked, and stopped on exit.
 * Only processes started here are ever signalled, by pid.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { progress } from '../stats.ts';

/** The repository root: children run from here, so relative paths (and tsx's tsconfig) resolve. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const started = new Set<ChildProcess>();
const TICKS = 100; // USER_HZ on Linux

/** Spawns `node --import tsx <file>` with extra env; its output goes to stderr with a prefix (when `echo`). */
export function spawnTsx(name: string, file: string, args: string[], env: Record<string, string>, echo = true): ChildProcess {
  // BENCH_CPU_PROF=<dir>: every child writes V8 CPU profiles (one per thread) to <dir>/<name>/ on a clean exit (SIGTERM → close → exit).
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}/${name}`] : [];
  // BENCH_NODE_FLAGS="--trace-gc …": extra node flags for every spawned child (flags NODE_OPTIONS refuses).
  prof.push(...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean));
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', file, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child, name, echo);
  return child;
}

/** Forks a TypeScript worker with an IPC channel. */
export function forkTsx(name: string, file: string): ChildProcess {
  const child = fork(file, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  track(child, name, false);
  return child;
}

function track(child: ChildProcess, name: string, echo: boolean): void {
  started.add(child);
  child.once('exit', () => started.delete(child));
  for (const s of [child.stdout, child.stderr]) {
    let buf = '';
    s?.on('data', (d: Buffer) => {
      if (!echo) return;
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) process.stderr.write(`  ${name}│ ${l.slice(0, 300)}\n`);
    });
  }
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess | undefined, graceMs = 5000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/** Last resort (a thrown bench): kill whatever is still running of ours. */
export function killAllStarted(): void {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
process.once('exit', killAllStarted);

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS; // utime, stime (fields 14, 15)
  } catch {
    return Number.NaN;
  }
}

/** Peak resident set (VmHWM) in MiB. */
export function peakRssMiB(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Measures CPU % of some pids between `start()` and `stop()`. */
export function cpuMeter(pids: Record<string, number | undefined>) {
  const t0 = performance.now();
  const c0 = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuSeconds(p)]));
  return () => {
    const dt = (performance.now() - t0) / 1000;
    return Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, Math.round((100 * (cpuSeconds(p) - (c0[k] as number))) / dt)]));
  };
}

export const portOpen = (port: number) =>
  new Promise<boolean>((res) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), res(true)));
    s.once('error', () => res(false));
  });

/** Polls `check` every 100 ms until true, or throws after `timeoutMs`; fails early when `child` exits. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before it was ready`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not ready within ${timeoutMs / 1000} s`);
}

/** Rejects after `ms` with a clear message: every phase of a bench has a hard deadline. */
export function deadline<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`${what}: hard deadline of ${Math.round(ms / 1000)} s passed`)), ms);
    }),
  ]);
}

export { progress };
