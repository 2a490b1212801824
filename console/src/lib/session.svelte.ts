/** Who is logged in. The session itself is the server's httpOnly `sk_session` cookie; we only mirror the user. */
import { api, ApiError, onUnauthorized } from './api.ts';
import type { MessageKey } from './i18n.svelte.ts';

export interface User {
  username: string;
  displayName: string;
  role: 'command' | 'village' | 'checkpoint';
  villageCode?: string;
  checkpointId?: string;
}

export class Session {
  user = $state<User | null>(null);
  /** False until the first /api/auth/me answered, so we don't flash the login form. */
  ready = $state(false);
  error = $state<MessageKey | null>(null);
  busy = $state(false);

  constructor() {
    onUnauthorized(() => {
      if (this.user) this.error = 'sessionExpired';
      this.user = null;
    });
  }

  async restore(): Promise<void> {
    try {
      this.user = (await api<{ user: User }>('/api/auth/me', { quiet401: true })).user;
    } catch {
      this.user = null;
    } finally {
      this.ready = true;
    }
  }

  async login(username: string, password: string): Promise<boolean> {
    this.busy = true;
    this.error = null;
    try {
      this.user = (await api<{ user: User }>('/api/auth/login', { method: 'POST', body: { username, password }, quiet401: true })).user;
      return true;
    } catch (e) {
      this.error = e instanceof ApiError ? (e.status === 401 || e.status === 400 ? 'loginFailed' : e.messageKey) : 'serverError';
      return false;
    } finally {
      this.busy = false;
    }
  }

  async logout(): Promise<void> {
    try {
      await api('/api/auth/logout', { method: 'POST', quiet401: true });
    } catch {
      // Logged out locally anyway; the cookie expires on its own.
    }
    this.user = null;
    this.error = null;
  }
}
