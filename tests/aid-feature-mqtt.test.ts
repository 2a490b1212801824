/**
 * The feature MQTT client (aid devices, puskesmas reports) gives PUBACK only for what it stored:
 * a storage failure leaves the message unacknowledged and the broker (real aedes) delivers it again;
 * a bad payload is acknowledged and dropped, never redelivered.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadMessage, FeatureMqtt } from '../server/src/aid/feature-mqtt.ts';
import { publisher, startBareBroker, until } from './server-fixtures.ts';

describe('feature MQTT acknowledgements', () => {
  let broker: Awaited<ReturnType<typeof startBareBroker>>;
  let feature: FeatureMqtt;
  const calls: string[] = [];
  let diskBroken = true;

  beforeAll(async () => {
    broker = await startBareBroker();
    feature = new FeatureMqtt({ url: broker.url, clientId: 'sk-server-features' }, {
      'sk/v1/puskesmas/+/devices/+/reports': (_t, payload) => {
        const body = payload.toString();
        calls.push(body);
        if (body === 'bad') throw new BadMessage('payload: not JSON');
        if (diskBroken) {
          diskBroken = false; // the next attempt succeeds
          throw new Error('ENOSPC: no space left on device');
        }
      },
    }, pino({ level: 'silent' }));
    await feature.start();
  });

  afterAll(async () => {
    await feature?.stop();
    await broker?.close();
  });

  it('a message whose storage failed arrives again and is then acknowledged; a bad one is dropped once', async () => {
    const dev = await publisher(broker.url);
    await dev.publishAsync('sk/v1/puskesmas/sobo/devices/sobo-01/reports', 'report-1', { qos: 1 });
    await until('stored on the second delivery', () => calls.filter((c) => c === 'report-1').length === 2);
    expect(feature.unstored).toBe(1);
    await dev.publishAsync('sk/v1/puskesmas/sobo/devices/sobo-01/reports', 'bad', { qos: 1 });
    await dev.publishAsync('sk/v1/puskesmas/sobo/devices/sobo-01/reports', 'marker', { qos: 1 });
    // Per-publisher order holds on one subscription: once the marker is in, the bad one came before it.
    await until('marker', () => calls.includes('marker'));
    expect(calls).toEqual(['report-1', 'report-1', 'bad', 'marker']);
    expect(feature.rejected).toBe(1);
    await dev.endAsync();
  });
});
