/**
 * The edge agent against a real aedes broker and a stand-in server that acks over MQTT.
 * Nothing is timed: every wait is "until this is true", bounded so a bug fails instead of hanging.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceStatusSchema, deviceTopic, MAX_PAYLOAD_BYTES } from '@sk/protocol';
import { EdgeAgent, startAgents, type EdgeAgentConfig } from '@sk/edge-agent';
import { freePort } from '../scripts/lib/influxd.ts';
import { startAckingServer, startAedes, until, validScanInput, type AckingServer, type TestBroker } from '../edge-agent/src/testing.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sk-agent-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function setup(opts: Partial<EdgeAgentConfig> = {}, brokerUrl?: string) {
  const broker: TestBroker | null = brokerUrl ? null : await startAedes();
  if (broker) cleanups.push(() => broker.close());
  const url = brokerUrl ?? broker!.url;
  const server: AckingServer = await startAckingServer(url);
  cleanups.push(() => server.close());
  const agent = new EdgeAgent({ brokerUrls: [url], checkpointId: 'ketapang', deviceId: 'ketapang-01', dataDir: tempDir(), reconnectPeriodMs: 100, ...opts });
  await agent.start();
  cleanups.push(() => agent.stop());
  return { broker, server, agent };
}

/** Stops the broker until `restart()`, which brings it back on the same port with its sessions. */
async function outage(broker: TestBroker, agent: EdgeAgent) {
  const port = broker.port;
  await broker.close();
  await until(() => !agent.stats().connected, 'agent noticed the outage');
  return {
    restart: async () => {
      const again = await startAedes(port, broker.persistence);
      cleanups.push(() => again.close());
      return again;
    },
  };
}

