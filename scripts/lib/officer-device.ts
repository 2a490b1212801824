/**
 * `npm start`'s demo checkpoint device with the officer's screen (issue 16): `ketapang-petugas` at
 * Pelabuhan Ketapang, its own broker identity (the simulated devices' ids stay theirs). As for the
 * simulators, the plain secret is kept in $DATA_DIR/dev/ (mode 0600) — a development convenience; a
 * real device gets its secret once from `npm run broker -- device add`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addDevice, list, revoke } from '@sk/broker';

export const OFFICER_DEVICE = Object.freeze({ checkpointId: 'ketapang', deviceId: 'ketapang-petugas' });

/** Returns the device's secret, issuing it (again, when the saved one is gone) before the broker starts. */
export async function provisionOfficerDevice(dataDir: string): Promise<string> {
  const credFile = join(dataDir, 'broker', 'credentials.json');
  const file = join(dataDir, 'dev', 'officer-device.json');
  mkdirSync(join(dataDir, 'dev'), { recursive: true, mode: 0o700 });
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { secret?: string }).secret : undefined;
  const active = (await list(credFile)).some((i) => i.id === OFFICER_DEVICE.deviceId && !i.revokedAt);
  if (saved && active) return saved;
  if (active) await revoke(credFile, OFFICER_DEVICE.deviceId);
  const { secret } = await addDevice(credFile, OFFICER_DEVICE);
  writeFileSync(file, `${JSON.stringify({ ...OFFICER_DEVICE, secret }, null, 2)}\n`, { mode: 0o600 });
  return secret;
}
