#!/usr/bin/env -S npx tsx
/** Command line of the checkpoint device's agent. See `--help`. */
import { parseArgs } from 'node:util';
import { EdgeAgent } from './agent.ts';
import { loadConfig, type AgentFileConfig } from './config.ts';
import { startHttp } from './http.ts';
import { createLogger } from './log.ts';
import { Outbox } from './outbox.ts';
import { runStdinInput } from './stdin.ts';
import { startOfficerScreen } from './officer/index.ts';

const HELP = `sk-edge-agent — Smart Kampung Checkpoint device agent (never loses a scan)

Usage:
  sk-edge-agent [run] [--config FILE] [--stdin] [--http-port N]
  sk-edge-agent status [--config FILE] [--json]
  sk-edge-agent --help

Commands:
  run       (default) connect to the broker(s), accept scans, deliver them until the server acks
  status    print the outbox state of SK_DATA_DIR (read-only; safe while the agent runs)

Options:
  --config FILE     JSON config file (keys: brokerUrls, checkpointId, deviceId, password, dataDir,
                    httpPort, httpHost, version, retransmitAfterMs, maxInFlight, maxScansPerMessage
                    (backlog scans per MQTT message, 1-64, default 32), statusIntervalMs,
                    outboxMaxBytes, logLevel)
  --stdin           read ScanInput JSON lines on stdin, write one JSON reply line per input to stdout
  --http-port N     serve POST /scans, GET /status and the officer screen (GET /) on 127.0.0.1:N
                    (0 = any free port)
  --json            (status) print JSON
  -h, --help        this text

Environment (overrides the file):
  SK_BROKER_URLS     comma-separated mqtt:// or mqtts:// URLs, tried in order
  SK_CHECKPOINT_ID   e.g. ketapang          SK_DEVICE_ID      e.g. ketapang-01
  SK_DEVICE_SECRET   MQTT password          SK_DATA_DIR       outbox directory
  SK_HTTP_PORT       local HTTP port        SK_HTTP_HOST      default 127.0.0.1
  SK_LOG_LEVEL       info|debug|…           SK_OUTBOX_MAX_BYTES disk budget (default 64 MiB)

A reply {"ok":true,…} means the scan is fsynced on this device; it is kept and resent until the
server confirms it is stored. When the outbox is full, new scans are refused (reason outbox_full);
old scans are never dropped. Logs are JSON lines on stderr and never contain NIKs or names.
`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        stdin: { type: 'boolean', default: false },
        'http-port': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const command = positionals[0] ?? 'run';
  if (command !== 'run' && command !== 'status') {
    process.stderr.write(`unknown command: ${command}\n\n${HELP}`);
    return 2;
  }
  const overrides: Partial<AgentFileConfig> = {};
  if (values['http-port'] !== undefined) overrides.httpPort = Number(values['http-port']);
  const loaded = loadConfig({ configPath: values.config, env: process.env, overrides });
  if (!loaded.ok) {
    process.stderr.write(`invalid configuration:\n${loaded.errors.map((e) => `  - ${e}`).join('\n')}\n`);
    return 1;
  }
  const config = loaded.config;
  return command === 'status' ? status(config, values.json) : run(config, values.stdin);
}

function status(config: Readonly<AgentFileConfig>, json: boolean): number {
  const h = Outbox.inspect(config.dataDir, config.outboxMaxBytes);
  if (json) {
    process.stdout.write(`${JSON.stringify({ checkpointId: config.checkpointId, deviceId: config.deviceId, outbox: h })}\n`);
    return 0;
  }
  const pct = (h.fillRatio * 100).toFixed(1);
  process.stdout.write(
    [
      `device        ${config.checkpointId}/${config.deviceId}`,
      `data dir      ${config.dataDir}`,
      `pending scans ${h.depth}${h.oldestAgeSec !== null ? ` (oldest ${Math.round(h.oldestAgeSec)} s)` : ''}`,
      `next seq      ${h.nextSeq}`,
      `disk          ${h.diskBytes} of ${h.diskLimitBytes} bytes (${pct} %)${h.warning ? '  WARNING: nearly full' : ''} in ${h.segments} segment(s)`,
      h.droppedTailBytes > 0 ? `torn tail     ${h.droppedTailBytes} bytes will be dropped at next start (a crash mid-write; never acknowledged)` : '',
    ].filter(Boolean).join('\n') + '\n',
  );
  return 0;
}

async function run(config: Readonly<AgentFileConfig>, useStdin: boolean): Promise<number> {
  const log = createLogger(config.logLevel);
  const agent = new EdgeAgent({ ...config, logger: log });
  agent.on('error', () => {}); // already logged by the agent; an error event must not crash the process
  await agent.start();
  // The officer screen (issue 16) shares the local HTTP port: http://127.0.0.1:<port>/
  const screen = config.httpPort !== undefined ? startOfficerScreen(agent, { logger: log }) : null;
  const http = config.httpPort !== undefined ? await startHttp(agent, config.httpPort, config.httpHost, screen?.routes) : null;
  if (http) log.info({ area: 'http', port: http.port, host: config.httpHost }, 'http input and officer screen listening');
  if (useStdin) {
    // stdin closing does not stop the agent: queued scans still need delivering. SIGTERM does.
    runStdinInput(agent, process.stdin, process.stdout).then(() => log.info({ area: 'cli' }, 'stdin closed'));
  }
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  log.info({ area: 'cli' }, 'stopping');
  http?.server.close();
  http?.server.closeAllConnections();
  await screen?.stop();
  await agent.stop();
  log.flush();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`sk-edge-agent: ${err.message}\n`);
    process.exit(1);
  },
);
