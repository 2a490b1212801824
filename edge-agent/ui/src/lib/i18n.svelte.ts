/** Bahasa Indonesia first, English as a toggle (remembered on this device). Always rendered as text. */
import { en, id, type MessageKey } from './messages.ts';

export type Locale = 'id' | 'en';
const KEY = 'sk.officer.locale';

class I18n {
  locale = $state<Locale>(stored());

  t = (key: MessageKey, params?: Record<string, string | number>): string => {
    let s: string = (this.locale === 'en' ? en : id)[key];
    if (params) for (const [k, v] of Object.entries(params)) s = s.replaceAll(`{${k}}`, String(v));
    return s;
  };

  toggle(): void {
    this.locale = this.locale === 'id' ? 'en' : 'id';
    try { localStorage.setItem(KEY, this.locale); } catch { /* private mode */ }
    document.documentElement.lang = this.locale;
  }
}

function stored(): Locale {
  try { return localStorage.getItem(KEY) === 'en' ? 'en' : 'id'; } catch { return 'id'; }
}

export const i18n = new I18n();
export const t = i18n.t;
