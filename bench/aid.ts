/**
 * `npm run bench -- aid`: the double-aid index at regency scale (issue 6).
 *  1. index: people × 5 programmes recorded (synthetic 64-bit keys: what HMAC output looks like),
 *     bytes per index entry and per handout, then random checks/s in process (keys precomputed),
 *     and checks/s including the 3 HMACs a real check computes;
 *  2. rebuild: a journal of --journal handouts replayed into a fresh index (scaled to the full size);
 *  3. alarm: a real server (aedes, private influxd, socket.io); each double recorded over HTTP →
 *     `aid:alarm` received by BOTH villages' socket clients; p50/p99 of the later of the two.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { AID_PROGRAMMES } from '@sk/protocol';
import { loadRegions } from '@sk/protocol/regions';
import type { BenchResult } from './run.ts';
import { opt, percentile, progress, round } from './stats.ts';

export const help = `Usage: npm run bench -- aid [--people 1740000] [--checks 2000000] [--journal 500000] [--alarms 300]

  --people   people indexed, each with a handout of all 5 programmes (default 1,740,000 = Banyuwangi)
  --checks   random in-process checks to time (default 2,000,000)
  --journal  handouts in the journal replayed for the rebuild time (default 500,000; scaled to people × 5)
  --alarms   doubles recorded over HTTP for the alarm latency (default 300)`;

export async function run(args: string[]): Promise<BenchResult> {
  const people = opt(args, 'people', 1_740_000);
  const checks = opt(args, 'checks', 2_000_000);
  const journalN = opt(args, 'journal', 500_000);
  const alarms = opt(args, 'alarms', 300);
  const { MemoryDoubleAidIndex } = await import('../server/src/aid/double-index.ts');
  const { AidKeys } = await import('../server/src/aid/keys.ts');

  // 1. The index at full size.
  const progs = AID_PROGRAMMES.map((p) => p.id);
  const key = (i: number, salt: number) => ({ hi: Math.imul(i ^ salt, 0x9e3779b1) >>> 0, lo: Math.imul(i + salt, 0x85ebca6b) >>> 0 });
  const heap0 = process.memoryUsage();
  const ix = new MemoryDoubleAidIndex(people * 14);
  let t0 = performance.now();
  for (let i = 0; i < people; i++) {
    const person = key(i, 1), household = key(i >> 2, 2), name = key(i, 3);
    for (let p = 0; p < 5; p++) ix.record({ programmeId: progs[p]!, date: '2026-11-10', village: i % 217, at: 1_790_000_000, handout: (i * 5 + p) >>> 0, person, household, name });
    if (i % 500_000 === 0) progress(`indexed ${i.toLocaleString()} people`);
  }
  const insertMs = performance.now() - t0;
  const heap1 = process.memoryUsage();
  const handouts = people * 5;
  progress(`index: ${ix.entries.toLocaleString()} entries, ${(ix.bytes / 2 ** 20).toFixed(0)} MiB`);

  let found = 0;
  t0 = performance.now();
  for (let n = 0; n < checks; n++) {
    const i = (Math.imul(n, 2654435761) >>> 0) % (people * 2); // half known, half unknown people
    found += ix.check({ programmeId: progs[n % 5]!, date: '2026-11-20', person: key(i, 1), household: key(i >> 2, 2), name: key(i, 3) }).length > 0 ? 1 : 0;
  }
  const checkMs = performance.now() - t0;

  const keys = new AidKeys(Buffer.alloc(32, 1));
  const hmacChecks = Math.min(200_000, checks);
  t0 = performance.now();
  for (let n = 0; n < hmacChecks; n++) {
    const nik = `3510214107${String(90 + (n % 10))}${String(n % 10000).padStart(4, '0')}`;
    ix.check({ programmeId: 'bst', date: '2026-11-20', person: keys.person(nik), household: keys.household(nik), name: keys.nameBirth('Siti Aminah', '1990-07-01') });
  }
  const hmacMs = performance.now() - t0;

  // 2. Rebuild from a journal.
  const dir = mkdtempSync(join(tmpdir(), 'sk-bench-aid-'));
  const { Aid } = await import('../server/src/aid/aid.ts');
  const regions = loadRegions();
  const hex = (k: { hi: number; lo: number }) => k.hi.toString(16).padStart(8, '0') + k.lo.toString(16).padStart(8, '0');
  mkdirSync(join(dir, 'server', 'aid'), { recursive: true });
  const lines: string[] = [];
  for (let n = 0; n < journalN; n++) {
    const i = Math.floor(n / 5);
    lines.push(JSON.stringify({ t: 'h', id: `01JD${String(n).padStart(22, '0')}`, p: progs[n % 5], d: '2026-11-10', v: regions.villages[i % 217]!.code, at: '2026-11-10T03:00:00.000Z', by: 'bench', pk: hex(key(i, 1)), kk: hex(key(i >> 2, 2)), nk: hex(key(i, 3)) }));
  }
  writeFileSync(join(dir, 'server', 'aid', 'journal.jsonl'), lines.join('\n') + '\n');
  lines.length = 0;
  const aid = new Aid({ dataDir: dir, regions, secret: 'bench-secret-0123456789', emit: () => {}, capacityHint: journalN * 3 });
  aid.start();
  aid.stop();
  const rebuildMs = aid.rebuild.ms;
  rmSync(dir, { recursive: true, force: true });

  // 3. Alarm latency through the real server.
  const alarm = await alarmLatency(alarms);

  return {
    bench: 'aid',
    metrics: {
      people,
      handouts,
      indexEntries: ix.entries,
      indexMiB: round(ix.bytes / 2 ** 20, 0),
      bytesPerIndexEntry: round(ix.bytes / ix.entries, 1),
      bytesPerHandout: round(ix.bytes / handouts, 1),
      heapGrowthMiB: round((heap1.arrayBuffers - heap0.arrayBuffers) / 2 ** 20, 0),
      insertsPerSec: Math.round(handouts / (insertMs / 1000)),
      checksPerSec: Math.round(checks / (checkMs / 1000)),
      checksFoundPct: round((100 * found) / checks, 1),
      checksPerSecWithHmac: Math.round(hmacChecks / (hmacMs / 1000)),
      rebuildHandouts: journalN,
      rebuildMs,
      rebuildMsScaledToFull: Math.round((rebuildMs * handouts) / journalN),
      alarmsMeasured: alarm.n,
      alarmBothVillagesP50Ms: round(alarm.p50, 1),
      alarmBothVillagesP99Ms: round(alarm.p99, 1),
    },
    goal: { checksPerSec: '≥ 1,000,000', bytesPerIndexEntry: '≤ 64', alarmBothVillagesP99Ms: '< 200' },
    notes: [
      'Each handout is 2–3 index entries: person (all), household (household programmes), name+birth date (possible doubles).',
      'checksPerSec: keys precomputed (as after the HMAC at the entry point); each check probes person, household, conflicts and name.',
      'checksPerSecWithHmac: the same including the 3 HMAC-SHA256 computations a real check does.',
      'rebuildMsScaledToFull: linear scaling of the measured journal replay (JSON parse dominates).',
      'Alarm latency: HTTP POST of a double → both village sockets received aid:alarm (includes the journal fsync).',
    ],
  };
}

async function alarmLatency(n: number): Promise<{ n: number; p50: number; p99: number }> {
  const { bootServer, liveSocket, signIn, startBareBroker, startInflux, tempDir } = await import('../tests/server-fixtures.ts');
  const [broker, influx] = await Promise.all([startBareBroker(), startInflux()]);
  const dataDir = tempDir('bench-aid');
  const server = await bootServer({ MQTT_URL: broker.url, INFLUX_URL: influx.url, DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  const villages = loadRegions().villages;
  const [A, B] = [villages[3]!.code, villages[150]!.code];
  const cookieA = await signIn(server, dataDir, 'bench-a', 'village', { villageCode: A });
  const cookieB = await signIn(server, dataDir, 'bench-b', 'village', { villageCode: B });
  const sa = liveSocket(server, cookieA), sb = liveSocket(server, cookieB);
  await Promise.all([sa, sb].map((s) => new Promise<void>((r) => s.once('hello', () => r()))));
  const pending = new Map<string, { start: number; seen: number; done: (ms: number) => void }>();
  const on = (a: { handoutId: string }) => {
    const p = pending.get(a.handoutId);
    if (p && ++p.seen === 2) p.done(performance.now() - p.start);
  };
  sa.on('aid:alarm', on);
  sb.on('aid:alarm', on);
  const post = (cookie: string, body: unknown) => fetch(`${server.url}/api/aid/handouts`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const lat: number[] = [];
  const deadline = Date.now() + 120_000;
  for (let i = 0; i < n && Date.now() < deadline; i++) {
    const nik = `351021${String(1 + (i % 28)).padStart(2, '0')}0790${String(1 + i).padStart(4, '0')}`;
    const base = { programmeId: 'bansos-bwi', nik, kk: '3510212304150007', name: `Warga ${i}`, birthDate: '1990-07-01', date: '2026-11-10' };
    await post(cookieA, { ...base, handoutId: ulid(), villageCode: A });
    const id = ulid();
    const got = new Promise<number>((done) => pending.set(id, { start: performance.now(), seen: 0, done }));
    const start = performance.now();
    pending.get(id)!.start = start;
    await post(cookieB, { ...base, handoutId: id, villageCode: B });
    lat.push(await Promise.race([got, new Promise<number>((r) => setTimeout(() => r(Number.NaN), 5000))]));
  }
  sa.close();
  sb.close();
  await server.close();
  await Promise.all([broker.close(), influx.cleanup()]);
  rmSync(dataDir, { recursive: true, force: true });
  const ok = lat.filter((x) => Number.isFinite(x));
  return { n: ok.length, p50: percentile(ok, 50), p99: percentile(ok, 99) };
}
