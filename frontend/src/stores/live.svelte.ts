// A live meetup as its live page and projector show it: the snapshot (`GET meetups/{id}/live/`), its
// questions, and its conversation through a ChatStore of its own. Members follow the group as usual;
// a guest cannot see the group over REST (404), so the socket follows it directly — the server sends a
// guest only its meetup's events.
import { ApiError } from '../api/client';
import { getLiveSnapshot, type LiveMeetup } from '../api/live';
import type { RealtimeClient } from '../realtime/client';
import { MESSAGE_UPDATE_TYPES } from '../realtime/protocol';
import { ChatStore, type ThreadView } from './chat.svelte';
import type { GroupsStore } from './groups.svelte';
import { QuestionsStore } from './questions.svelte';
import type { SessionStore } from './session.svelte';

/** What a `meetup.changed` event tells the live screens (any Meetup fits). */
export interface MeetupChange {
  id: number;
  title: string;
  starts_at: string;
  ends_at: string;
  status: string;
  live: boolean;
  thread?: number | null;
  join_code?: string | null;
  join_url?: string | null;
}

export interface LiveDeps {
  rt: RealtimeClient;
  groups: GroupsStore;
  session: SessionStore;
}

export class LiveStore {
  meetup = $state<LiveMeetup | null>(null);
  participants = $state(0);
  status = $state<'idle' | 'loading' | 'loaded' | 'error'>('idle');
  error = $state<ApiError | null>(null);
  /** The server stopped sending this meetup's events (a guest whose access ended). */
  accessEnded = $state(false);
  /** The socket follows the group for this page only: the viewer cannot see the group itself (a guest). */
  direct = $state(false);
  /** The conversation, once the snapshot named it. */
  view = $state<ThreadView | null>(null);
  readonly questions = new QuestionsStore();
  readonly chat: ChatStore;

  private openId: number | null = null;
  private threadId: number | null = null;
  /** Groups the socket follows for this store (a guest's meetup group), with how many views want them. */
  private readonly own = new Map<string, number>();
  private reloadOnSubscribed = false;

  constructor(private readonly deps: LiveDeps) {
    const { rt, groups, session } = deps;
    this.chat = new ChatStore({
      rt,
      me: () => (session.me ? { id: session.me.id, display_name: session.me.display_name } : null),
      isMember: (g) => groups.isMember(g),
      view: (g) => this.follow(g),
      release: (g) => this.unfollow(g),
      knownUnread: () => undefined,
      visible: () => typeof document === 'undefined' || document.visibilityState === 'visible',
      // The server's `unread` frame updates the group list's badges (stores/index.ts).
      onRead: () => {},
    });
  }

  get group(): string | null {
    return this.meetup?.group.slug ?? null;
  }

  /** Opens the live meetup: snapshot, questions, conversation. */
  async open(id: number): Promise<void> {
    this.openId = id;
    this.status = 'loading';
    this.error = null;
    this.accessEnded = false;
    this.questions.clear();
    try {
      const snap = await getLiveSnapshot(id);
      if (this.openId !== id) return;
      this.meetup = snap.meetup;
      this.participants = snap.participants;
      this.questions.load(snap);
      this.status = 'loaded';
      const thread = snap.meetup.thread;
      if (thread) {
        this.threadId = thread;
        this.view = this.chat.viewFor(thread);
        await this.chat.open(thread);
      }
    } catch (err) {
      if (this.openId !== id) return;
      this.status = 'error';
      this.error = err instanceof ApiError ? err : new ApiError(0, { code: 'network_error', detail: '' });
    }
  }

  close(id: number): void {
    if (this.openId !== id) return;
    this.openId = null;
    if (this.threadId !== null) this.chat.close(this.threadId);
    this.threadId = null;
    this.view = null;
    this.meetup = null;
    this.status = 'idle';
    this.questions.clear();
  }

  /** Sends a message in the conversation. */
  send(body: string): boolean {
    return this.threadId !== null && this.chat.send(this.threadId, body);
  }

  // ------------------------------------------------------------ following the group

