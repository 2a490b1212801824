/**
 * The follow-up list a console shows (issue 17): loaded over HTTP (the server scopes it: a village
 * officer's own village, the command centre everything), kept fresh by the live `follow-up` event and
 * reloaded after every (re)connect. Most urgent first, as the server orders it.
 */
import type { AlertSummary, FollowUpEvent, FollowUpState } from '@sk/protocol';
import { api, query } from './api.ts';
import type { MessageKey } from './i18n.svelte.ts';

const KEEP = 200;
const RANK: Record<string, number> = { positive: 1, fever: 2, symptoms: 3, watch_origin: 4 };

export class FollowUpBoard {
  items = $state.raw<readonly FollowUpEvent[]>([]);
  summary = $state.raw<AlertSummary['followUps'] | null>(null);
  overdueOnly = $state(false);
  error = $state<MessageKey | null>(null);

  async load(): Promise<void> {
    try {
      const [items, summary] = await Promise.all([
        api<FollowUpEvent[]>(`/api/follow-ups${query({ limit: KEEP, overdue: this.overdueOnly ? 'true' : undefined })}`),
        api<AlertSummary>('/api/alerts/summary'),
      ]);
      this.items = items;
      this.summary = summary.followUps;
      this.error = null;
    } catch (e) {
      this.error = (e as { messageKey?: MessageKey }).messageKey ?? 'loadFailed';
    }
  }

  #reload: ReturnType<typeof setTimeout> | undefined;

  /**
   * From the socket. The live channel carries no name: a row already listed keeps the one loaded over
   * HTTP; a new one is shown at once and the list reloaded (coalesced) to bring its name.
   */
  upsert(f: FollowUpEvent): void {
    const old = this.items.find((x) => x.id === f.id);
    if (!old && f.name === undefined) this.#reload ??= setTimeout(() => { this.#reload = undefined; void this.load(); }, 250);
    const merged = { ...f, name: f.name ?? old?.name, nikMasked: f.nikMasked ?? old?.nikMasked };
    const rest = this.items.filter((x) => x.id !== f.id);
    const keep = merged.state !== 'selesai' && (!this.overdueOnly || merged.overdue);
    this.items = (keep ? [...rest, merged] : rest)
      .sort((a, b) => (RANK[a.reason] ?? 9) - (RANK[b.reason] ?? 9) || a.dueAt.localeCompare(b.dueAt) || a.id - b.id)
      .slice(0, KEEP);
  }

  async move(f: FollowUpEvent, state: FollowUpState): Promise<void> {
    try {
      this.upsert(await api<FollowUpEvent>(`/api/follow-ups/${f.id}/state`, { method: 'POST', body: { state } }));
    } catch (e) {
      this.error = (e as { messageKey?: MessageKey }).messageKey ?? 'loadFailed';
    }
  }
}
