/** Double-aid alarms for this console: loaded over HTTP, then live over socket.io; a new one sounds. */
import { io, type Socket } from 'socket.io-client';
import type { AidAlarm, AidCheckResult, AidRecordResult, ClientToServerEvents, ServerToClientEvents } from '@sk/protocol';
import { api } from './api.ts';
import { playAlarm } from './aid-sound.ts';

export class AidAlarms {
  alarms = $state.raw<AidAlarm[]>([]);
  #socket: Socket<ServerToClientEvents, ClientToServerEvents> | null = null;

  /** Unacknowledged alarms keep the panel flashing. */
  get unacknowledged(): number {
    return this.alarms.filter((a) => !a.acknowledgedAt).length;
  }

  async start(): Promise<void> {
    this.alarms = await api<AidAlarm[]>('/api/aid/alarms').catch(() => []);
    const s: Socket<ServerToClientEvents, ClientToServerEvents> = io({ path: '/socket.io', withCredentials: true, transports: ['websocket', 'polling'] });
    this.#socket = s;
    s.on('aid:alarm', (a) => {
      if (this.alarms.some((x) => x.id === a.id)) return;
      this.alarms = [a, ...this.alarms];
      playAlarm();
    });
    s.on('aid:alarm-update', (a) => (this.alarms = this.alarms.map((x) => (x.id === a.id ? a : x))));
  }

  stop(): void {
    this.#socket?.close();
  }

  check(body: Record<string, string>): Promise<AidCheckResult> {
    return api<AidCheckResult>('/api/aid/check', { method: 'POST', body });
  }

  record(body: Record<string, string>): Promise<AidRecordResult> {
    return api<AidRecordResult>('/api/aid/handouts', { method: 'POST', body });
  }

  async ack(id: number): Promise<void> {
    const a = await api<AidAlarm>(`/api/aid/alarms/${id}/ack`, { method: 'POST', body: {} });
    this.alarms = this.alarms.map((x) => (x.id === a.id ? a : x));
  }

  async resolve(id: number, action: 'cancel' | 'confirm', reason: string): Promise<void> {
    const a = await api<AidAlarm>(`/api/aid/alarms/${id}/resolve`, { method: 'POST', body: { action, reason } });
    this.alarms = this.alarms.map((x) => (x.id === a.id ? a : x));
  }
}
