import { ApiError } from '../api/client';
import {
  addReactionRest,
  banMemberRest,
  deleteMessageRest,
  detachFromMessage,
  editMessageRest,
  getThread,
  hideMessageRest,
  kickMemberRest,
  listMessages,
  markReadRest,
  muteMemberRest,
  pinMessageRest,
  removeMessageModRest,
  removeReactionRest,
  reportMessageRest,
  unhideMessageRest,
} from '../api/endpoints';
import type { Message, ResourceBrief, Thread, UserRef } from '../api/types';
import type { ReportCategory } from '../realtime/protocol';
import { apiErrorText, errorText } from '../i18n/errors';
import { i18n } from '../i18n/index.svelte';
import type { OutboxUpdate, RealtimeClient, RealtimeError } from '../realtime/client';
import type { MessageEvent, ThreadEvent } from '../realtime/protocol';
import { MessageStore, type ChatMessage } from './messages';

export const MAX_BODY_CHARS = 10_000;

/** What a refused send hands back to the composer; a new `n` applies it again. */
export interface ComposerRestore {
  body: string;
  resources: ResourceBrief[];
  n: number;
}

/** Codes of a refused send that a retry cannot fix: the user edits or discards the message instead. */
export const PERMANENT_SEND_ERRORS: ReadonlySet<string> = new Set([
  'blocked_content',
  'body_too_long',
  'body_empty',
  'banned',
  'muted',
  'thread_locked',
  'not_a_member',
  'not_found',
  'permission_denied',
  'validation_error',
  'too_many_resources',
]);

/** Whether a failed send may succeed when sent again (rate limits, slow mode, timeouts, lost connection). */
export function isRetryable(error: { code: string } | undefined | null): boolean {
  return !error || !PERMANENT_SEND_ERRORS.has(error.code);
}

/** A moderator's action on a message, or on its author (mute, ban, kick) in the message's group. */
export type MessageModRequest =
  | { action: 'hide' | 'remove'; reason: string }
  | { action: 'unhide' | 'pin' | 'unpin' }
  | { action: 'mute'; reason: string; minutes: number }
  | { action: 'ban' | 'kick'; reason: string };

export interface ChatDeps {
  rt: RealtimeClient;
  me(): UserRef | null;
  isMember(group: string): boolean;
  /** Start following the thread's group live; `fresh` when it was not followed before. */
  view(group: string): Promise<{ fresh: boolean }>;
  release(group: string): void;
  /** The thread is read up to its newest message: update unread counters. */
  onRead(group: string, thread: number): void;
  /** Unread count of the thread from the thread list, if known. */
  knownUnread(group: string, thread: number): number | undefined;
  visible(): boolean;
}

/** One thread as the UI sees it. */
export class ThreadView {
  thread = $state<Thread | null>(null);
  messages = $state.raw<ChatMessage[]>([]);
  /** Cursor to older messages; null when the oldest is loaded. */
  next = $state<string | null>(null);
  status = $state<'loading' | 'loaded' | 'error'>('loading');
  error = $state<ApiError | null>(null);
  loadingOlder = $state(false);
  /** Where the "Nieuwe berichten" divider goes, fixed when the thread is opened. */
  firstUnreadSeq = $state<number | null>(null);
  /** Why the last edit, delete or reaction of a message failed, by message id (shown with the message). */
  actionErrors = $state<Record<number, string>>({});
  /** What a moderator's action on a message's author did (mute, ban, kick: nothing else shows it), by message id. */
  actionInfo = $state<Record<number, string>>({});
  /** The text of an edit the server refused, by message id: the editor opens again with it. */
  failedEdits = $state<Record<number, string>>({});
  /** Text and attachments to put back into the composer (a refused send the user edits); `n` tells repeats apart. */
  composerRestore = $state<ComposerRestore | null>(null);
  /** Cached data may have missed changes while the group was not followed. */
  stale = false;
  readSeq = 0;
  readonly store: MessageStore;

