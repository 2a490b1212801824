/**
 * The server (its CLI) against an existing influxd, with a bare broker child so its MQTT side is up,
 * and a signed-in command-centre cookie: for benches that time the HTTP API (aggregate).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { addUser, serverPaths } from '@sk/server';
import { freePort } from '../../scripts/lib/influxd.ts';
import { startBrokerChild } from './pipeline.ts';
import { spawnTsx, stopChild, waitFor } from './proc.ts';

export interface ServerChild {
  httpUrl: string;
  cookie: string;
  server: ChildProcess;
  /** GET with the session cookie; throws unless `{ok:true}`. */
  get(path: string): Promise<unknown>;
  stop(): Promise<void>;
}

export async function startServerChild(o: { dir: string; influxUrl: string; influxDb: string }): Promise<ServerChild> {
  const broker = await startBrokerChild({ auth: false });
  let server: ChildProcess | undefined;
  const stop = async () => {
    await stopChild(server, 15_000);
    await stopChild(broker.child);
  };
  try {
    const password = 'bench-komando-rahasia';
    await addUser({ dataDir: o.dir }, { username: 'komando', role: 'command', password });
    const consoleDir = join(o.dir, 'console');
    mkdirSync(consoleDir, { recursive: true });
    const httpPort = await freePort();
    server = spawnTsx('server', 'server/src/cli.ts', ['serve'], {
      DATA_DIR: o.dir, HTTP_PORT: String(httpPort), MQTT_URL: broker.url, MQTT_USERNAME: 'sk-server', MQTT_PASSWORD: 'unused-bare-broker',
      INFLUX_URL: o.influxUrl, INFLUX_DB: o.influxDb, LOG_LEVEL: 'warn', CONSOLE_DIR: consoleDir,
    });
    const httpUrl = `http://127.0.0.1:${httpPort}`;
    await waitFor('server', async () => (await fetch(`${httpUrl}/api/health`)).ok, 60_000, server);
    const res = await fetch(`${httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'komando', password }) });
    if (res.status !== 200) throw new Error(`login failed: HTTP ${res.status}`);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    return {
      httpUrl, cookie, server, stop,
      async get(path) {
        const r = await fetch(`${httpUrl}${path}`, { headers: { cookie } });
        const body = (await r.json()) as { ok: boolean; data?: unknown; error?: { message: string } };
        if (!body.ok) throw new Error(`${path}: HTTP ${r.status} ${body.error?.message}`);
        return body.data;
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
