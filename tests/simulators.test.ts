/**
 * The simulators against the real thing: a bare aedes on port 0, real edge agents (mqtt.js, durable
 * outboxes) and a tiny ack responder that does what the server does — validates each scan and
 * publishes a protocol ScanAck for its seq. Waits are bounded, never timed assertions.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceTopic, SERVER_SUBSCRIPTIONS, toRanges, type ScanAck } from '@sk/protocol';
import { checkScanMessage } from '@sk/protocol/scan-batch';
import { Fleet, generateTravellers, loadWorld, readLedger } from '@sk/simulators';
import { addDevice, addServer, startBroker } from '@sk/broker';
import { writeFileSync } from 'node:fs';
import { memoryLogger } from './broker-helpers.ts';

const dirs: string[] = [];
const tempDir = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), `sk-sim-${p}-`));
  dirs.push(d);
  return d;
};

/** Stands in for the server's ingest: counts every valid scan by scanId and acks its seq. */
async function startAckResponder(url: string) {
  const received = new Map<string, number>();
  let invalid = 0;
  const client: MqttClient = await mqtt.connectAsync(url, { clientId: 'test-ack-responder' });
  client.on('message', (topic, payload) => {
    const [, , , cp, , dev] = topic.split('/');
    const seqs: number[] = [];
    for (const { result: checked } of checkScanMessage(payload, { checkpointId: cp!, deviceId: dev! })) {
      if (!checked.ok) {
        invalid++;
        continue;
      }
      const scan = checked.value;
      received.set(scan.scanId, (received.get(scan.scanId) ?? 0) + 1);
      seqs.push(scan.seq);
    }
    if (seqs.length === 0) return;
    const ack: ScanAck = { v: 1, ranges: toRanges(seqs), serverTime: new Date().toISOString() };
    client.publish(deviceTopic(cp!, dev!, 'acks'), JSON.stringify(ack), { qos: 1 });
  });
  await client.subscribeAsync(SERVER_SUBSCRIPTIONS.scans, { qos: 1 });
  return { received, invalid: () => invalid, close: () => client.endAsync() };
}

let broker: Aedes;
let server: Server;
let url: string;
let responder: Awaited<ReturnType<typeof startAckResponder>>;

