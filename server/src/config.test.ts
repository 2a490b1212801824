import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';
import { featureTuning } from './arrivals/checkpoint-features.ts';

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

describe('alert and feature windows (issue 5)', () => {
  it('default to the values the features used before they were configurable', () => {
    const c = loadConfig({ INFLUX_URL: 'http://a:1' });
    expect(c).toMatchObject({ arrivalOverdueMin: 120, overdueCheckSec: 10, alertDedupMin: 360, quarantineDays: 14 });
    expect(c.surge).toEqual({ windowMin: 10, baselineMin: 60, factor: 3, minCount: 50 });
    expect(Object.isFrozen(c.surge)).toBe(true);
  });

  it('reads them from the environment', () => {
    const c = loadConfig({
      INFLUX_URL: 'http://a:1', ARRIVAL_OVERDUE_MIN: '45', OVERDUE_CHECK_SEC: '30', ALERT_DEDUP_MIN: '15',
      SURGE_WINDOW_MIN: '5', SURGE_BASELINE_MIN: '30', SURGE_FACTOR: '2.5', SURGE_MIN_COUNT: '20', QUARANTINE_DAYS: '10',
    });
    expect(c).toMatchObject({ arrivalOverdueMin: 45, overdueCheckSec: 30, alertDedupMin: 15, quarantineDays: 10, surge: { windowMin: 5, baselineMin: 30, factor: 2.5, minCount: 20 } });
    // …and hands them to the features in their units (a test's own `tuning` is spread over this in server.ts).
    expect(featureTuning(c)).toEqual({ overdueAfterMs: 45 * 60_000, overdueCheckMs: 30_000, quarantineDays: 10 });
  });

  it('lists every bad window at once', () => {
    try {
      loadConfig({ INFLUX_URL: 'http://a:1', ARRIVAL_OVERDUE_MIN: '0', OVERDUE_CHECK_SEC: 'x', ALERT_DEDUP_MIN: '-5', SURGE_FACTOR: '0.5', SURGE_MIN_COUNT: '1.5', QUARANTINE_DAYS: '400' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).problems.map((p) => p.split(':')[0]).sort()).toEqual(['ALERT_DEDUP_MIN', 'ARRIVAL_OVERDUE_MIN', 'OVERDUE_CHECK_SEC', 'QUARANTINE_DAYS', 'SURGE_FACTOR', 'SURGE_MIN_COUNT']);
    }
  });
});

describe('alert triage (issue 17)', () => {
  const base = { INFLUX_URL: 'http://127.0.0.1:8086' };
  it('defaults: symptoms and watched origins are follow-ups; the command centre answers devices, surges, quarantine and overdue follow-ups', () => {
    expect(loadConfig(base).triage).toEqual({
      symptoms: 'follow_up', watchOrigin: 'follow_up', followUpUrgentMin: 120, followUpDueMin: 1440,
      commandRules: ['device_offline', 'device_backlog', 'arrival_surge', 'quarantine_full', 'follow_up_overdue'],
    });
  });

  it('reads every rule and threshold; an unknown rule name is refused in words', () => {
    const c = loadConfig({ ...base, TRIAGE_SYMPTOMS: 'alert', TRIAGE_WATCH_ORIGIN: 'off', ALERT_COMMAND_RULES: 'rapid_positive, device_offline', FOLLOW_UP_URGENT_MIN: '30', FOLLOW_UP_DUE_MIN: '600' });
    expect(c.triage).toEqual({ symptoms: 'alert', watchOrigin: 'off', commandRules: ['rapid_positive', 'device_offline'], followUpUrgentMin: 30, followUpDueMin: 600 });
    try {
      loadConfig({ ...base, ALERT_COMMAND_RULES: 'fever,demam', TRIAGE_SYMPTOMS: 'maybe' });
      expect.unreachable();
    } catch (e) {
      const problems = (e as ConfigError).problems.join('\n');
      expect(problems).toMatch(/ALERT_COMMAND_RULES.*unknown alert rule "demam"/);
      expect(problems).toMatch(/TRIAGE_SYMPTOMS/);
    }
  });
});
