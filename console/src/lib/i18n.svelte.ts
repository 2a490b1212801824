/**
 * A tiny i18n: Bahasa Indonesia first, English as a toggle. One dictionary, typed by the Indonesian
 * keys so a missing English string is a type error. `{name}` placeholders are filled by `t()`.
 * Strings are always rendered as text (never {@html}).
 */
import { id, type MessageKey } from './messages-id.ts';
import { en } from './messages-en.ts';

export type { MessageKey };

export type Locale = 'id' | 'en';
const DICTS: Record<Locale, Record<MessageKey, string>> = { id, en };
const STORAGE_KEY = 'sk.locale';

class I18n {
  locale = $state<Locale>(readStoredLocale());

  /** `i18n.t('villageOf', { name: 'Ketapang' })` → `'Desa Ketapang'` */
  t = (key: MessageKey, params?: Record<string, string | number>): string => {
    let s = DICTS[this.locale][key];
    if (params) for (const [k, v] of Object.entries(params)) s = s.replaceAll(`{${k}}`, String(v));
    return s;
  };

  toggle(): void {
    this.locale = this.locale === 'id' ? 'en' : 'id';
    try { localStorage.setItem(STORAGE_KEY, this.locale); } catch { /* private mode: keep in memory */ }
    document.documentElement.lang = this.locale;
  }
}

function readStoredLocale(): Locale {
  try { return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'id'; } catch { return 'id'; }
}

export const i18n = new I18n();
export const t = i18n.t;
