/** The ingest path against real parts: aedes, mqtt.js publishers, a private influxd, the server in-process. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { deviceTopic, ScanAckSchema, unpackArrivals, type ArrivalEvent } from '@sk/protocol';
import type { RunningServer } from '@sk/server';
import { influxFetch } from '../scripts/lib/influxd.ts';
import { api, bootServer, liveSocket, makeScan, publisher, publishScans, signIn, startBareBroker, startInflux, storedIds, tempDir, until } from './server-fixtures.ts';

describe('server ingest', () => {
  let broker: Awaited<ReturnType<typeof startBareBroker>>;
  let influx: Awaited<ReturnType<typeof startInflux>>;
  let server: RunningServer;
  let dataDir: string;
  let cookie: string;

  beforeAll(async () => {
    broker = await startBareBroker();
    influx = await startInflux();
    dataDir = tempDir('server');
    server = await bootServer({ MQTT_URL: broker.url, INFLUX_URL: influx.url, DATA_DIR: dataDir });
    cookie = await signIn(server, dataDir, 'pusat', 'command');
  });
  afterAll(async () => {
    await server?.close();
    await broker?.close();
    await influx?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores N scans exactly once and acks every seq to its device', async () => {
    const dev = await publisher(broker.url);
    const acked = new Set<number>();
    await dev.subscribeAsync(deviceTopic('ketapang', 'ketapang-01', 'acks'), { qos: 1 });
    dev.on('message', (_t, p) => {
      for (const [a, b] of ScanAckSchema.parse(JSON.parse(p.toString())).ranges) for (let s = a; s <= b; s++) acked.add(s);
    });
    const scans = Array.from({ length: 300 }, (_, i) => makeScan(i + 1));
    await publishScans(dev, scans);
    await until('all acked', () => acked.size === scans.length);
    const ids = await storedIds(server, cookie);
    expect(ids.sort()).toEqual(scans.map((s) => s.scanId).sort());
    const st = server.stats();
    expect(st.received).toBe(st.stored + st.duplicates + st.deadLettered + st.dropped + st.pending);
    await dev.endAsync();
  });
});

describe('server ingest: duplicates, hostile input, outages, restarts', () => {
  let broker: Awaited<ReturnType<typeof startBareBroker>>;
  let influx: Awaited<ReturnType<typeof startInflux>>;
  let server: RunningServer;
  let dataDir: string;
  let cookie: string;
  const env = () => ({ MQTT_URL: broker.url, INFLUX_URL: influx.url, DATA_DIR: dataDir });

  beforeAll(async () => {
    broker = await startBareBroker();
    influx = await startInflux();
    dataDir = tempDir('server');
    server = await bootServer(env());
    cookie = await signIn(server, dataDir, 'pusat', 'command');
  });
  afterAll(async () => {
    await server?.close();
    await broker?.close();
    await influx?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the same scan published twice is stored once and makes one live event', async () => {
    const sock = liveSocket(server, cookie);
    const events: ArrivalEvent[] = [];
    sock.on('arrivals', (b) => events.push(...unpackArrivals(b)));
    await new Promise<void>((r) => sock.once('hello', () => r()));
    const dev = await publisher(broker.url);
    const scan = makeScan(1, {}, 'kalibaru', 'kalibaru-01');
    const marker = makeScan(2, {}, 'kalibaru', 'kalibaru-01');
    await publishScans(dev, [scan, scan, marker]);
    await until('marker event', () => events.some((e) => e.scanId === marker.scanId));
    expect(events.filter((e) => e.scanId === scan.scanId)).toHaveLength(1);
    expect(events[0]!.nikMasked).not.toContain(scan.nik.slice(6, 14));
    await until('stored', async () => (await storedIds(server, cookie)).includes(marker.scanId));
    expect((await storedIds(server, cookie)).filter((id) => id === scan.scanId)).toHaveLength(1);
    expect(server.stats().duplicates).toBeGreaterThanOrEqual(1);
    sock.close();
    await dev.endAsync();
  });

  it('acks a dead-lettered scan to its device, so a poison scan does not pin the outbox for ever', async () => {
    const dev = await publisher(broker.url);
    const acks: [number, number][] = [];
    await dev.subscribeAsync(deviceTopic('kalibaru', 'kalibaru-09', 'acks'), { qos: 1 });
    dev.on('message', (_t, p) => acks.push(...(JSON.parse(p.toString()) as { ranges: [number, number][] }).ranges));
    const poison = makeScan(42, { nik: '9910210107900001' }, 'kalibaru', 'kalibaru-09');
    await dev.publishAsync(deviceTopic('kalibaru', 'kalibaru-09', 'scans'), JSON.stringify(poison), { qos: 1 });
    await until('the poison scan is acked', () => acks.some(([a, b]) => a <= 42 && 42 <= b));
    await dev.endAsync();
  });

  it('a batched message: each scan is stored, acked or dead-lettered on its own; a redelivered batch stores nothing twice', async () => {
    const dev = await publisher(broker.url);
    const acks: [number, number][] = [];
    await dev.subscribeAsync(deviceTopic('ketapang', 'ketapang-07', 'acks'), { qos: 1 });
    dev.on('message', (_t, p) => acks.push(...(JSON.parse(p.toString()) as { ranges: [number, number][] }).ranges));
    const topic = deviceTopic('ketapang', 'ketapang-07', 'scans');
    const scans = Array.from({ length: 10 }, (_, i) => makeScan(101 + i, i === 3 ? { name: 'x=1,y=2 <b>"A"</b>' } : {}, 'ketapang', 'ketapang-07'));
    const poison = { ...makeScan(111, {}, 'ketapang', 'ketapang-07'), nik: '9910210107900001' };
    const foreign = makeScan(112, {}, 'ketapang', 'ketapang-08'); // claims another device
    const before = server.stats().deadLettered;
    const batch = JSON.stringify([...scans, poison, foreign]);
    await dev.publishAsync(topic, batch, { qos: 1 });
    await dev.publishAsync(topic, batch, { qos: 1 }); // redelivered (e.g. the device missed the ack)
    const acked = (seq: number) => acks.some(([a, b]) => a <= seq && seq <= b);
    await until('every seq of the batch acked', () => Array.from({ length: 12 }, (_, i) => 101 + i).every(acked));
    await until('stored', async () => {
      const ids = await storedIds(server, cookie);
      return scans.every((s) => ids.includes(s.scanId));
    });
    const ids = await storedIds(server, cookie);
    for (const s of scans) expect(ids.filter((id) => id === s.scanId)).toHaveLength(1);
    expect(ids).not.toContain(poison.scanId);
    expect(ids).not.toContain(foreign.scanId);
    expect(server.stats().deadLettered - before).toBe(4); // poison + foreign, in each of the two deliveries
    const dl = await api<{ deadLetters: { reason: string; topic: string }[] }>(server, '/api/dead-letters?limit=10', cookie);
    expect(dl.body.data!.deadLetters.filter((d) => d.topic === topic).map((d) => d.reason).sort()).toEqual(['invalid_nik', 'invalid_nik', 'topic_mismatch', 'topic_mismatch']);
    // A message that is an empty or over-long array is one dead letter.
    const before2 = server.stats().deadLettered;
    await dev.publishAsync(topic, '[]', { qos: 1 });
    await dev.publishAsync(topic, JSON.stringify(Array.from({ length: 65 }, () => 1)), { qos: 1 });
    await until('both dead-lettered', () => server.stats().deadLettered - before2 === 2);
    await dev.endAsync();
  });

  it('dead-letters hostile payloads with reasons, stays up, and keeps hostile-but-valid names intact', async () => {
    const dev = await publisher(broker.url);
    const topic = deviceTopic('wongsorejo', 'wongsorejo-01', 'scans');
    const before = server.stats().deadLettered;
    const good = makeScan(10, {}, 'wongsorejo', 'wongsorejo-01');
    const bad: [string, string | Buffer][] = [
      ['too_large', Buffer.alloc(1024 * 1024, 'a')],
      ['not_json', '{"v":1,'],
      ['schema', JSON.stringify({ ...good, seq: 'satu' })],
      ['schema', JSON.stringify({ ...good, name: 'a\nmeasurement,x=1 y=2' })],
      ['invalid_nik', JSON.stringify({ ...good, scanId: makeScan(11).scanId, nik: '9910210107900001' })],
      ['nik_mismatch', JSON.stringify({ ...good, scanId: makeScan(12).scanId, sex: good.sex === 'L' ? 'P' : 'L' })],
      ['unknown_village', JSON.stringify({ ...good, scanId: makeScan(13).scanId, destinationVillageCode: '35.15.01.2001' })],
      ['topic_mismatch', JSON.stringify({ ...good, deviceId: 'wongsorejo-02' })],
    ];
    for (const [, payload] of bad) await dev.publishAsync(topic, payload, { qos: 1 });
    const hostileNames = ['O\'Brien, "Bli" = <img src=x onerror=alert(1)>', 'a\\', 'Ni Luh Putu Ayu\\"', 'x=1,y=2 z', '🙂 Nyoman'];
    const hostile = hostileNames.map((name, i) => makeScan(20 + i, { name, originAddress: `Jl. "A", No=${i} <b>` }, 'wongsorejo', 'wongsorejo-01'));
    await publishScans(dev, hostile);
    await until('all dead-lettered', () => server.stats().deadLettered - before === bad.length);
    const dl = await api<{ deadLetters: { reason: string; topic: string }[] }>(server, '/api/dead-letters?limit=20', cookie);
    expect(dl.body.data!.deadLetters.filter((d) => d.topic === topic).map((d) => d.reason).sort()).toEqual(bad.map(([r]) => r).sort());
    expect(JSON.stringify(dl.body)).not.toContain(good.nik);
    await until('hostile stored', async () => (await api<ArrivalEvent[]>(server, '/api/arrivals?checkpoint=wongsorejo&limit=50', cookie)).body.data!.length === hostile.length);
    const rows = (await api<ArrivalEvent[]>(server, '/api/arrivals?checkpoint=wongsorejo&limit=50', cookie)).body.data!;
    expect(rows.map((r) => r.name).sort()).toEqual([...hostileNames].sort());
    expect(rows.map((r) => r.originAddress).sort()).toEqual(hostile.map((s) => s.originAddress).sort());
    const health = await api<{ status: string }>(server, '/api/health');
    expect(health.status).toBe(200);
    await dev.endAsync();
  });

  it('InfluxDB killed while scans arrive, then restarted: all stored once, none lost', async () => {
    const dev = await publisher(broker.url);
    const acked = new Set<number>();
    await dev.subscribeAsync(deviceTopic('blimbingsari', 'blimbingsari-01', 'acks'), { qos: 1 });
    dev.on('message', (_t, p) => {
      for (const [a, b] of ScanAckSchema.parse(JSON.parse(p.toString())).ranges) for (let s = a; s <= b; s++) acked.add(s);
    });
    const scans = Array.from({ length: 200 }, (_, i) => makeScan(i + 1, {}, 'blimbingsari', 'blimbingsari-01'));
    await publishScans(dev, scans.slice(0, 50));
    await influx.kill(true);
    await publishScans(dev, scans.slice(50));
    // Acked while InfluxDB is down: they are durable in the spool.
    await until('all acked (spooled)', () => acked.size === scans.length);
    await influx.start();
    await until('spool drained', () => server.stats().spooled === 0 && server.stats().pending === 0);
    // The server's own view of InfluxDB (its health probe) may lag the drain by a moment: read once it answers.
    let ids: string[] = [];
    await until('stored ids readable', async () => {
      ids = await storedIds(server, cookie).catch(() => []);
      return ids.length > 0;
    });
    for (const s of scans) expect(ids.filter((id) => id === s.scanId)).toHaveLength(1);
    // …and InfluxDB has one point per scan: those written at once and those drained from the spool.
    const q = `SELECT count(temperatureC) FROM "arrivals_rp"."arrivals" WHERE device = 'blimbingsari-01'`;
    const res = (await (await influxFetch(influx.url, `/query?db=smart_kampung&q=${encodeURIComponent(q)}`, { method: 'POST' })).json()) as { results: { series?: { values: [string, number][] }[] }[] };
    expect(res.results[0]!.series![0]!.values[0]![1]).toBe(scans.length);
    const st = server.stats();
    expect(st.received).toBe(st.stored + st.duplicates + st.deadLettered + st.dropped + st.pending);
    await dev.endAsync();
  });

  it('server stopped and restarted: scans published meanwhile are stored once', async () => {
    const dev = await publisher(broker.url);
    const scans = Array.from({ length: 100 }, (_, i) => makeScan(i + 1, {}, 'ketapang', 'ketapang-02'));
    await publishScans(dev, scans.slice(0, 40));
    await server.close();
    // The broker keeps QoS 1 messages for the server's persistent session (clean:false, stable clientId).
    await publishScans(dev, scans.slice(40));
    server = await bootServer(env());
    cookie = await signIn(server, dataDir, 'pusat', 'command');
    await until('all stored', async () => {
      const ids = new Set(await storedIds(server, cookie));
      return scans.every((s) => ids.has(s.scanId));
    });
    const ids = await storedIds(server, cookie);
    for (const s of scans) expect(ids.filter((id) => id === s.scanId)).toHaveLength(1);
    await dev.endAsync();
  });

  it('server restarted while InfluxDB is down: the spool survives and drains later', async () => {
    const dev = await publisher(broker.url);
    const scans = Array.from({ length: 60 }, (_, i) => makeScan(i + 1, {}, 'kalibaru', 'kalibaru-03'));
    await influx.kill(true);
    await publishScans(dev, scans);
    await until('spooled', () => server.stats().spooled === scans.length);
    await server.close();
    server = await bootServer(env());
    await influx.start();
    cookie = await signIn(server, dataDir, 'pusat', 'command');
    await until('drained', () => server.stats().spooled === 0);
    const ids = await storedIds(server, cookie);
    for (const s of scans) expect(ids.filter((id) => id === s.scanId)).toHaveLength(1);
    await dev.endAsync();
  });
});
