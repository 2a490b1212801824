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
import { scanLine } from '../server/src/store/line-protocol.ts';
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
    const store = new Influx2ScanStore({ url, token: 'unused-by-vm', org: 'banyuwangi', bucket: 'smart_kampung' });
    await store.start();
    const scans = [1, 2, 3].map((seq) => makeScan(seq, { scanId: ulid(), health: { temperatureC: 36 + seq / 10, symptoms: [], rapidTest: 'negatif', vaccinationDoses: 2 } }));
    await store.writeLines(scans.map((x) => scanLine(x, 37.5)));
    await store.writeLines(scans.map((x) => scanLine(x, 37.5))); // the device resent; the server writes again
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
      // No personal data anywhere in a point (layout v3): NIK and names live only in the database of record.
      expect(Object.values(labels).join(' ')).not.toMatch(/\d{16}|Pelancong/);
    }
    const doses = new Set((await exported('vaccinationDoses')).flatMap((s) => s.values));
    expect([...doses]).toEqual([2]);
    expect(await exported('record')).toEqual([]);
  });

  it('a server that is down makes writeLines reject (the writer spools), never resolve', async () => {
    const store = new Influx2ScanStore({ url: `http://127.0.0.1:${await freePort()}`, token: 't', org: 'o', bucket: 'b' });
    await expect(store.writeLines([scanLine(makeScan(9), 37.5)])).rejects.toThrow(/unavailable/);
    expect(await store.ping()).toBe(false);
  }, 30_000);
});
