/**
 * `npm run bench -- <name> [options]`: runs one benchmark, prints progress on stderr and ONE final JSON
 * line `{"bench","metrics",…}` on stdout, and writes that line to bench/results/<name>.json.
 * Benchmarks talk to localhost only and bound every loop in count and time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchResult {
  bench: string;
  metrics: Record<string, number | string | boolean | null>;
  /** The limit or peer measured in the same run, when there is one. */
  limit?: { name: string; metrics: Record<string, number | string | boolean | null> };
  /** A second limit of the same run (e2e: the bare broker carrying the same batches). */
  limitSameBatches?: { name: string; metrics: Record<string, number | string | boolean | null> };
  ratio?: Record<string, number>;
  goal?: Record<string, string>;
  notes?: string[];
  machine?: Record<string, string | number>;
  at?: string;
}

export type BenchModule = { run(args: string[]): Promise<BenchResult>; help: string };

const BENCHES: Record<string, { file: string; issue: number; what: string }> = {
  e2e: { file: './e2e.ts', issue: 5, what: 'sustained scans/s devices → broker → server → InfluxDB + socket.io, vs bare broker' },
  latency: { file: './latency.ts', issue: 5, what: 'scan published → socket.io event p50/p99 at a fixed rate' },
  broker: { file: './broker.ts', issue: 4, what: 'QoS 1 msgs/s through our broker (auth + ACL) vs bare aedes' },
  outbox: { file: './outbox.ts', issue: 4, what: 'durable (fsync) outbox appends/s and 100k replay time' },
  alerts: { file: './alerts.ts', issue: 17, what: 'a peak day (50,000 arrivals, health mix, device faults) through triage on the database: command-answer alerts/h, follow-ups, p99 scan → follow-up' },
  aid: { file: './aid.ts', issue: 15, what: 'durable handouts/s with the double check (SQLite fresh and at full regency scale, PostgreSQL), checks/s, restart to ready' },
  aggregate: { file: './aggregate.ts', issue: 5, what: '30-day dashboard aggregate query time' },
  console: { file: './console.ts', issue: 7, what: 'console bundle size, frame times and heap at 1,000 events/s' },
  cluster: { file: './cluster.ts', issue: 9, what: '2 brokers + 2 servers vs 1+1 on the same load' },
  ocr: { file: './ocr.ts', issue: 16, what: 'KTP cards read on the device: exact NIK/name on clean and degraded cards, s per card' },
  officer: { file: './officer.ts', issue: 16, what: 'officer screen: keystrokes per traveller, Simpan → tersimpan p99, screen JS size' },
};

function usage(): string {
  const lines = Object.entries(BENCHES).map(([n, b]) => `  ${n.padEnd(10)} ${b.what}`);
  return `Usage: npm run bench -- <name> [options]   (npm run bench -- <name> --help for its options)\n\nBenchmarks:\n${lines.join('\n')}\n\nEach prints one JSON line and writes bench/results/<name>.json. Figures are recorded in docs/benchmarks.md.`;
}

async function main(): Promise<number> {
  const [name, ...args] = process.argv.slice(2);
  if (!name || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const entry = BENCHES[name];
  if (!entry) {
    console.error(`Unknown benchmark "${name}".\n\n${usage()}`);
    return 1;
  }
  let mod: BenchModule;
  try {
    mod = (await import(entry.file)) as BenchModule;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(entry.file.slice(2))) {
      console.error(`Benchmark "${name}" is not built yet (issue #${entry.issue}).`);
      return 2;
    }
    throw e;
  }
  if (args.includes('--help') || args.includes('-h')) {
    console.log(mod.help);
    return 0;
  }
  const os = await import('node:os');
  const result: BenchResult = {
    ...(await mod.run(args)),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '?', memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    at: new Date().toISOString(),
  };
  const line = JSON.stringify(result);
  // A partial run names itself (e.g. `aid --checks-only 1` → aid-checks.json) and leaves <name>.json alone.
  const file = /^[a-z0-9-]+$/.test(result.bench) && result.bench.startsWith(name) ? result.bench : name;
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', `${file}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${line}\n`);
  console.log(line);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`bench failed: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