  constructor(readonly id: number) {
    this.store = new MessageStore(id);
  }

  sync(): void {
    this.messages = this.store.list();
  }
}

/** Seq of the first unread message: the `unread`-th last message by someone else. */
export function firstUnreadSeq(messages: readonly Message[], unread: number, myId: number | null): number | null {
  if (unread <= 0) return null;
  let counted = 0;
  let first: number | null = null;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (!m.id || m.author.id === myId) continue;
    first = m.seq;
    counted += 1;
    if (counted >= unread) break;
  }
  return first;
}

export class ChatStore {
  /** The thread the user is looking at. */
  current = $state<number | null>(null);
  /** An error to show on the thread page (errors without their own place to report). */
  notice = $state<string | null>(null);

  private readonly views = new Map<number, ThreadView>();
  /** Edits sent over the socket and not yet answered, by message id: their text, in case they are refused. */
  private readonly sentEdits = new Map<number, string>();

  constructor(private readonly deps: ChatDeps) {}

  view(id: number): ThreadView | undefined {
    return this.views.get(id);
  }

  isViewing(thread: number): boolean {
    return this.current === thread;
  }

  /** The view of a thread, created on first use (synchronously, so a page can hold it at once). */
  viewFor(id: number): ThreadView {
    return this.ensure(id);
  }

  private ensure(id: number): ThreadView {
    let v = this.views.get(id);
    if (!v) {
      v = new ThreadView(id);
      this.views.set(id, v);
    }
    return v;
  }

  /** Groups followed on behalf of open thread pages, by thread. */
  private readonly openGroups = new Map<number, string>();

  /** Opens a thread page: loads it, follows its group live, and marks it read. */
  async open(id: number): Promise<ThreadView> {
    const v = this.ensure(id);
    this.current = id;
    this.notice = null;
    v.status = v.messages.length ? 'loaded' : 'loading';
    v.error = null;
    try {
      const thread = await getThread(id);
      v.thread = thread;
      if (this.current !== id) return v;
      const { fresh } = await this.deps.view(thread.group);
      if (this.current !== id || this.openGroups.has(id)) {
        this.deps.release(thread.group);
        return v;
      }
      this.openGroups.set(id, thread.group);
      if (fresh || v.stale) {
        // Changes may have been missed while the group was not followed: let REST override.
        v.store.invalidateVersions();
        v.stale = false;
      }
      const page = await listMessages(id);
      v.store.mergePage(page.results);
      v.next = page.next;
      v.sync();
      const unread = thread.unread ?? this.deps.knownUnread(thread.group, id) ?? 0;
      v.firstUnreadSeq = firstUnreadSeq(v.messages, unread, this.deps.me()?.id ?? null);
      v.status = 'loaded';
      this.markRead(id);
    } catch (err) {
      v.status = 'error';
      v.error = err instanceof ApiError ? err : new ApiError(0, { code: 'network_error', detail: '' });
    }
    return v;
  }

  close(id: number): void {
    if (this.current === id) this.current = null;
    const group = this.openGroups.get(id);
    this.openGroups.delete(id);
    if (group) this.deps.release(group);
    const v = this.views.get(id);
    if (v) v.firstUnreadSeq = null;
  }

  async loadOlder(id: number): Promise<void> {
    const v = this.views.get(id);
    if (!v || !v.next || v.loadingOlder) return;
    v.loadingOlder = true;
    try {
      const page = await listMessages(id, v.next);
      v.store.mergePage(page.results);
      v.next = page.next;
      v.sync();
    } catch (err) {
      this.notice = err instanceof ApiError ? apiErrorText(err) || null : null;
    } finally {
      v.loadingOlder = false;
    }
  }

  /** After resync_required: every cached view of the group must be reloaded. */
  markGroupStale(group: string): void {
    for (const v of this.views.values()) if (v.thread?.group === group) v.stale = true;
  }