describe('edge agent', () => {
  it('delivers every accepted scan and empties its outbox once the server acks', async () => {
    const { agent, server } = await setup();
    await until(() => agent.stats().connected, 'agent connected');
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => agent.submit(validScanInput(i))));
    expect(results.every((r) => r.ok)).toBe(true);
    const accepted = new Set(results.map((r) => (r.ok ? r.scanId : '')));
    await server.waitForUnique(300);
    await until(() => agent.stats().outbox.depth === 0, 'outbox empty');
    expect(server.uniqueScanIds()).toEqual(accepted);
    expect(agent.stats().acked).toBe(300);
    expect(agent.stats().clockSkewMs).not.toBeNull();
  });

  it('rejects an invalid NIK with the reason, and stores nothing', async () => {
    const { agent } = await setup();
    const bad = { ...validScanInput(1), nik: '3510213102900001' }; // 31 February
    const r = await agent.submit(bad);
    expect(r).toMatchObject({ ok: false, reason: 'invalid_nik' });
    expect(await agent.submit({ nik: 42 })).toMatchObject({ ok: false, reason: 'schema' });
    expect(agent.stats().outbox.depth).toBe(0);
  });

  it('keeps scans taken while the broker is down and drains them in order when it returns', async () => {
    const { broker, agent, server } = await setup();
    await until(() => agent.stats().connected, 'agent connected');
    const down = await outage(broker!, agent);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => agent.submit(validScanInput(i))));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(agent.stats().outbox.depth).toBe(200);

    // The broker comes back with its persistence: the server's session and subscription are still
    // there, so nothing published before the server reconnects is lost, and order holds.
    await down.restart();
    await server.waitForUnique(200);
    await until(() => agent.stats().outbox.depth === 0, 'backlog drained');
    // First arrivals come in seq order (retransmits may repeat some later).
    const firstSeen: number[] = [];
    const seen = new Set<number>();
    for (const s of server.received) if (!seen.has(s.seq)) (seen.add(s.seq), firstSeen.push(s.seq));
    expect(firstSeen).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    // The backlog travelled in batches (up to 32 scans per message, each within the broker's limit).
    expect(server.messages.length).toBeLessThan(200 / 4);
    expect(Math.max(...server.messages.map((m) => m.scans))).toBe(32);
    expect(server.messages.every((m) => m.bytes <= MAX_PAYLOAD_BYTES)).toBe(true);
    expect(agent.stats().messages).toBeLessThan(agent.stats().published);
  });

  it('maxScansPerMessage 1: a backlog goes one scan per message; long names make batches smaller, never too big', async () => {
    const { broker, agent, server } = await setup({ maxScansPerMessage: 1 });
    await until(() => agent.stats().connected, 'agent connected');
    const down = await outage(broker!, agent);
    await Promise.all(Array.from({ length: 30 }, (_, i) => agent.submit(validScanInput(i))));
    await down.restart();
    await server.waitForUnique(30);
    expect(server.messages.every((m) => m.scans === 1)).toBe(true);

    const big = await setup({ deviceId: 'ketapang-02', maxScansPerMessage: 64 });
    await until(() => big.agent.stats().connected, 'second agent connected');
    big.server.setAcking(false);
    const down2 = await outage(big.broker!, big.agent);
    const longName = 'Ni Luh Putu Ayu '.repeat(6).trim().slice(0, 100);
    const longAddress = 'Jl. Raya Denpasar–Gilimanuk, Br. Dinas '.repeat(6).slice(0, 200);
    await Promise.all(Array.from({ length: 64 }, (_, i) => big.agent.submit({ ...validScanInput(i), name: longName, originAddress: longAddress })));
    await down2.restart();
    await big.server.waitForUnique(64);
    expect(big.server.messages.length).toBeGreaterThan(1);
    expect(big.server.messages.every((m) => m.bytes <= MAX_PAYLOAD_BYTES)).toBe(true);
  });

  it('retransmits scans the server has not acknowledged yet (e.g. its database was down)', async () => {
    const { agent, server } = await setup({ retransmitAfterMs: 200 });
    await until(() => agent.stats().connected, 'agent connected');
    server.setAcking(false);
    await Promise.all(Array.from({ length: 20 }, (_, i) => agent.submit(validScanInput(i))));
    await until(() => agent.stats().retransmits >= 20, 'retransmitted');
    server.setAcking(true);
    await until(() => agent.stats().outbox.depth === 0, 'acked after retransmit');
    expect(server.uniqueScanIds().size).toBe(20);
  });

  it('resendUnacked (the simulators\' duplicate fault) sends every unacknowledged scan again, and only those', async () => {
    const { agent, server } = await setup();
    await until(() => agent.stats().connected, 'agent connected');
    await Promise.all(Array.from({ length: 5 }, (_, i) => agent.submit(validScanInput(i))));
    await until(() => agent.stats().outbox.depth === 0, 'first five acked');
    server.setAcking(false);
    await Promise.all(Array.from({ length: 7 }, (_, i) => agent.submit(validScanInput(100 + i))));
    await server.waitForUnique(12);
    const before = server.received.length;
    expect(agent.resendUnacked()).toBe(7);
    await until(() => server.received.length >= before + 7, 'duplicates arrived');
    expect(server.received.slice(before).map((s) => s.seq).sort((a, b) => a - b)).toEqual([6, 7, 8, 9, 10, 11, 12]);
    expect(server.uniqueScanIds().size).toBe(12);
    server.setAcking(true);
    agent.resendUnacked(); // once more, now acknowledged: the outbox empties without waiting for the retransmit timer
    await until(() => agent.stats().outbox.depth === 0, 'all acked');
  });

  it('live lane: a new scan goes out at once while an old backlog waits behind it', async () => {
    const { broker, agent, server: old } = await setup({ maxInFlight: 50 });
    await until(() => agent.stats().connected, 'agent connected');
    await old.close();
    const down = await outage(broker!, agent);
    await Promise.all(Array.from({ length: 400 }, (_, i) => agent.submit(validScanInput(i))));
    const again = await down.restart();
    const server = await startAckingServer(again.url);
    cleanups.push(() => server.close());
    server.setAcking(false); // the backlog cannot drain: its window fills and stays full
    await until(() => agent.stats().connected, 'agent reconnected');
    await server.waitForUnique(50);
    const live = await agent.submit(validScanInput(999));
    expect(live.ok).toBe(true);
    await until(() => server.received.some((s) => live.ok && s.scanId === live.scanId), 'live scan arrived');
    expect(server.uniqueScanIds().size).toBe(51); // the backlog stayed within its window
    server.setAcking(true);
  });

  it('publishes a retained online status with outbox stats, and its will says offline', async () => {
    const { agent, broker } = await setup({ statusIntervalMs: 60_000 });
    await until(() => agent.stats().connected, 'agent connected');
    const watcher = await mqtt.connectAsync(broker!.url, { reconnectPeriod: 0 });
    cleanups.push(() => watcher.endAsync());
    const statuses: unknown[] = [];
    watcher.on('message', (_t, p) => statuses.push(JSON.parse(p.toString())));
    await watcher.subscribeAsync(deviceTopic('ketapang', 'ketapang-01', 'status'), { qos: 1 });
    await until(() => statuses.length > 0, 'retained status');
    const first = DeviceStatusSchema.parse(statuses[0]);
    expect(first).toMatchObject({ state: 'online', outbox: { depth: 0 } });
    await agent.stop();
    await until(() => statuses.some((s) => (s as { state: string }).state === 'offline'), 'offline status');
  });

  it('fails over to the next broker URL when the first is unreachable', async () => {
    const dead = `mqtt://127.0.0.1:${await freePort()}`;
    const live = await startAedes();
    cleanups.push(() => live.close());
    const server = await startAckingServer(live.url);
    cleanups.push(() => server.close());
    const fleet = await startAgents({ brokerUrls: [dead, live.url], reconnectPeriodMs: 50, dataRoot: tempDir() }, [
      { checkpointId: 'kalibaru', deviceId: 'kalibaru-01' },
      { checkpointId: 'blimbingsari', deviceId: 'blimbingsari-01' },
    ]);
    cleanups.push(() => fleet.stop());
    const results = await Promise.all(fleet.agents.flatMap((a) => Array.from({ length: 10 }, (_, i) => a.submit(validScanInput(i)))));
    expect(results.every((r) => r.ok)).toBe(true);
    await server.waitForUnique(20);
    await until(() => fleet.pending() === 0, 'all acked');
  });
});
