/**
 * The alerts a console shows: loaded over HTTP (history included), kept fresh by the live `alert`
 * event, and reloaded after every (re)connect so a dashboard never silently misses an alarm.
 * A new critical alert sets `announce` (the panel shows it in a live region until dismissed).
 */
import type { AlertEvent } from '@sk/protocol';
import { api } from './api.ts';
import type { MessageKey } from './i18n.svelte.ts';

const KEEP = 300;

export class AlertBoard {
  alerts = $state.raw<readonly AlertEvent[]>([]);
  announce = $state<AlertEvent | null>(null);
  error = $state<MessageKey | null>(null);
  readonly open = $derived(this.alerts.filter((a) => a.state !== 'cleared'));

  async load(): Promise<void> {
    try {
      this.alerts = await api<AlertEvent[]>(`/api/alerts?active=false&limit=${KEEP}`);
      this.error = null;
    } catch (e) {
      this.error = (e as { messageKey?: MessageKey }).messageKey ?? 'loadFailed';
    }
  }

  /** From the socket: insert or replace by id, newest first. */
  upsert(a: AlertEvent): void {
    const known = this.alerts.some((x) => x.id === a.id);
    if (!known && a.severity === 'critical' && a.state === 'active') this.announce = a;
    const rest = this.alerts.filter((x) => x.id !== a.id);
    this.alerts = [a, ...rest].sort((x, y) => y.id - x.id).slice(0, KEEP);
  }

  async act(a: AlertEvent, action: 'ack' | 'clear'): Promise<void> {
    try {
      this.upsert(await api<AlertEvent>(`/api/alerts/${a.id}/${action}`, { method: 'POST' }));
      if (this.announce?.id === a.id) this.announce = null;
    } catch (e) {
      this.error = (e as { messageKey?: MessageKey }).messageKey ?? 'loadFailed';
    }
  }
}
