/**
 * The device's desk, pushed live by the agent over server-sent events (GET /api/events): status bar
 * figures and the latest entries with their state. No polling: EventSource reconnects by itself.
 */
import type { DeskSnapshot } from '../../../src/officer/desk.ts';

class Desk {
  snapshot = $state<DeskSnapshot | null>(null);
  /** The screen's own link to the agent (not the broker's); assumed up until EventSource says otherwise (no flash at load). */
  linked = $state(true);
  #es: EventSource | null = null;

  connect(): void {
    this.#es?.close();
    const es = new EventSource('/api/events');
    es.addEventListener('desk', (e) => {
      this.snapshot = JSON.parse((e as MessageEvent<string>).data) as DeskSnapshot;
      this.linked = true;
    });
    es.onerror = () => { this.linked = false; };
    this.#es = es;
  }
}

export const desk = new Desk();
