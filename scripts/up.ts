/**
 * Brings the whole system up on one machine: a private influxd under $DATA_DIR (unless INFLUX_URL is
 * given), the broker, the server with the console, and simulated checkpoint devices. Provisions the
 * device and server credentials and two demo staff accounts on first run. Ctrl-C stops everything.
 *
 * Run through `npm start` (scripts/start.sh installs what is missing first). `npm start -- --help`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { CHECKPOINTS } from '@sk/protocol';
import { redactUrl, startPrivateInfluxd, type PrivateInfluxd } from './lib/influxd.ts';
import { provision } from './lib/provision.ts';
import { OFFICER_DEVICE, provisionOfficerDevice } from './lib/officer-device.ts';

const HELP = `Usage: npm start [-- --no-sim]

Starts: private influxd (unless INFLUX_URL), broker, server + console, simulated checkpoints.
Environment (defaults):
  DATA_DIR=./data        everything the system stores (influxdb/, broker/, server/, agents/, dev/)
  MQTT_PORT=1883         MQTT for devices      MQTT_WS_PORT=8083  MQTT over WebSocket
  HTTP_PORT=8080         console + API         INFLUX_URL=        use this InfluxDB 1.x instead of a private one
  INFLUX_PORT=8186       port of the private influxd
  BROKER_METRICS_PORT=9883  the broker's Prometheus /metrics ("off" to disable)
  SIM_DEVICES=2          simulated devices per checkpoint
  OFFICER_PORT=8420      the officer's screen of the demo device ketapang-petugas (127.0.0.1)
  SIM_RATE=60            walk-in travellers per hour per checkpoint at an average hour, on a
                         simulated clock 60× real time (plus ferry and flight bursts); 0 = none
Demo logins are printed at start and kept in $DATA_DIR/dev/accounts.txt.`;

interface Cfg { dataDir: string; mqttPort: number; wsPort: number; httpPort: number; influxUrl?: string; influxPort: number; simDevices: number; simRate: number; officerPort: number }

function readConfig(): Cfg {
  const env = process.env;
  const errors: string[] = [];
  const int = (name: string, dflt: number, min = 0, max = 65535) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return dflt;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) errors.push(`${name}=${raw} is not an integer in ${min}..${max}`);
    return n;
  };
  const cfg: Cfg = {
    dataDir: resolve(env.DATA_DIR || './data'),
    mqttPort: int('MQTT_PORT', 1883, 1),
    wsPort: int('MQTT_WS_PORT', 8083, 1),
    httpPort: int('HTTP_PORT', 8080, 1),
    influxUrl: env.INFLUX_URL || undefined,
    influxPort: int('INFLUX_PORT', 8186, 1),
    simDevices: int('SIM_DEVICES', 2, 0, 50),
    simRate: int('SIM_RATE', 60, 0, 100_000),
    officerPort: int('OFFICER_PORT', 8420, 1),
  };
  if (cfg.influxUrl && !/^https?:\/\//.test(cfg.influxUrl)) errors.push(`INFLUX_URL=${redactUrl(cfg.influxUrl)} must start with http:// or https://`);
  if (errors.length) {
    console.error(`Configuration errors:\n  ${errors.join('\n  ')}\n\n${HELP}`);
    process.exit(1);
  }
  return Object.freeze(cfg);
}

const children: { name: string; proc: ChildProcess }[] = [];
let influxd: PrivateInfluxd | undefined;
let stopping = false;

function run(name: string, args: string[], env: Record<string, string>): ChildProcess {
  const proc = spawn(process.execPath, ['--import', 'tsx', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = `${name.padEnd(7)}│ `;
  for (const stream of [proc.stdout, proc.stderr]) {
    let buf = '';
    stream?.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) process.stdout.write(prefix + l + '\n');
    });
  }
  proc.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${prefix}exited (${signal ?? code}); stopping everything.`);
      void shutdown(1);
    }
  });
  children.push({ name, proc });
  return proc;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stopping) return;
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not come up within ${timeoutMs / 1000} s`);
}

const portOpen = (port: number) =>
  new Promise<boolean>((res) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), res(true)));
    s.once('error', () => res(false));
  });

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log('\nStopping…');
    // Devices first, then the server (it flushes its batches), then the broker, then InfluxDB.
    for (const { proc } of [...children].reverse()) {
      if (proc.exitCode === null && proc.signalCode === null) {
        const gone = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
    }
    await influxd?.stop();
  }
  process.exit(code);
}

async function main() {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(HELP);
    return;
  }
  const cfg = readConfig();
  const noSim = process.argv.includes('--no-sim') || cfg.simRate === 0 || cfg.simDevices === 0;
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  mkdirSync(cfg.dataDir, { recursive: true });

  let influxUrl = cfg.influxUrl;
  if (!influxUrl) {
    influxd = await startPrivateInfluxd({ dir: join(cfg.dataDir, 'influxdb'), port: cfg.influxPort });
    influxUrl = influxd.url;
    // The URL carries the generated credentials (influxdb/credentials.json): print it without them.
    console.log(`influx │ private influxd at ${influxd.baseUrl}, authentication on (data in ${influxd.dir})`);
  }

  // The demo accounts go where the server will look for them: DATABASE_URL if set, else DATA_DIR's SQLite.
  const p = await provision({ dataDir: cfg.dataDir, devicesPerCheckpoint: cfg.simDevices, databaseUrl: process.env.DATABASE_URL || undefined });
  const officerSecret = await provisionOfficerDevice(cfg.dataDir);

  const common = { DATA_DIR: cfg.dataDir };
  run('broker', ['broker/src/cli.ts', 'start'], { ...common, MQTT_PORT: String(cfg.mqttPort), MQTT_WS_PORT: String(cfg.wsPort), BROKER_METRICS_PORT: process.env.BROKER_METRICS_PORT ?? '9883' });
  await waitFor('broker', () => portOpen(cfg.mqttPort));

  run('server', ['server/src/cli.ts', 'serve'], {
    ...common,
    HTTP_PORT: String(cfg.httpPort),
    MQTT_URL: `mqtt://127.0.0.1:${cfg.mqttPort}`,
    MQTT_USERNAME: p.server.id,
    MQTT_PASSWORD: p.server.secret,
    INFLUX_URL: influxUrl,
  });
  const url = `http://127.0.0.1:${cfg.httpPort}`;
  await waitFor('server', async () => (await fetch(`${url}/api/health`)).ok);

  if (!noSim) {
    run('sim', ['simulators/src/cli.ts', 'checkpoints', '--broker', `mqtt://127.0.0.1:${cfg.mqttPort}`, '--credentials', p.devicesFile,
      '--devices', String(cfg.simDevices), '--base-rate', String(cfg.simRate), '--data-dir', join(cfg.dataDir, 'agents')], common);
  }

  // One real edge agent serving the officer's screen (issue 16), beside the simulated devices.
  run('agent', ['edge-agent/src/cli.ts', 'run'], {
    SK_BROKER_URLS: `mqtt://127.0.0.1:${cfg.mqttPort}`, SK_CHECKPOINT_ID: OFFICER_DEVICE.checkpointId, SK_DEVICE_ID: OFFICER_DEVICE.deviceId,
    SK_DEVICE_SECRET: officerSecret, SK_DATA_DIR: join(cfg.dataDir, 'agents', OFFICER_DEVICE.deviceId), SK_HTTP_PORT: String(cfg.officerPort), SK_LOG_LEVEL: 'warn',
  });

  console.log(
    [
      '',
      '┌──────────────────────────────────────────────────────────────',
      `│ Smart Kampung Checkpoint is running`,
      `│ Console:   ${url}`,
      `│ Health:    ${url}/api/health`,
      `│ Officer:   http://127.0.0.1:${cfg.officerPort}/  (the checkpoint officer's screen of device ${OFFICER_DEVICE.deviceId})`,
      `│ MQTT:      mqtt://127.0.0.1:${cfg.mqttPort}  (ws://127.0.0.1:${cfg.wsPort}; broker metrics http://127.0.0.1:${process.env.BROKER_METRICS_PORT ?? '9883'}/metrics)`,
      `│ Logins:    ${p.accounts.map((a) => `${a.username} / ${a.password} (${a.label})`).join('\n│            ')}`,
      `│ Devices:   ${noSim ? 'none simulated' : `${CHECKPOINTS.length * cfg.simDevices} simulated (npm run sim -- --help for more)`}`,
      '│ Stop with Ctrl-C.',
      '└──────────────────────────────────────────────────────────────',
    ].join('\n'),
  );
}

main().catch((e) => {
  console.error(`start failed: ${(e as Error).message}`);
  void shutdown(1);
});

