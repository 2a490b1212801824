/**
 * Least privilege for InfluxDB (issue 17): the private influxd runs with authentication on, its
 * generated credentials live under its data dir (0600), travel only inside INFLUX_URL, and the server
 * works through them — scans stored, counts, arrival statistics and puskesmas trends read back.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { influxFetch, redactUrl, startPrivateInfluxd } from '../scripts/lib/influxd.ts';
import { api, makeScan, publisher, publishScans, serverRig, signIn, storedIds, until } from './server-fixtures.ts';

describe('private influxd with authentication on', () => {
  const rig = serverRig('influx-auth');

  it('refuses an unauthenticated or wrongly authenticated query (401); the admin from credentials.json gets in', async () => {
    const q = `/query?q=${encodeURIComponent('SHOW DATABASES')}`;
    expect((await fetch(`${rig.influx.baseUrl}${q}`)).status).toBe(401);
    expect((await fetch(`${rig.influx.baseUrl}${q}`, { headers: { authorization: `Basic ${Buffer.from('admin:guess').toString('base64')}` } })).status).toBe(401);
    expect((await fetch(`${rig.influx.baseUrl}/write?db=smart_kampung`, { method: 'POST', body: 'x v=1' })).status).toBe(401);
    expect((await influxFetch(rig.influx.url, q)).status).toBe(200);

    const file = join(rig.influx.dir, 'credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { username: string; password: string };
    expect(saved).toEqual(rig.influx.credentials);
    expect(saved.password.length).toBeGreaterThanOrEqual(32);
    // Printable forms of the URL carry no secret.
    expect(rig.influx.url).toContain(saved.password);
    expect(rig.influx.baseUrl).not.toContain(saved.password);
    expect(redactUrl(rig.influx.url)).toBe(rig.influx.baseUrl);
    expect(readFileSync(join(rig.influx.dir, 'influxd.log'), 'utf8')).not.toContain(saved.password);
  });

  it('the server still works through the credentials in INFLUX_URL: stores, counts, rolls up, reads trends', async () => {
    const cookie = await signIn(rig.server, rig.dataDir, 'komando', 'command');
    const health = await api<{ components: { influx: { state: string } } }>(rig.server, '/api/health');
    expect(health.body.data?.components.influx.state).toBe('up');

    const now = Date.now();
    const scans = [1, 2, 3].map((seq) => makeScan(seq, { scannedAt: new Date(now - seq * 1000).toISOString() }, 'kalibaru', 'kalibaru-01'));
    const c = await publisher(rig.broker.url);
    await publishScans(c, scans);
    await c.endAsync();
    await until('scans stored in the authenticated influxd', async () => (await storedIds(rig.server, cookie, new Date(now - 3_600_000).toISOString(), new Date(now + 60_000).toISOString())).length === 3);

    // In InfluxDB itself, written with the credentials.
    await until('scans in InfluxDB', async () => {
      const r = await influxFetch(rig.influx.url, `/query?db=smart_kampung&q=${encodeURIComponent('SELECT count(temperatureC) FROM arrivals')}`);
      const body = (await r.json()) as { results: { series?: { values: [string, number][] }[] }[] };
      return body.results[0]?.series?.[0]?.values[0]?.[1] === 3;
    });

    const counts = await api<{ checkpointId: string; today: number }[]>(rig.server, '/api/counts/today', cookie);
    expect(counts.status).toBe(200);
    expect(counts.body.data?.find((x) => x.checkpointId === 'kalibaru')?.today).toBe(3);
    const from = new Date(now - 10 * 86_400_000).toISOString();
    const to = new Date(now + 3_600_000).toISOString();
    // A 10-day range reads the InfluxDB rollups; the trends read the puskesmas reports in InfluxDB.
    for (const path of [`/api/stats/arrivals?from=${from}&to=${to}&interval=1d`, '/api/puskesmas/trends']) {
      const r = await api(rig.server, path, cookie);
      expect(r.status, path).toBe(200);
    }
  });

  it('started again on the same data dir: the same credentials still get in', async () => {
    const { tempDir } = await import('./server-fixtures.ts');
    const dir = tempDir('influx-old');
    const first = await startPrivateInfluxd({ dir });
    const creds = first.credentials;
    await first.stop();
    // Started again on the same dir: same credentials, still accepted.
    await first.start();
    expect((await influxFetch(first.url, `/query?q=${encodeURIComponent('SHOW USERS')}`)).status).toBe(200);
    expect(first.credentials).toEqual(creds);
    await first.stop();
  });
});
