/** Prometheus metrics (prom-client), read from the live counters at scrape time. No personal data, no ids of people. */
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricsSource {
  ingest(): { received: number; stored: number; deadLettered: number; spooled: number; dropped: number; duplicates: number; pending: number };
  deadLettersByReason(): ReadonlyMap<string, number>;
  mqttUp(): boolean;
  influxUp(): boolean;
  liveClients(): number;
  devicesOnline(): number;
}

export function createMetrics(src: MetricsSource): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sk_server_' });
  const gauge = (name: string, help: string, collect: (g: Gauge) => void, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry], collect() { collect(this); } });

  // Counters are exposed as gauges of running totals: they come from the ingest pipeline's own counts.
  gauge('sk_ingest_scans_total', 'Scan messages by outcome (received = stored + dead_lettered + spooled + dropped + pending)', (g) => {
    g.reset();
    for (const [outcome, n] of Object.entries(src.ingest())) g.set({ outcome }, n);
  }, ['outcome']);
  gauge('sk_ingest_dead_letters_total', 'Rejected messages by reason', (g) => {
    g.reset();
    for (const [reason, n] of src.deadLettersByReason()) g.set({ reason }, n);
  }, ['reason']);
  gauge('sk_mqtt_up', '1 when connected to the broker', (g) => g.set(src.mqttUp() ? 1 : 0));
  gauge('sk_influx_up', '1 when InfluxDB accepts writes', (g) => g.set(src.influxUp() ? 1 : 0));
  gauge('sk_live_clients', 'Connected socket.io clients', (g) => g.set(src.liveClients()));
  gauge('sk_devices_online', 'Checkpoint devices whose last status is online', (g) => g.set(src.devicesOnline()));
  return registry;
}
