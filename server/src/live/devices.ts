/** Latest status per checkpoint device (from the retained `…/status` topics). */
import type { DeviceStatus } from '@sk/protocol';

export class DeviceRegistry {
  readonly #latest = new Map<string, DeviceStatus>();

  /** Keeps the newest by `at`; a stale retained message never overwrites a fresher one. True when it changed. */
  update(s: DeviceStatus): boolean {
    const key = `${s.checkpointId}/${s.deviceId}`;
    const prev = this.#latest.get(key);
    if (prev && Date.parse(prev.at) > Date.parse(s.at)) return false;
    this.#latest.set(key, s);
    return true;
  }

  list(): DeviceStatus[] {
    return [...this.#latest.values()].sort((a, b) => `${a.checkpointId}/${a.deviceId}`.localeCompare(`${b.checkpointId}/${b.deviceId}`));
  }

  online(): number {
    return this.list().filter((s) => s.state === 'online').length;
  }
}
