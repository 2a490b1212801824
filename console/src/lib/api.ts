/**
 * The console's one HTTP path: every endpoint answers protocol's ApiReply<T>; anything else
 * (network down, HTML error page, 5xx) becomes an ApiError with a code the UI maps to a sentence.
 */
import type { ApiReply } from '@sk/protocol';
import type { MessageKey } from './i18n.svelte.ts';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }

  /** The sentence to show the user (never a stack or a raw server message). */
  get messageKey(): MessageKey {
    if (this.status === 0) return 'networkError';
    if (this.status === 401) return 'sessionExpired';
    if (this.status === 429) return 'loginThrottled';
    return this.status >= 500 ? 'serverError' : 'loadFailed';
  }
}

/** Listeners told when any call comes back 401, so the app can return to the login screen. */
const unauthorizedListeners = new Set<() => void>();
export function onUnauthorized(fn: () => void): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

export async function api<T>(path: string, init?: { method?: 'GET' | 'POST'; body?: unknown; quiet401?: boolean }): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: init?.method ?? 'GET',
      credentials: 'same-origin',
      headers: init?.body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: init?.body === undefined ? undefined : JSON.stringify(init.body),
    });
  } catch {
    throw new ApiError(0, 'network', 'network error');
  }
  let reply: ApiReply<T> | undefined;
  try {
    reply = (await res.json()) as ApiReply<T>;
  } catch {
    reply = undefined;
  }
  if (res.status === 401 && !init?.quiet401) for (const fn of unauthorizedListeners) fn();
  if (!reply || typeof reply !== 'object' || !('ok' in reply)) throw new ApiError(res.status || 500, 'bad_reply', `HTTP ${res.status}`);
  if (!reply.ok) throw new ApiError(res.status, reply.error.code, reply.error.message);
  return reply.data;
}

/** Builds `?a=1&b=2` from the non-empty values. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