  async reloadGroupViews(group: string): Promise<void> {
    for (const v of this.views.values()) {
      if (v.thread?.group !== group || this.current !== v.id) continue;
      v.store.invalidateVersions();
      v.stale = false;
      try {
        const page = await listMessages(v.id);
        v.store.mergePage(page.results);
        v.next = page.next ?? v.next;
        v.sync();
      } catch {
        v.stale = true;
      }
    }
  }

  // ------------------------------------------------------------ live events

  onMessageEvent(ev: MessageEvent): void {
    const v = this.views.get(ev.message.thread);
    if (!v) return;
    if (ev.type === 'message.edited' && this.sentEdits.get(ev.message.id) === ev.message.body) this.sentEdits.delete(ev.message.id);
    v.store.applyEvent(ev.message, ev.seq);
    v.sync();
    if (ev.type === 'message.created' && this.current === v.id) this.markRead(v.id);
  }

  /** `thread.locked` / `thread.unlocked`: the open view shows the thread as it is now. */
  onThreadEvent(ev: Pick<ThreadEvent, 'thread'>): void {
    const v = this.views.get(ev.thread.id);
    if (!v?.thread) return;
    v.thread = { ...v.thread, ...ev.thread, unread: v.thread.unread };
  }

  onOutbox(u: OutboxUpdate): void {
    const v = this.views.get(u.thread);
    if (!v) return;
    if (u.state === 'sent' && u.id !== undefined && u.seq !== undefined) v.store.ack(u.client_id, u.id, u.seq);
    else if (u.state === 'failed') v.store.setLocalState(u.client_id, 'failed', u.error);
    else if (u.state === 'pending') v.store.setLocalState(u.client_id, 'pending');
    v.sync();
    if (u.state === 'sent' && this.current === v.id) this.markRead(v.id);
  }

  // ------------------------------------------------------------ actions

  /**
   * Sends a message with the resources attached in the composer; it shows at once as pending.
   * Returns false when the body is not sendable.
   */
  send(id: number, body: string, resources: ResourceBrief[] = []): boolean {
    const v = this.views.get(id);
    const me = this.deps.me();
    if (!v?.thread || !me) return false;
    if (!body.trim() || body.length > MAX_BODY_CHARS) return false;
    const entry = this.deps.rt.sendMessage(id, body, resources.map((r) => r.id));
    v.store.addLocal(entry.client_id, body, me, v.thread.group, new Date().toISOString(), resources);
    v.sync();
    return true;
  }

  retry(id: number, clientId: string): void {
    this.deps.rt.retry(clientId);
    this.views.get(id)?.store.setLocalState(clientId, 'pending');
    this.views.get(id)?.sync();
  }

  discard(id: number, clientId: string): void {
    this.deps.rt.discard(clientId);
    const v = this.views.get(id);
    v?.store.removeLocal(clientId);
    v?.sync();
  }

  /**
   * A send refused for good: its text and the resources attached to it go back into the composer
   * and the failed echo is dropped.
   */
  editFailed(id: number, clientId: string): void {
    const v = this.views.get(id);
    const local = v?.messages.find((m) => m.client_id === clientId && m.state === 'failed');
    if (!v || !local) return;
    const { body, resources } = local;
    this.discard(id, clientId);
    v.composerRestore = { body, resources, n: (v.composerRestore?.n ?? 0) + 1 };
  }

  async edit(id: number, messageId: number, body: string): Promise<boolean> {
    if (!body.trim() || body.length > MAX_BODY_CHARS) return false;
    this.dismissError(id, messageId);
    const v = this.views.get(id);
    if (v && messageId in v.failedEdits) delete v.failedEdits[messageId];
    if (this.deps.rt.edit(messageId, body)) {
      this.sentEdits.set(messageId, body);
      return true;
    }
    const done = await this.restAction(id, messageId, () => editMessageRest(messageId, body));
    if (!done && v) v.failedEdits[messageId] = body;
    return done;
  }

  /** The editor has taken the refused edit's text back. */
  editRestored(id: number, messageId: number): void {
    const v = this.views.get(id);
    if (v && messageId in v.failedEdits) delete v.failedEdits[messageId];
  }

