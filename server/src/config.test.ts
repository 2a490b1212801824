import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('applies defaults and freezes', () => {
    const c = loadConfig({ INFLUX_URL: 'http://127.0.0.1:8086/' });
    expect(c).toMatchObject({ httpPort: 8080, host: '127.0.0.1', mqttUrl: 'mqtt://127.0.0.1:1883', influxUrl: 'http://127.0.0.1:8086', influxDb: 'smart_kampung', dataDir: './data', consoleDir: 'console/dist' });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('lists every problem at once', () => {
    try {
      loadConfig({ HTTP_PORT: 'x', MQTT_URL: 'ftp://a', LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).problems.map((p) => p.split(':')[0]).sort()).toEqual(['HTTP_PORT', 'INFLUX_URL', 'LOG_LEVEL', 'MQTT_URL']);
    }
  });

  it('wants MQTT username and password together', () => {
    expect(() => loadConfig({ INFLUX_URL: 'http://a:1', MQTT_USERNAME: 'server' })).toThrow(/give both/);
  });
});
