import * as auth from '../api/auth';
import { getMe, patchMe } from '../api/endpoints';
import type { Language, Me } from '../api/types';
import { i18n } from '../i18n/index.svelte';

export type SessionStatus = 'loading' | 'anonymous' | 'authenticated';

export interface SessionHooks {
  signedIn(me: Me): void;
  signedOut(): void;
}

/** Who is signed in, via allauth headless (browser client) and `GET /api/v1/me/`. */
export class SessionStore {
  status = $state<SessionStatus>('loading');
  me = $state<Me | null>(null);
  /** Shown on the login page after the server ended the session (socket close 4001). */
  expired = $state(false);

  constructor(private readonly hooks: SessionHooks) {}

  get myId(): number | null {
    return this.me?.id ?? null;
  }

  async init(): Promise<void> {
    try {
      if (await auth.getSession()) {
        await this.loadMe();
        return;
      }
    } catch {
      // Server unreachable: behave as anonymous; public pages still try REST.
    }
    this.status = 'anonymous';
  }

  async login(email: string, password: string): Promise<auth.AuthOutcome> {
    const outcome = await auth.login(email, password);
    if (outcome.authenticated) await this.loadMe();
    return outcome;
  }

  async signup(email: string, password: string, displayName: string): Promise<auth.AuthOutcome> {
    const outcome = await auth.signup(email, password, displayName);
    if (outcome.authenticated) await this.loadMe();
    return outcome;
  }

  /** After a step (e-mail verification, password reset) that may have signed the user in. */
  async refresh(): Promise<void> {
    if (this.status === 'authenticated') return;
    if (await auth.getSession()) await this.loadMe();
  }

  async logout(): Promise<void> {
    try {
      await auth.logout();
    } finally {
      this.signedOut(false);
    }
  }

  /** The server says we are no longer signed in. */
  signedOut(expired: boolean): void {
    const was = this.status;
    this.me = null;
    this.status = 'anonymous';
    this.expired = expired;
    if (was === 'authenticated') this.hooks.signedOut();
  }

  async setLanguage(lang: Language): Promise<void> {
    i18n.set(lang, { byUser: true });
    if (this.me && this.me.language !== lang) {
      try {
        this.me = await patchMe({ language: lang });
      } catch {
        // The local choice still holds; the account keeps its old setting.
      }
    }
  }

  private async loadMe(): Promise<void> {
    const me = await getMe();
    this.me = me;
    this.expired = false;
    // A choice made on this page (e.g. on the login form) wins and is saved; otherwise follow the account.
    if (i18n.chosenHere && me.language !== i18n.lang) {
      patchMe({ language: i18n.lang }).then(
        (updated) => (this.me = updated),
        () => {},
      );
    } else if (me.language && me.language !== i18n.lang) {
      i18n.set(me.language);
    }
    this.status = 'authenticated';
    this.hooks.signedIn(me);
  }
}