  async remove(id: number, messageId: number): Promise<boolean> {
    this.dismissError(id, messageId);
    if (this.deps.rt.delete(messageId)) return true;
    return this.restAction(id, messageId, () => deleteMessageRest(messageId));
  }

  async toggleReaction(id: number, message: ChatMessage, emoji: string): Promise<void> {
    const me = this.deps.me();
    if (!me || !message.id) return;
    this.dismissError(id, message.id);
    const mine = message.reactions.some((r) => r.emoji === emoji && r.users.includes(me.id));
    if (this.deps.rt.react(message.id, emoji, !mine)) return;
    await this.restAction(id, message.id, () => (mine ? removeReactionRest(message.id, emoji) : addReactionRest(message.id, emoji)));
  }

  /**
   * Reports a message of someone else (once). Over the socket the server does not confirm a report,
   * only refuses it (`already_reported`, …, by the ref `report:<id>`, shown with the message); REST
   * when the socket is down. The thanks show with the message.
   */
  async report(id: number, message: ChatMessage, category: ReportCategory, note: string): Promise<boolean> {
    const messageId = message.id;
    if (!messageId) return false;
    this.dismissError(id, messageId);
    const text = note.trim();
    if (!this.deps.rt.report(messageId, category, text)) {
      if (!(await this.restAction(id, messageId, () => reportMessageRest(messageId, category, text)))) return false;
    }
    const v = this.views.get(id);
    if (v) v.actionInfo[messageId] = i18n.m.report.sent;
    return true;
  }

  /**
   * A moderator's action from a message's menu. Message actions go over the socket (their ref ties
   * a refusal to the message; the sequenced event that follows shows the result), or REST when it
   * is down. Mute, ban and kick use REST: nothing else tells the moderator they worked, so the answer
   * is shown with the message. Returns false when refused (the reason shows with the message).
   */
  async moderate(id: number, message: ChatMessage, req: MessageModRequest): Promise<boolean> {
    const messageId = message.id;
    if (!messageId) return false;
    this.dismissError(id, messageId);
    const v = this.views.get(id);
    if (v && messageId in v.actionInfo) delete v.actionInfo[messageId];
    const rt = this.deps.rt;
    switch (req.action) {
      case 'hide':
      case 'remove': {
        const reason = req.reason.trim();
        if (!reason) return false;
        if (rt.moderateMessage(req.action, messageId, reason)) return true;
        const call = req.action === 'hide' ? hideMessageRest : removeMessageModRest;
        return this.restAction(id, messageId, () => call(messageId, reason));
      }
      case 'unhide':
        if (rt.moderateMessage('unhide', messageId)) return true;
        return this.restAction(id, messageId, () => unhideMessageRest(messageId));
      case 'pin':
      case 'unpin':
        if (rt.moderateMessage(req.action, messageId)) return true;
        return this.restAction(id, messageId, () => pinMessageRest(messageId, req.action === 'pin'));
      default: {
        const reason = req.reason.trim();
        if (!reason) return false;
        const { group, author } = message;
        const call =
          req.action === 'mute'
            ? () => muteMemberRest(group, author.id, reason, req.minutes)
            : req.action === 'ban'
              ? () => banMemberRest(group, author.id, reason)
              : () => kickMemberRest(group, author.id, reason);
        const done = await this.restAction(id, messageId, call);
        const view = this.views.get(id);
        if (done && view) {
          const m = i18n.m.moderation.done;
          view.actionInfo[messageId] =
            req.action === 'mute'
              ? m.mute(author.display_name, i18n.m.moderation.duration(req.minutes * 60))
              : m[req.action](author.display_name);
        }
        return done;
      }
    }
  }

  /** The server's answer to attaching a resource to one's own message: shown at once (`message.resources` tells everyone). */
  resourceAttached(id: number, message: Message): void {
    const v = this.views.get(id);
    if (!v) return;
    this.dismissError(id, message.id);
    v.store.upsertRest(message);
    v.sync();
  }

