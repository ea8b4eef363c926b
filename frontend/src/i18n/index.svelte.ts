import type { Language } from '../api/types';
import { en } from './en';
import { nl, type Catalogue } from './nl';

export type { Catalogue };
export const catalogues: Record<Language, Catalogue> = { nl, en };
export const LANGUAGES: Language[] = ['nl', 'en'];

const STORAGE_KEY = 'kenniscloud.lang';

function isLanguage(v: unknown): v is Language {
  return v === 'nl' || v === 'en';
}

function stored(): Language | null {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return isLanguage(v) ? v : null;
  } catch {
    return null;
  }
}

class I18n {
  /** Dutch unless the visitor chose otherwise on this device. */
  lang = $state<Language>(stored() ?? 'nl');
  /** True once the visitor picked a language on this page load (it then wins over the account's). */
  chosenHere = false;

  /** The current catalogue; reading it in a template makes the text follow the language. */
  get m(): Catalogue {
    return catalogues[this.lang];
  }

  set(lang: Language, { byUser = false }: { byUser?: boolean } = {}): void {
    if (!isLanguage(lang)) return;
    if (byUser) this.chosenHere = true;
    this.lang = lang;
    try {
      localStorage.setItem(STORAGE_KEY, lang);
    } catch {
      // Private mode: the choice lasts for this page only.
    }
    this.applyToDocument();
  }

  applyToDocument(): void {
    if (typeof document !== 'undefined') document.documentElement.lang = this.lang;
  }

  private locale(): string {
    return this.lang === 'nl' ? 'nl-NL' : 'en-GB';
  }

  time(iso: string): string {
    const d = new Date(iso);
    const now = new Date();
    const sameDay = d.toDateString() === now.toDateString();
    return new Intl.DateTimeFormat(
      this.locale(),
      sameDay ? { hour: '2-digit', minute: '2-digit' } : { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' },
    ).format(d);
  }

  dateTime(iso: string): string {
    return new Intl.DateTimeFormat(this.locale(), { dateStyle: 'long', timeStyle: 'short' }).format(new Date(iso));
  }
}

export const i18n = new I18n();
