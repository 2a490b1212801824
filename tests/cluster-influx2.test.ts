/**
 * Issue 9, InfluxDB 2.x/3.x backend (Influx2ScanStore on @influxdata/influxdb-client).
 * Writes: against Debian's victoria-metrics, a real server that speaks the v2 write API
 * (/api/v2/write). It keeps numeric fields only (as series `arrivals_<field>`), so we check what
 * landed through its export API. Flux queries: only when INFLUX2_TEST_URL, INFLUX2_TEST_TOKEN,
 * INFLUX2_TEST_ORG and INFLUX2_TEST_BUCKET name a reachable InfluxDB 2.x (Debian has none).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Influx2ScanStore } from '../server/src/store/influx2-store.ts';
import { freePort } from '../scripts/lib/influxd.ts';
import { makeScan, until } from './server-fixtures.ts';

const VM_BIN = process.env.VICTORIA_METRICS_BIN ?? 'victoria-metrics';
let vm: ChildProcess;
let url = '';
let dir = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sk-vm-'));
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  // dedup at 1 ms: a replayed sample (same series, same timestamp) is kept once, as InfluxDB would.
  vm = spawn(VM_BIN, [`-storageDataPath=${dir}`, `-httpListenAddr=127.0.0.1:${port}`, '-dedup.minScrapeInterval=1ms', '-retentionPeriod=100y'], { stdio: 'ignore' });
  await until('victoria-metrics up', async () => (await fetch(`${url}/health`).catch(() => null))?.ok === true, 30_000);
}, 60_000);

afterAll(async () => {
  if (vm && vm.exitCode === null) {
    const gone = new Promise((r) => vm.once('exit', r));
    vm.kill('SIGTERM');
    await gone;
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Every sample VictoriaMetrics holds for `arrivals_<field>`, by series label set. */
async function exported(field: string): Promise<{ metric: Record<string, string>; values: number[]; timestamps: number[] }[]> {
  await fetch(`${url}/internal/force_flush`);
  const res = await fetch(`${url}/api/v1/export?match[]=${encodeURIComponent(`{__name__="arrivals_${field}"}`)}&reduce_mem_usage=1`);
  const text = await res.text();
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

describe('Influx2ScanStore writes through the v2 write API', () => {
  it('a batch lands with its tags and numeric fields, a replay overwrites itself, no personal data in the labels', async () => {
    const store = new Influx2ScanStore({ url, token: 'unused-by-vm', org: 'banyuwangi', bucket: 'smart_kampung', feverC: 37.5 });
    await store.start();
    const scans = [1, 2, 3].map((seq) => makeScan(seq, { scanId: ulid(), health: { temperatureC: 36 + seq / 10, symptoms: [], rapidTest: 'negatif', vaccinationDoses: 2 } }));
    await store.writeBatch(scans);
    await store.writeBatch(scans); // the device resent; the server writes again
    let series: Awaited<ReturnType<typeof exported>> = [];
    await until('3 samples exported', async () => (series = await exported('temperatureC')).reduce((n, s) => n + s.values.length, 0) >= 3, 20_000);
    const all = series.flatMap((s) => s.values.map((v, i) => ({ v, t: s.timestamps[i]!, labels: s.metric })));
    // The replay has the same point identity (series + timestamp) as the first write: InfluxDB keeps one
    // point. VictoriaMetrics may still export both raw samples until its dedup merge runs, so compare
    // identities, not raw sample counts.
    const byIdentity = new Map(all.map((x) => [`${JSON.stringify(x.labels)}@${x.t}`, x]));
    const samples = [...byIdentity.values()];
    expect(samples).toHaveLength(3);
    expect(samples.map((x) => x.v).sort()).toEqual([36.1, 36.2, 36.3]);
    expect(samples.map((x) => x.t).sort()).toEqual(scans.map((s) => Date.parse(s.scannedAt)).sort());
    for (const { labels } of samples) {
      expect(labels).toMatchObject({ checkpoint: 'ketapang', device: 'ketapang-01', destDistrict: '35.10.21', health: 'sehat' });
      expect(labels).not.toHaveProperty('destVillage'); // a field, not a series label
      // NIK and names are fields (and VictoriaMetrics drops string fields): never a label.
      expect(Object.values(labels).join(' ')).not.toMatch(/\d{16}|Pelancong/);
    }
    const seqs = new Set((await exported('seq')).flatMap((s) => s.values));
    expect([...seqs].sort()).toEqual([1, 2, 3]);
  });

  it('a server that is down makes writeBatch reject (the writer spools), never resolve', async () => {
    const store = new Influx2ScanStore({ url: `http://127.0.0.1:${await freePort()}`, token: 't', org: 'o', bucket: 'b', feverC: 37.5 });
    await expect(store.writeBatch([makeScan(9)])).rejects.toThrow(/unavailable/);
    expect(await store.ping()).toBe(false);
  }, 30_000);
});

const v2 = { url: process.env.INFLUX2_TEST_URL, token: process.env.INFLUX2_TEST_TOKEN, org: process.env.INFLUX2_TEST_ORG, bucket: process.env.INFLUX2_TEST_BUCKET };
describe.skipIf(!(v2.url && v2.token && v2.org && v2.bucket))('Influx2ScanStore Flux queries against a real InfluxDB 2.x (INFLUX2_TEST_*)', () => {
  it('reads back what it wrote: recent arrivals, stored scanIds, counts', async () => {
    const store = new Influx2ScanStore({ url: v2.url!, token: v2.token!, org: v2.org!, bucket: v2.bucket!, feverC: 37.5 });
    await store.start();
    const scans = [1, 2].map((seq) => makeScan(seq, { scanId: ulid(), scannedAt: new Date(Date.now() - seq * 1000).toISOString() }));
    await store.writeBatch(scans);
    await store.writeBatch(scans);
    const ids = await store.storedScanIds(new Date(Date.now() - 60_000).toISOString(), new Date(Date.now() + 1000).toISOString());
    expect(ids.filter((id) => scans.some((s) => s.scanId === id))).toHaveLength(2);
    const recent = await store.recentArrivals({ checkpointId: 'ketapang', limit: 10 });
    expect(recent.map((r) => r.scan.scanId)).toEqual(expect.arrayContaining(scans.map((s) => s.scanId)));
    expect((await store.countsToday()).find((c) => c.checkpointId === 'ketapang')!.today).toBeGreaterThanOrEqual(2);
  });
});