  /**
   * Removes a resource from one's own message (`DELETE messages/{id}/resources/{resource}/`). The card
   * goes at once; a refusal puts it back and shows with the message. `not_found`: it was gone already
   * (removed elsewhere, or the message was deleted), so nothing comes back. Its event tells everyone.
   */
  async detachResource(id: number, messageId: number, resourceId: number): Promise<boolean> {
    const v = this.views.get(id);
    const before = v?.store.get(messageId);
    const index = before ? before.resources.findIndex((r) => r.id === resourceId) : -1;
    if (!v || !before || index < 0) return false;
    const resource = before.resources[index];
    this.dismissError(id, messageId);
    v.store.setResources(messageId, before.resources.filter((r) => r.id !== resourceId));
    v.sync();
    try {
      await detachFromMessage(messageId, resourceId);
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.code === 'not_found') return true;
      const now = v.store.get(messageId);
      if (now && !now.resources.some((r) => r.id === resourceId)) {
        const resources = [...now.resources];
        resources.splice(Math.min(index, resources.length), 0, resource);
        v.store.setResources(messageId, resources);
        v.sync();
      }
      v.actionErrors[messageId] = apiErrorText(err);
      return false;
    }
  }

  /** Hides the error (and the moderation result) shown with a message. */
  dismissError(id: number, messageId: number): void {
    const v = this.views.get(id);
    if (v && messageId in v.actionErrors) delete v.actionErrors[messageId];
    if (v && messageId in v.actionInfo) delete v.actionInfo[messageId];
  }

  /**
   * An `error` frame that is not about a send (those fail their message). An edit, delete or
   * reaction error goes to its message, a read error to its thread's page if that is open; any
   * other error, or one whose message is not loaded, becomes the open thread page's notice.
   */
  onError(e: RealtimeError): void {
    if (e.client_id) return;
    const text = errorText(e);
    const target = e.target;
    if (target && 'message' in target) {
      const v = [...this.views.values()].find((view) => view.store.get(target.message));
      if (v) {
        v.actionErrors[target.message] = text;
        // A refused edit: the editor opens again with what the user typed.
        const draft = target.action === 'edit' ? this.sentEdits.get(target.message) : undefined;
        if (draft !== undefined) {
          this.sentEdits.delete(target.message);
          v.failedEdits[target.message] = draft;
        }
        // A refused report was not passed on after all: drop the thanks shown when it was sent.
        if (target.action === 'report') delete v.actionInfo[target.message];
        return;
      }
    } else if (target?.action === 'read' && this.current !== target.thread) {
      return;
    }
    if (this.current !== null) this.notice = text;
  }

  typing(id: number): void {
    this.deps.rt.typing(id);
  }

  /** Marks everything shown as read (members only; only while the page is visible). */
  markRead(id: number): void {
    const v = this.views.get(id);
    const group = v?.thread?.group;
    if (!v || !group || this.current !== id || !this.deps.visible() || !this.deps.isMember(group)) return;
    const seq = v.store.maxSeq();
    if (seq === null || seq <= v.readSeq) return;
    v.readSeq = seq;
    if (!this.deps.rt.read(id, seq)) markReadRest(id, seq).catch(() => {});
    this.deps.onRead(group, id);
  }

  private async restAction(id: number, messageId: number, call: () => Promise<unknown>): Promise<boolean> {
    try {
      const result = await call();
      const v = this.views.get(id);
      if (v && result && typeof result === 'object' && 'id' in result && 'thread' in result) {
        v.store.upsertRest(result as Message);
        v.sync();
      }
      return true;
    } catch (err) {
      const text = apiErrorText(err);
      const v = this.views.get(id);
      if (v) v.actionErrors[messageId] = text;
      else this.notice = text;
      return false;
    }
  }

  clear(): void {
    this.views.clear();
    this.openGroups.clear();
    this.sentEdits.clear();
    this.current = null;
    this.notice = null;
  }
}
