// The app's single realtime client and domain stores, and how live events reach them.
import { setLanguageSource } from '../api/client';
import { i18n } from '../i18n/index.svelte';
import { moderatorRole } from '../lib/moderation';
import { RealtimeClient, socketUrl } from '../realtime/client';
import { MESSAGE_UPDATE_TYPES } from '../realtime/protocol';
import { ChatStore } from './chat.svelte';
import { CollectionStore } from './collection.svelte';
import { ConnectionStore } from './connection.svelte';
import { GroupsStore } from './groups.svelte';
import { ModerationStore } from './moderation.svelte';
import { PresenceStore } from './presence.svelte';
import { QueueStore } from './queue.svelte';
import { SessionStore } from './session.svelte';
import { SourcesStore } from './sources.svelte';
import { ThreadsStore } from './threads.svelte';

setLanguageSource(() => i18n.lang);

export const rt = new RealtimeClient({ url: () => socketUrl(i18n.lang) });
export const connection = new ConnectionStore(rt);
export const presence = new PresenceStore();
export const groups = new GroupsStore(rt, { moderates: (g) => moderatorRole(session.me, g) !== null });
export const threads = new ThreadsStore();
export const moderation = new ModerationStore({
  rt,
  onThread(thread) {
    threads.onThreadChanged({ group: thread.group, thread });
    chat.onThreadEvent({ thread });
  },
});

/** The moderation panel's queue of one library (librarians and staff). */
export const queue = new QueueStore(rt);

/** The "Bronnen" panels of open threads: their sources and the catalogue's suggestions (it follows their live events itself). */
export const sources = new SourcesStore(rt);
/** The theme collection of the group whose collection page is open (reloads on `collection.changed`). */
export const collection = new CollectionStore(rt);

export const session = new SessionStore({
  signedIn() {
    groups.live = true;
    rt.connect();
    groups.syncSubscriptions();
    void groups.load();
  },
  signedOut() {
    rt.disconnect();
    groups.clear();
    threads.clear();
    chat.clear();
    presence.clear();
    moderation.clear();
    queue.close();
    sources.clear();
    collection.close();
    void groups.load();
  },
});

export const chat = new ChatStore({
  rt,
  me: () => (session.me ? { id: session.me.id, display_name: session.me.display_name } : null),
  isMember: (g) => groups.isMember(g),
  view: async (g) => groups.view(g),
  release: (g) => groups.release(g),
  knownUnread: (g, t) => threads.find(g, t)?.unread,
  visible: () => typeof document === 'undefined' || document.visibilityState === 'visible',
  onRead(group, thread) {
    const prev = threads.setUnread(group, thread, 0);
    if (prev !== null) groups.addUnread(group, -prev);
  },
});

// ---- live events → stores

function countsAsUnread(group: string, thread: number, authorId: number): boolean {
  return authorId !== session.myId && !chat.isViewing(thread) && groups.isMember(group);
}

rt.on('message.created', (ev) => {
  chat.onMessageEvent(ev);
  presence.stopTyping(ev.message.thread, ev.message.author.id);
  const unread = countsAsUnread(ev.group, ev.message.thread, ev.message.author.id);
  threads.onMessageCreated(ev, unread);
  if (unread) groups.addUnread(ev.group, 1);
});
// Every other message event carries the message as it is now (moderation ones included): upsert it.
for (const type of MESSAGE_UPDATE_TYPES) {
  rt.on(type, (ev) => chat.onMessageEvent(ev));
}
rt.on('thread.created', (ev) => threads.onThreadCreated(ev));
for (const type of ['thread.locked', 'thread.unlocked'] as const) {
  rt.on(type, (ev) => {
    threads.onThreadChanged(ev);
    chat.onThreadEvent(ev);
  });
}
rt.on('group.slow_mode', (ev) => moderation.onSlowMode(ev));
rt.on('moderation.notice', (f) => moderation.onNotice(f));
rt.on('report.outcome', (f) => moderation.onOutcome(f));
rt.on('appeal.decided', (f) => moderation.onOutcome(f));
rt.on('outbox', (u) => chat.onOutbox(u));
rt.on('presence', (f) => presence.onPresence(f));
rt.on('typing', (f) => presence.onTyping(f, session.myId));

// A (re)subscription ends with `subscribed`, after any catch-up. REST pages loaded while the socket
// was behind may already include caught-up messages, so counted increments could double: take the
// absolute unread counts from REST again.
const refreshing = new Set<string>();
rt.on('subscribed', (f) => {
  groups.onSubscribed(f.group);
  if (refreshing.has(f.group)) return;
  refreshing.add(f.group);
  const done = () => refreshing.delete(f.group);
  const work: Promise<unknown>[] = [groups.refresh(f.group)];
  if (threads.byGroup[f.group]?.status === 'loaded') work.push(threads.load(f.group));
  Promise.allSettled(work).then(done, done);
});

rt.on('unread', (f) => {
  const prev = threads.setUnread(f.group, f.thread, f.count);
  if (prev !== null) groups.addUnread(f.group, f.count - prev);
  else groups.refresh(f.group).catch(() => {});
});

/** Reload what REST knows about a group and follow it again from its current `last_seq`. */
async function resync(group: string): Promise<void> {
  chat.markGroupStale(group);
  try {
    const g = await groups.refresh(group);
    if (groups.wanted(group)) {
      rt.subscribe(group, g.last_seq);
      await chat.reloadGroupViews(group);
    }
    if (threads.byGroup[group]) await threads.load(group);
  } catch {
    // Gone or unreachable; the pages show their own errors on the next load.
  }
}

rt.on('resync_required', (f) => void resync(f.group));

rt.on('unsubscribed', (f) => {
  if (f.reason === 'requested') return;
  presence.forgetGroup(f.group);
  // Left or removed (perhaps in another tab): membership changed; public viewers follow again.
  void resync(f.group);
});

// An error goes where its action shows: a subscribe's to the pages of its group, a lock's or slow
// mode's to the moderation controls, the rest through chat.
rt.on('error', (e) => {
  if (!groups.onError(e) && !moderation.onError(e)) chat.onError(e);
});

rt.on('auth_required', () => session.signedOut(true));

if (typeof window !== 'undefined') {
  window.addEventListener('online', () => rt.reconnectNow());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && chat.current !== null) chat.markRead(chat.current);
  });
}
