/** The alerts feature: applies the pure rules to accepted scans and device statuses, keeps the book. */
import type { DeviceStatus, Scan } from '@sk/protocol';
import type { PublicUser } from '../auth/users.ts';
import { AlertBook, type Alert } from './alert-book.ts';
import { deviceAlert, deviceOffline, scanAlerts, type RuleOptions } from './rules.ts';

export class Alerts {
  readonly book: AlertBook;
  readonly #devices = new Map<string, DeviceStatus>();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: RuleOptions & { offlineAfterMs: number; now?: () => Date }) {
    this.book = new AlertBook(o.now);
  }

  /** Checks for devices gone silent without a last will (e.g. a network cut the broker has not noticed). */
  start(checkEveryMs = 5000): void {
    this.#timer = setInterval(() => this.#checkSilent(), checkEveryMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  onScan(scan: Scan): void {
    for (const c of scanAlerts(scan, this.o)) this.book.raise(c);
  }

  onStatus(s: DeviceStatus): void {
    this.#devices.set(`${s.checkpointId}/${s.deviceId}`, s);
    this.#apply(s);
  }

  /** What a user may see: command all; a village officer its village's travellers; a checkpoint officer its checkpoint. */
  visibleTo(user: PublicUser): (a: Alert) => boolean {
    if (user.role === 'command') return () => true;
    if (user.role === 'village') return (a) => a.villageCode !== undefined && a.villageCode === user.villageCode;
    return (a) => a.checkpointId === user.checkpointId;
  }

  #apply(s: DeviceStatus): void {
    const now = (this.o.now?.() ?? new Date()).getTime();
    if (deviceOffline(s, now, this.o.offlineAfterMs)) this.book.raise(deviceAlert(s));
    else this.book.clearKey(`${s.checkpointId}/${s.deviceId}`, 'device_offline', 'system');
  }

  #checkSilent(): void {
    for (const s of this.#devices.values()) this.#apply(s);
  }
}
