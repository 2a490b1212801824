/**
 * First-run provisioning for the one-machine system started by `npm start`: the server's MQTT
 * identity, the simulated devices' identities, and two demo staff accounts. The broker stores only
 * scrypt hashes; the plain secrets the simulators need are kept in $DATA_DIR/dev/ (mode 0600), a
 * development convenience — a real device gets its secret once, from `npm run broker -- device add`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addDevice, addServer, list, revoke } from '@sk/broker';
import { CHECKPOINT_IDS } from '@sk/protocol';
import { loadRegions } from '@sk/protocol/regions';
import { addUser, listUsers } from '@sk/server';

export interface Provisioned {
  server: { id: string; secret: string };
  /** JSON file `{ "<deviceId>": "<secret>" }` for the simulators. */
  devicesFile: string;
  accounts: { username: string; password: string; label: string }[];
}

const readJson = <T>(file: string, fallback: T): T => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : fallback);
const writeSecret = (file: string, value: unknown) => writeFileSync(file, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });

/** Issues (or re-issues, when its plain secret was lost) an identity's secret. */
async function ensureIdentity(credFile: string, known: Map<string, boolean>, id: string, issue: () => Promise<{ secret: string }>, have?: string): Promise<string> {
  if (have && known.get(id)) return have;
  if (known.get(id)) await revoke(credFile, id); // active but its secret is gone: re-enrol
  return (await issue()).secret;
}

/** `databaseUrl`: the demo accounts go into that PostgreSQL (cluster mode) instead of DATA_DIR's SQLite. */
export async function provision(opts: { dataDir: string; devicesPerCheckpoint: number; databaseUrl?: string }): Promise<Provisioned> {
  const devDir = join(opts.dataDir, 'dev');
  mkdirSync(devDir, { recursive: true, mode: 0o700 });
  mkdirSync(join(opts.dataDir, 'broker'), { recursive: true });
  const credFile = join(opts.dataDir, 'broker', 'credentials.json');
  const active = new Map((await list(credFile)).map((i) => [i.id, !i.revokedAt] as const));

  const serverFile = join(devDir, 'server-secret.json');
  const serverSaved = readJson<{ id?: string; secret?: string }>(serverFile, {});
  const serverId = 'sk-server';
  const serverSecret = await ensureIdentity(credFile, active, serverId, () => addServer(credFile, serverId), serverSaved.secret);
  writeSecret(serverFile, { id: serverId, secret: serverSecret });

  const devicesFile = join(devDir, 'device-secrets.json');
  const devices = readJson<Record<string, string>>(devicesFile, {});
  for (const checkpointId of CHECKPOINT_IDS) {
    for (let n = 1; n <= opts.devicesPerCheckpoint; n++) {
      const deviceId = `${checkpointId}-${String(n).padStart(2, '0')}`;
      devices[deviceId] = await ensureIdentity(credFile, active, deviceId, () => addDevice(credFile, { checkpointId, deviceId }), devices[deviceId]);
    }
  }
  writeSecret(devicesFile, devices);

  const accountsFile = join(devDir, 'accounts.json');
  let accounts = readJson<Provisioned['accounts']>(accountsFile, []);
  const records = { dataDir: opts.dataDir, databaseUrl: opts.databaseUrl };
  if (accounts.length === 0 || !(await listUsers(records)).some((u) => u.username === 'komando')) {
    // The demo village officer serves the first kelurahan of Kalipuro, the district of Ketapang port.
    const village = loadRegions().villages.find((v) => v.districtCode === '35.10.21') ?? loadRegions().villages[0]!;
    const admin = await addUser(records, { username: 'komando', role: 'command', displayName: 'Command Centre' });
    const officer = await addUser(records, { username: 'desa', role: 'village', villageCode: village.code, displayName: `Petugas ${village.name}` });
    accounts = [
      { username: 'komando', password: admin.password, label: 'command centre' },
      { username: 'desa', password: officer.password, label: `village officer, ${village.name} ${village.code}` },
    ];
    writeSecret(accountsFile, accounts);
    writeFileSync(join(devDir, 'accounts.txt'), accounts.map((a) => `${a.username}\t${a.password}\t${a.label}`).join('\n') + '\n', { mode: 0o600 });
  }
  return { server: { id: serverId, secret: serverSecret }, devicesFile, accounts };
}
