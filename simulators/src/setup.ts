/** Builds a Fleet from the shared CLI options (credentials file or bare mode). */
import { readFileSync } from 'node:fs';
import { CHECKPOINT_IDS } from '@sk/protocol';
import { deviceIdFor, Fleet } from './fleet.ts';
import { FAULT_KINDS, FaultInjector, planClockSkew, SKEW_VARIANTS, type FaultKind, type SkewVariant } from './faults.ts';
import { TravellerGenerator } from './travellers.ts';
import { loadWorld } from './world.ts';
import { Checker, type Specs } from './options.ts';

export const FLEET: Specs = {
  checkpoints: { type: 'string', help: 'checkpoints to run, comma-separated', default: CHECKPOINT_IDS.join(',') },
  devices: { type: 'string', help: 'devices per checkpoint', default: '2' },
  'drain-timeout': { type: 'string', help: 'seconds to wait for the last acks at the end', default: '30' },
  'scans-per-message': { type: 'string', help: 'scans per MQTT message while a device drains a backlog (1 = one per message)', default: '32' },
  faults: { type: 'string', help: `inject faults, comma-separated: ${FAULT_KINDS.join(', ')} (drop/restart route devices through a cuttable link)` },
  'fault-every': { type: 'string', help: 'seconds between injected faults', default: '5' },
  'skew-to': { type: 'string', help: `with --faults skew, set every device's clock to ${SKEW_VARIANTS.join(', ')} (default: a seeded mix of drift, ±1 h, 1970 and 2099)` },
  'broker-credentials': { type: 'string', help: 'the broker\'s credentials file, for the revoke fault', env: 'SK_BROKER_CREDENTIALS' },
};

export interface FleetPlan {
  fleet: Fleet;
  checkpointIds: string[];
  drainTimeoutMs: number;
  faults?: { injector: FaultInjector; everyMs: number };
}

export function planFleet(c: Checker): () => FleetPlan {
  const broker = c.url('broker');
  const dataDir = c.str('data-dir')!;
  const devices = c.num('devices', { min: 1, max: 99, integer: true });
  const drain = c.num('drain-timeout', { min: 0, max: 3600 });
  const scansPerMessage = c.num('scans-per-message', { min: 1, max: 64, integer: true });
  const checkpointIds = (c.str('checkpoints') ?? '').split(',').filter(Boolean);
  for (const id of checkpointIds) if (!CHECKPOINT_IDS.includes(id)) c.fail(`--checkpoints: unknown checkpoint ${JSON.stringify(id)} (known: ${CHECKPOINT_IDS.join(', ')})`);
  if (checkpointIds.length === 0) c.fail('--checkpoints: at least one');
  const bare = c.bool('bare');
  const credFile = c.str('credentials');
  let credentials: Map<string, string> | undefined;
  if (!bare && !credFile) c.fail('give --credentials <file> (provisioned device secrets) or --bare for a broker without auth');
  if (credFile && !bare) {
    try {
      const json = JSON.parse(readFileSync(credFile, 'utf8')) as Record<string, unknown>;
      credentials = new Map(Object.entries(json).filter((e): e is [string, string] => typeof e[1] === 'string'));
    } catch (err) {
      c.fail(`--credentials: cannot read ${credFile}: ${(err as Error).message}`);
    }
  }
  const observerUser = c.str('observer-user');
  const kinds = (c.str('faults') ?? '').split(',').filter(Boolean);
  for (const k of kinds) if (!(FAULT_KINDS as readonly string[]).includes(k)) c.fail(`--faults: unknown fault ${JSON.stringify(k)} (known: ${FAULT_KINDS.join(', ')})`);
  const faultEvery = c.num('fault-every', { min: 0.05, max: 86_400 });
  const brokerCredentialsFile = c.str('broker-credentials');
  if (kinds.includes('revoke') && (bare || !brokerCredentialsFile)) c.fail('--faults revoke needs an authenticating broker: --credentials and --broker-credentials <its credentials file>');
  const skewTo = c.str('skew-to');
  if (skewTo !== undefined && !(SKEW_VARIANTS as readonly string[]).includes(skewTo)) c.fail(`--skew-to: one of ${SKEW_VARIANTS.join(', ')}`);
  const seed = c.str('seed') ?? '1';
  return () => {
    const deviceIds = checkpointIds.flatMap((cp) => Array.from({ length: devices ?? 2 }, (_, i) => deviceIdFor(cp, i + 1)));
    const skew = kinds.includes('skew') ? planClockSkew(deviceIds, seed, Date.now(), skewTo as SkewVariant | undefined) : undefined;
    const fleet = new Fleet({
      brokerUrls: broker!.split(','),
      checkpointIds,
      devicesPerCheckpoint: devices ?? 2,
      credentials,
      dataDir,
      // Default: the agents' own `acked` events; an MQTT observer only when asked for.
      observer: observerUser ? { username: observerUser, password: c.str('observer-password') } : undefined,
      proxied: kinds.includes('drop') || kinds.includes('restart'),
      clockSkewMs: skew,
      scansPerMessage,
    });
    const injector = kinds.length > 0
      ? new FaultInjector(fleet, { kinds: kinds as FaultKind[], seed, brokerUrl: broker!.split(',')[0]!, credentials, skew, brokerCredentialsFile, sampleInput: new TravellerGenerator(loadWorld(), { seed: `${seed}/hostile` }).next().input })
      : undefined;
    return { checkpointIds, drainTimeoutMs: (drain ?? 30) * 1000, fleet, ...(injector ? { faults: { injector, everyMs: (faultEvery ?? 5) * 1000 } } : {}) };
  };
}