beforeAll(async () => {
  broker = await Aedes.createBroker();
  server = createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`;
  responder = await startAckResponder(url);
});

afterAll(async () => {
  await responder?.close();
  await new Promise<void>((r) => server.close(() => r()));
  await new Promise<void>((r) => broker.close(() => r()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('simulator fleet through real edge agents', () => {
  it('a small fleet delivers every scan, each acked by the server and in the ledger', async () => {
    const dataDir = tempDir('fleet');
    const fleet = new Fleet({ brokerUrls: [url], checkpointIds: ['ketapang', 'kalibaru'], devicesPerCheckpoint: 2, dataDir });
    await fleet.start();
    try {
      const travellers = generateTravellers(loadWorld(), { seed: 11 }, 120, 'ketapang');
      const results = await Promise.all(travellers.map((t, i) => fleet.submit(i % 2 ? 'kalibaru' : 'ketapang', t.input)));
      expect(results.filter((r) => !r.ok)).toEqual([]);
      expect(await fleet.waitForAcks(60_000)).toBe(true);
      const stats = fleet.stats();
      expect(stats).toMatchObject({ devices: 4, submitted: 120, rejected: 0, acked: 120, pendingAck: 0 });
      expect(stats.latencyMs.p50).not.toBeNull();
    } finally {
      await fleet.stop();
    }
    const ledger = readLedger(join(dataDir, 'ledger.jsonl'));
    expect(ledger).toHaveLength(120);
    expect(new Set(ledger.map((e) => e.deviceId))).toEqual(new Set(['ketapang-01', 'ketapang-02', 'kalibaru-01', 'kalibaru-02']));
    for (const e of ledger) expect(responder.received.get(e.scanId), e.scanId).toBeGreaterThanOrEqual(1);
    expect(responder.invalid()).toBe(0);
  });

  it('`sim load --bare --json` runs end to end and reports nothing lost', async () => {
    const dataDir = tempDir('cli');
    const args = ['tsx', 'simulators/src/cli.ts', 'load', '--bare', '--json', '--count', '80', '--rate', '200', '--devices', '1', '--broker', url, '--data-dir', dataDir, '--drain-timeout', '60', '--scans-per-message', '1'];
    const bad = await runCli([...args.slice(0, -1), '65']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--scans-per-message: expected an integer in [1, 64], got "65"');
    const { code, stdout, stderr } = await runCli(args);
    expect(code, stderr).toBe(0);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({ scenario: 'load-open', devices: 4, submitted: 80, acked: 80, lost: 0, verified: false });
    // No personal data in what the simulator prints or logs.
    expect(stdout + stderr).not.toMatch(/\d{16}/);
  });

  it('load with link drops and power cycles: every scan acked once the links are back', async () => {
    const dataDir = tempDir('faults');
    const args = ['tsx', 'simulators/src/cli.ts', 'load', '--bare', '--json', '--count', '200', '--rate', '50', '--devices', '2', '--faults', 'drop,restart,skew', '--fault-every', '0.3', '--broker', url, '--data-dir', dataDir, '--drain-timeout', '90'];
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', ...args], { cwd: join(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(code, stderr).toBe(0);
    const s = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(s, stderr).toMatchObject({ submitted: 200, rejected: 0, acked: 200, lost: 0 });
    expect(s.faults.drop + s.faults.restart).toBeGreaterThan(0);
    expect(s.faults.errors).toEqual([]);
  });
});

describe('simulator fleet against the authenticating broker', () => {
  it('revoking a device mid-run: it is cut off, its scans are held in its outbox, nothing else is lost', async () => {
    const dir = tempDir('auth');
    const credentialsFile = join(dir, 'credentials.json');
    const secrets: Record<string, string> = {};
    for (const deviceId of ['kalibaru-01', 'kalibaru-02']) secrets[deviceId] = (await addDevice(credentialsFile, { checkpointId: 'kalibaru', deviceId })).secret;
    const server = await addServer(credentialsFile, 'test-server');
    const devicesFile = join(dir, 'device-secrets.json');
    writeFileSync(devicesFile, JSON.stringify(secrets));
    const authBroker = await startBroker({ mqttPort: 0, credentialsFile, logger: memoryLogger() });
    const authUrl = `mqtt://127.0.0.1:${authBroker.mqttPort}`;
    // The ack responder needs a server identity here: devices may not read the scans topic.
    const responder = await startAckResponderAs(authUrl, server.id, server.secret);
    try {
      const args = ['tsx', 'simulators/src/cli.ts', 'load', '--json', '--count', '100', '--rate', '40', '--checkpoints', 'kalibaru', '--devices', '2',
        '--credentials', devicesFile, '--broker-credentials', credentialsFile, '--faults', 'revoke', '--fault-every', '0.5', '--broker', authUrl, '--data-dir', join(dir, 'sim'), '--drain-timeout', '5'];
      const { code, stdout, stderr } = await runCli(args);
      expect(code, stderr).toBe(0);
      const s = JSON.parse(stdout.trim().split('\n').at(-1)!);
      expect(s.faults.revoked).toHaveLength(1);
      expect(s.faults.errors).toEqual([]);
      expect(s).toMatchObject({ submitted: 100, rejected: 0, lost: 0 });
      expect(s.acked + s.faults.revoked[0].heldInOutbox).toBe(100);
    } finally {
      await responder.close();
      await authBroker.close();
    }
  });
});

async function startAckResponderAs(url: string, username: string, password: string) {
  const client: MqttClient = await mqtt.connectAsync(url, { clientId: username, username, password });
  client.on('message', (_topic, payload) => {
    type Sent = { checkpointId: string; deviceId: string; seq: number };
    const value = JSON.parse(payload.toString()) as Sent | Sent[];
    const scans = Array.isArray(value) ? value : [value];
    const ack: ScanAck = { v: 1, ranges: toRanges(scans.map((s) => s.seq)), serverTime: new Date().toISOString() };
    client.publish(deviceTopic(scans[0]!.checkpointId, scans[0]!.deviceId, 'acks'), JSON.stringify(ack), { qos: 1 });
  });
  await client.subscribeAsync(SERVER_SUBSCRIPTIONS.scans, { qos: 1 });
  return { close: () => client.endAsync() };
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', ...args], { cwd: join(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
