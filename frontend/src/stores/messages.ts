import type { Message, ResourceBrief, UserRef } from '../api/types';
import type { SendError, SendState } from '../realtime/client';

/** A message as shown: server data plus the local send state of our own messages. */
export interface ChatMessage extends Message {
  state: SendState;
  /** Seq of the last event applied to this message; REST pages never override newer event data. */
  version?: number;
  /** Why a send failed (server detail or a timeout). */
  error?: SendError;
  /** Order of local echoes that have no seq yet. */
  localOrder?: number;
}

/**
 * Messages of one thread, sorted by `seq`, upserted by `id`. Our own sends appear at once as local
 * echoes keyed by `client_id` and are replaced — never duplicated — when the ack or the echoed
 * `message.created` arrives.
 */
export class MessageStore {
  private readonly byId = new Map<number, ChatMessage>();
  private readonly echoes = new Map<string, ChatMessage>();
  private localCounter = 0;
  private cache: ChatMessage[] | null = null;

  constructor(readonly thread: number) {}

  /** Sent messages by seq, then unsent echoes in the order they were written. */
  list(): ChatMessage[] {
    if (!this.cache) {
      const sent = [...this.byId.values()].sort((a, b) => a.seq - b.seq || a.id - b.id);
      const local = [...this.echoes.values()].sort((a, b) => (a.localOrder ?? 0) - (b.localOrder ?? 0));
      this.cache = [...sent, ...local];
    }
    return this.cache;
  }

  get size(): number {
    return this.byId.size + this.echoes.size;
  }

  get(id: number): ChatMessage | undefined {
    return this.byId.get(id);
  }

  getByClientId(clientId: string): ChatMessage | undefined {
    const echo = this.echoes.get(clientId);
    if (echo) return echo;
    for (const m of this.byId.values()) if (m.client_id === clientId) return m;
    return undefined;
  }

  /** Highest seq of a stored message (what `read` refers to), or null. */
  maxSeq(): number | null {
    let max: number | null = null;
    for (const m of this.byId.values()) if (max === null || m.seq > max) max = m.seq;
    return max;
  }

  minSeq(): number | null {
    let min: number | null = null;
    for (const m of this.byId.values()) if (min === null || m.seq < min) min = m.seq;
    return min;
  }

  /** Adds the local echo of a message we are sending (with the resources attached in the composer). */
  addLocal(
    clientId: string,
    body: string,
    author: UserRef,
    group: string,
    createdAt: string,
    resources: ResourceBrief[] = [],
  ): ChatMessage {
    const existing = this.getByClientId(clientId);
    if (existing) return existing;
    const echo: ChatMessage = {
      id: 0,
      group,
      thread: this.thread,
      seq: 0,
      author,
      body,
      html: '',
      created_at: createdAt,
      edited_at: null,
      deleted: false,
      reactions: [],
      client_id: clientId,
      pinned: false,
      moderation: null,
      resources,
      state: 'pending',
      localOrder: ++this.localCounter,
    };
    this.echoes.set(clientId, echo);
    this.changed();
    return echo;
  }

  setLocalState(clientId: string, state: 'pending' | 'failed', error?: ChatMessage['error']): void {
    const echo = this.echoes.get(clientId);
    if (!echo) return;
    this.echoes.set(clientId, { ...echo, state, error: state === 'failed' ? error : undefined });
    this.changed();
  }

  /** The server stored our message: give the echo its id and seq, unless the real message is already here. */
  ack(clientId: string, id: number, seq: number): void {
    const echo = this.echoes.get(clientId);
    if (!echo) return;
    this.echoes.delete(clientId);
    if (!this.byId.has(id)) {
      this.byId.set(id, { ...echo, id, seq, state: 'sent', error: undefined, localOrder: undefined });
    }
    this.changed();
  }

  removeLocal(clientId: string): void {
    if (this.echoes.delete(clientId)) this.changed();
  }

  /**
   * Applies a live event (created, edited, deleted, reaction.changed, resources and the moderation
   * events hidden, unhidden, removed, pinned, unpinned all carry the whole message).
   * `eventSeq` is the group seq of the change; an older change than the one applied is ignored.
   */
  applyEvent(message: Message, eventSeq: number): void {
    if (message.thread !== this.thread) return;
    const existing = this.byId.get(message.id);
    if (existing?.version !== undefined && eventSeq <= existing.version) return;
    if (message.client_id) this.echoes.delete(message.client_id);
    this.byId.set(message.id, { ...message, state: 'sent', version: eventSeq });
    this.changed();
  }

  /** Merges a REST page. Messages already updated by a live event keep that (newer or equal) state. */
  mergePage(messages: Message[]): void {
    for (const message of messages) {
      if (message.thread !== this.thread) continue;
      const existing = this.byId.get(message.id);
      if (existing?.version !== undefined) continue;
      if (message.client_id) this.echoes.delete(message.client_id);
      this.byId.set(message.id, { ...message, state: 'sent' });
    }
    this.changed();
  }

  /** The answer to our own REST write: the newest state, whatever events said before. */
  upsertRest(message: Message): void {
    if (message.thread !== this.thread) return;
    if (message.client_id) this.echoes.delete(message.client_id);
    this.byId.set(message.id, { ...message, state: 'sent' });
    this.changed();
  }

  /**
   * Our own change to a message's resources, shown before the server confirms it (its
   * `message.resources` event follows); the applied event version stays.
   */
  setResources(id: number, resources: ResourceBrief[]): void {
    const message = this.byId.get(id);
    if (!message) return;
    this.byId.set(id, { ...message, resources });
    this.changed();
  }

  /** Lets the next REST page override every message (after changes may have been missed). */
  invalidateVersions(): void {
    for (const [id, m] of this.byId) if (m.version !== undefined) this.byId.set(id, { ...m, version: undefined });
  }

  /** Replaces all server messages (after a resync); local echoes stay. */
  reset(messages: Message[]): void {
    this.byId.clear();
    this.mergePage(messages);
  }

  private changed(): void {
    this.cache = null;
  }
}
