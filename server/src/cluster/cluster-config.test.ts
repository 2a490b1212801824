import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.ts';

const base = { INFLUX_URL: 'http://127.0.0.1:8086' };

describe('cluster settings in the server config', () => {
  it('single node by default: one broker, no Redis, InfluxDB 1.x', () => {
    const c = loadConfig(base);
    expect(c.mqttUrls).toEqual(['mqtt://127.0.0.1:1883']);
    expect(c.redisUrl).toBeUndefined();
    expect(c.influx2).toBeUndefined();
  });

  it('MQTT_URL lists the brokers of one cluster; mqttUrl is the first', () => {
    const c = loadConfig({ ...base, MQTT_URL: 'mqtt://a:1883, mqtt://b:1884', REDIS_URL: 'redis://127.0.0.1:6390' });
    expect(c.mqttUrls).toEqual(['mqtt://a:1883', 'mqtt://b:1884']);
    expect(c.mqttUrl).toBe('mqtt://a:1883');
    expect(c.redisUrl).toBe('redis://127.0.0.1:6390');
  });

  it.each([
    [{ MQTT_URL: 'mqtt://a:1,http://b' }, 'MQTT_URL'],
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, 'REDIS_URL'],
    [{ INFLUX_TOKEN: 't', INFLUX_ORG: 'o' }, 'INFLUX_BUCKET'],
  ])('refuses %j with a clear error', (env, where) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, ...env })).toThrow(where);
  });

  it('INFLUX_TOKEN + INFLUX_ORG + INFLUX_BUCKET choose InfluxDB 2.x/3.x', () => {
    expect(loadConfig({ ...base, INFLUX_TOKEN: 't', INFLUX_ORG: 'o', INFLUX_BUCKET: 'b' }).influx2).toEqual({ token: 't', org: 'o', bucket: 'b' });
  });
});
