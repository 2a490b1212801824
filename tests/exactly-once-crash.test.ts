/**
 * Exactly once across both stores (issue 15): real edge agents keep publishing through our broker while
 * the server process is killed with SIGKILL at random moments, three times in one run, and restarted.
 * At the end the scans the officers were told "tersimpan", the rows in the database of record and the
 * points in InfluxDB are the same set, each exactly once. On SQLite and on PostgreSQL.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { addDevice, addServer, startBroker, type RunningBroker } from '@sk/broker';
import { EdgeAgent } from '@sk/edge-agent';
import { validScanInput } from '../edge-agent/src/testing.ts';
import { openDatabase } from '../server/src/db/database.ts';
import { countScans, storedScanIds } from '../server/src/db/scan-rows.ts';
import { freePort, influxFetch, startPrivateInfluxd, type PrivateInfluxd } from '../scripts/lib/influxd.ts';
import { spawnTsx } from '../bench/lib/proc.ts';
import { ENGINES, freshPostgresUrl, stopPrivatePostgres } from './db-fixtures.ts';
import { tempDir, until } from './server-fixtures.ts';

afterAll(stopPrivatePostgres);

/** A seeded generator, so a failing run can be replayed. */
function rng(seed: number) {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
}

async function influxCount(influx: PrivateInfluxd, q: string): Promise<number> {
  const res = await influxFetch(influx.url, `/query?db=smart_kampung&q=${encodeURIComponent(q)}`, { method: 'POST' });
  const body = (await res.json()) as { results: { series?: { values: [string, number][] }[] }[] };
  return body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
}

describe.each(ENGINES)('exactly once through SIGKILLs of the server, on %s', (engine) => {
  it('three kill -9 at random moments under load: sent = rows = points, no doubles', async () => {
    const dir = tempDir(`crash-${engine}`);
    const random = rng(engine === 'sqlite' ? 15 : 1515);
    let influx: PrivateInfluxd | undefined;
    let broker: RunningBroker | undefined;
    let server: ChildProcess | undefined;
    const agents: EdgeAgent[] = [];
    try {
      influx = await startPrivateInfluxd({ dir: join(dir, 'influx') });
      const credFile = join(dir, 'broker', 'credentials.json');
      const srv = await addServer(credFile, 'sk-server');
      broker = await startBroker({ mqttPort: 0, credentialsFile: credFile, persistenceDir: join(dir, 'broker', 'db') });
      const databaseUrl = engine === 'postgres' ? await freshPostgresUrl() : '';
      const consoleDir = join(dir, 'console');
      mkdirSync(consoleDir, { recursive: true });
      const httpPort = await freePort();
      const env = {
        DATA_DIR: join(dir, 'server'), HTTP_PORT: String(httpPort), MQTT_URL: `mqtt://127.0.0.1:${broker.mqttPort}`, MQTT_USERNAME: srv.id, MQTT_PASSWORD: srv.secret,
        INFLUX_URL: influx.url, LOG_LEVEL: 'warn', CONSOLE_DIR: consoleDir, BATCH_MAX_MS: '20', DATABASE_URL: databaseUrl,
      };
      const up = async () => {
        server = spawnTsx('server', 'server/src/cli.ts', ['serve'], env, false);
        await until('server health', async () => (await fetch(`http://127.0.0.1:${httpPort}/api/health`).catch(() => undefined))?.status !== undefined, 60_000);
      };
      await up();

      for (const [cp, dev] of [['ketapang', 'ketapang-01'], ['kalibaru', 'kalibaru-01']] as const) {
        const { secret } = await addDevice(credFile, { checkpointId: cp, deviceId: dev });
        await broker.reloadCredentials();
        const agent = new EdgeAgent({ brokerUrls: [`mqtt://127.0.0.1:${broker.mqttPort}`], checkpointId: cp, deviceId: dev, password: secret, dataDir: join(dir, 'agents', dev), retransmitAfterMs: 1500 });
        await agent.start();
        agents.push(agent);
      }

      // Load: 600 scans over ~3 s from two devices; three SIGKILLs at random moments while it runs.
      const saved: string[] = [];
      const total = 600;
      const kills = [0.15, 0.45, 0.75].map((f) => Math.floor((f + random() * 0.1) * total));
      for (let i = 0; i < total; i++) {
        const r = await agents[i % 2]!.submit(validScanInput(i));
        expect(r.ok).toBe(true);
        if (r.ok) saved.push(r.scanId);
        if (kills.includes(i)) {
          server!.kill('SIGKILL');
          await new Promise((res) => server!.once('exit', res));
          await new Promise((res) => setTimeout(res, 100 + random() * 400));
          await up();
        }
        if (i % 20 === 0) await new Promise((res) => setTimeout(res, 5 + random() * 15));
      }
      await until('every outbox acked', () => agents.every((a) => a.stats().outbox.depth === 0), 90_000);

      // Rows: read the database of record directly (the server keeps running).
      const rdb = await openDatabase({ databaseUrl: databaseUrl || undefined, sqliteFile: join(env.DATA_DIR, 'server', 'records.sqlite'), migrate: false });
      try {
        expect(await countScans(rdb)).toBe(total);
        const ids = await storedScanIds(rdb, '1970-01-01T00:00:00.000Z', '2100-01-01T00:00:00.000Z');
        expect(ids).toHaveLength(total);
        expect(new Set(ids)).toEqual(new Set(saved));
      } finally {
        await rdb.close();
      }
      // Points: InfluxDB keeps one point per identity; every scan has one, none has two.
      await until('every point written', async () => (await influxCount(influx!, 'SELECT count(temperatureC) FROM "arrivals_rp"."arrivals"')) >= total, 30_000);
      expect(await influxCount(influx, 'SELECT count(temperatureC) FROM "arrivals_rp"."arrivals"')).toBe(total);
    } finally {
      for (const a of agents) await a.stop().catch(() => {});
      server?.kill('SIGKILL');
      await broker?.close();
      await influx?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
