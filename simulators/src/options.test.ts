import { describe, expect, it } from 'vitest';
import { Checker, parseOptions, UsageError, type Specs } from './options.ts';

const specs: Specs = {
  rate: { type: 'string', help: 'r', default: '50' },
  broker: { type: 'string', help: 'b', env: 'SK_BROKER_URL', default: 'mqtt://127.0.0.1:1883' },
  json: { type: 'boolean', help: 'j' },
};

describe('options', () => {
  it('flag beats env beats default', () => {
    expect(parseOptions([], specs, {})).toMatchObject({ rate: '50', broker: 'mqtt://127.0.0.1:1883' });
    expect(parseOptions([], specs, { SK_BROKER_URL: 'mqtt://b:1' }).broker).toBe('mqtt://b:1');
    expect(parseOptions(['--broker', 'mqtt://c:2', '--json'], specs, { SK_BROKER_URL: 'mqtt://b:1' })).toMatchObject({ broker: 'mqtt://c:2', json: true });
  });

  it('an unknown flag is a usage error', () => {
    expect(() => parseOptions(['--nope'], specs, {})).toThrow(UsageError);
  });

  it('lists every invalid value at once', () => {
    const c = new Checker(parseOptions(['--rate', 'x', '--broker', 'not a url'], specs, {}));
    c.num('rate', { min: 0 });
    c.url('broker');
    expect(() => c.done()).toThrow(/--rate[\s\S]*--broker/);
  });
});