  private async follow(group: string): Promise<{ fresh: boolean }> {
    const { rt, groups } = this.deps;
    try {
      return await groups.view(group);
    } catch (err) {
      groups.release(group);
      if (!(err instanceof ApiError) || (err.status !== 404 && err.status !== 403)) throw err;
    }
    // A guest: no group over REST, but the socket follows the group for the meetup's events.
    this.own.set(group, (this.own.get(group) ?? 0) + 1);
    this.direct = true;
    if (this.deps.session.status !== 'authenticated' || rt.isSubscribed(group)) return { fresh: false };
    rt.subscribe(group, null);
    return { fresh: true };
  }

  private unfollow(group: string): void {
    const { rt, groups } = this.deps;
    const n = this.own.get(group);
    if (n === undefined) {
      groups.release(group);
      return;
    }
    if (n > 1) {
      this.own.set(group, n - 1);
      return;
    }
    this.own.delete(group);
    this.direct = false;
    if (groups.wanted(group)) return;
    if (rt.isSubscribed(group)) rt.unsubscribe(group);
    else rt.cancelSubscribeRetry(group);
  }

  // ------------------------------------------------------------ live events

  onMeetupChanged(ev: { meetup: MeetupChange }): void {
    const cur = this.meetup;
    const next = ev.meetup;
    if (!cur || next.id !== cur.id) return;
    // The event shows the meetup as a member sees it: keep what only hosts get while it is live.
    this.meetup = {
      ...cur,
      title: next.title,
      starts_at: next.starts_at,
      ends_at: next.ends_at,
      status: next.status,
      live: next.live,
      thread: next.thread ?? cur.thread,
      join_code: next.live ? (next.join_code ?? cur.join_code) : null,
      join_url: next.live ? (next.join_url ?? cur.join_url) : null,
    };
  }

  onResyncRequired(group: string): void {
    if (group !== this.group) return;
    this.reloadOnSubscribed = true;
    // Members are followed again by the app (stores/index.ts); a guest's group by us.
    if (this.own.has(group)) this.deps.rt.subscribe(group, null);
  }

  /** Followed (again): after a resync, what was missed comes over REST. */
  onSubscribed(group: string): void {
    if (group !== this.group || !this.reloadOnSubscribed) return;
    this.reloadOnSubscribed = false;
    void this.refresh();
  }

  onUnsubscribed(group: string, reason: string): void {
    if (group !== this.group || reason === 'requested') return;
    if (this.own.has(group)) this.accessEnded = true;
  }

  /** Reloads the snapshot and the messages (after a resync). */
  async refresh(): Promise<void> {
    const id = this.openId;
    if (id === null) return;
    try {
      const snap = await getLiveSnapshot(id);
      if (this.openId !== id) return;
      this.meetup = snap.meetup;
      this.participants = snap.participants;
      this.questions.load(snap);
      if (this.group) await this.chat.reloadGroupViews(this.group);
    } catch {
      // The page keeps what it has; the next event or reconnect tries again.
    }
  }
}

/** Routes the socket's events to a live store (the app's one: `stores/liveInstance.ts`). */
export function wireLive(rt: RealtimeClient, store: LiveStore): void {
  for (const type of ['message.created', ...MESSAGE_UPDATE_TYPES] as const) {
    rt.on(type, (ev) => store.chat.onMessageEvent(ev));
  }
  for (const type of ['thread.locked', 'thread.unlocked'] as const) rt.on(type, (ev) => store.chat.onThreadEvent(ev));
  rt.on('outbox', (u) => store.chat.onOutbox(u));
  rt.on('error', (e) => {
    // A refused subscribe shows through `accessEnded`/the page; a refused read (guests) needs no notice.
    if (e.target?.action === 'subscribe' || e.target?.action === 'read') return;
    store.chat.onError(e);
  });
  rt.on('meetup.question', (ev) => store.questions.onEvent(ev));
  rt.on('meetup.changed', (ev) => store.onMeetupChanged(ev));
  rt.on('resync_required', (f) => store.onResyncRequired(f.group));
  rt.on('subscribed', (f) => store.onSubscribed(f.group));
  rt.on('unsubscribed', (f) => store.onUnsubscribed(f.group, f.reason));
}
