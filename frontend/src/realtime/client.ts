import { Backoff, type BackoffOptions } from './backoff';
import {
  isKnownSequenced,
  isSequenced,
  parseFrame,
  type ClientFrame,
  type ErrorFrame,
  type ParsedFrame,
  type ReportCategory,
  type ServerFrame,
} from './protocol';
import { Refs, type RefTarget } from './refs';
import { Sequencer } from './sequencer';
import { browserTimers, type Timers } from './timers';

/** The subset of the DOM WebSocket the client uses (so tests can pass a fake). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: Event) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketCtor = new (url: string) => WebSocketLike;

const OPEN = 1;

/**
 * - `connecting`: first attempt, nothing shown yet
 * - `open`
 * - `reconnecting`: down and retrying with back-off (the banner shows)
 * - `unauthenticated` (close 4001) / `forbidden` (4003): stopped, no retry
 * - `idle`: not started or stopped by `disconnect()`
 */
export type ConnectionStatus = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'unauthenticated' | 'forbidden';

export type SendState = 'pending' | 'sent' | 'failed';

export interface OutboxUpdate {
  client_id: string;
  thread: number;
  body: string;
  state: SendState;
  /** Set when `state` is `sent`. */
  id?: number;
  seq?: number;
  /** Why it failed: the server's error frame, or `{code: 'timeout'}`. */
  error?: SendError;
}

export type MessageModeration = 'hide' | 'unhide' | 'remove' | 'pin' | 'unpin';

export type SendError = Pick<ErrorFrame, 'code' | 'detail' | 'retry_after' | 'until' | 'reason'>;

/** An `error` frame and, when its `ref` is one of ours, the action it answers. */
export interface RealtimeError extends ErrorFrame {
  target: RefTarget | null;
}

type FrameMap = { [F in ServerFrame as F['type']]: F };
export type RealtimeEventMap = Omit<FrameMap, 'error'> & {
  error: RealtimeError;
  status: { status: ConnectionStatus };
  outbox: OutboxUpdate;
  auth_required: Record<string, never>;
};
export type RealtimeEventType = keyof RealtimeEventMap;
type Handler<K extends RealtimeEventType> = (event: RealtimeEventMap[K]) => void;

export interface RealtimeOptions {
  /** Computed on every connect, so a language switch applies to the next socket. */
  url: () => string;
  WebSocket?: WebSocketCtor;
  timers?: Timers;
  random?: () => number;
  uuid?: () => string;
  backoff?: Omit<BackoffOptions, 'random'>;
  gapMs?: number;
  pingIntervalMs?: number;
  /** No frame at all for this long means a dead connection (half-open TCP): drop and reconnect. */
  deadAfterMs?: number;
  /** A send not acknowledged within this time (connected or not) becomes `failed`. */
  sendTimeoutMs?: number;
  typingThrottleMs?: number;
}

interface OutboxEntry extends OutboxUpdate {
  timer: unknown;
  /** Automatic sends again after a retriable error (`unavailable`); the send timer still bounds them. */
  retries?: number;
  /** Ids of the resources attached in the composer; sent again on every retry. */
  resources?: number[];
}

/** A group whose subscribe the server refused: it is tried again with back-off (and on the next subscribe()). */
interface SubscribeRetry {
  backoff: Backoff;
  timer: unknown;
  last: number | null;
}

/** Automatic tries after a refused subscribe; then only the app's next subscribe() (a page showing the group) or a reconnect. */
const MAX_SUBSCRIBE_RETRIES = 8;

export class RealtimeClient {
  status: ConnectionStatus = 'idle';

  private readonly opts: RealtimeOptions;
  private readonly Ctor: WebSocketCtor;
  private readonly timers: Timers;
  private readonly uuid: () => string;
  private readonly backoff: Backoff;
  private readonly sequencer: Sequencer;
  private readonly handlers = new Map<RealtimeEventType, Set<Handler<never>>>();
  private readonly outbox = new Map<string, OutboxEntry>();
  private readonly lastTyping = new Map<number, number>();
  private readonly refs = new Refs();
  private readonly subscribeRetries = new Map<string, SubscribeRetry>();
  private readonly random: () => number;
  private readonly pingIntervalMs: number;
  private readonly deadAfterMs: number;
  private readonly sendTimeoutMs: number;
  private readonly typingThrottleMs: number;

  private ws: WebSocketLike | null = null;
  private started = false;
  private reconnectTimer: unknown = null;
  private pingTimer: unknown = null;
  private lastReceived = 0;

  constructor(opts: RealtimeOptions) {
    this.opts = opts;
    this.Ctor = opts.WebSocket ?? (globalThis.WebSocket as unknown as WebSocketCtor);
    this.timers = opts.timers ?? browserTimers;
    this.uuid = opts.uuid ?? (() => crypto.randomUUID());
    this.random = opts.random ?? Math.random;
    this.backoff = new Backoff({ ...opts.backoff, random: this.random });
    this.pingIntervalMs = opts.pingIntervalMs ?? 25_000;
    this.deadAfterMs = opts.deadAfterMs ?? 2 * this.pingIntervalMs + 10_000;
    this.sendTimeoutMs = opts.sendTimeoutMs ?? 15_000;
    this.typingThrottleMs = opts.typingThrottleMs ?? 3000;
    this.sequencer = new Sequencer({
      timers: this.timers,
      gapMs: opts.gapMs ?? 1000,
      apply: (event) => {
        // An unknown type has taken its seq; there is nothing else to do with it.
        if (!isKnownSequenced(event)) return;
        if (event.type === 'message.created' && event.message.client_id) {
          this.resolveSent(event.message.client_id, event.message.id, event.message.seq);
        }
        this.emit(event.type, event as never);
      },
      requestCatchUp: (group, afterSeq) => this.sendSubscribe(group, afterSeq),
    });
  }

  // ---------------------------------------------------------------- events

  on<K extends RealtimeEventType>(type: K, handler: Handler<K>): () => void {
    let set = this.handlers.get(type);
    if (!set) {
      set = new Set();
      this.handlers.set(type, set);
    }
    set.add(handler as Handler<never>);
    return () => set.delete(handler as Handler<never>);
  }

  private emit<K extends RealtimeEventType>(type: K, event: RealtimeEventMap[K]): void {
    const set = this.handlers.get(type);
    if (!set) return;
    for (const h of [...set]) {
      try {
        (h as Handler<K>)(event);
      } catch (err) {
        console.error(`realtime: handler for ${type} failed`, err);
      }
    }
  }

  private setStatus(status: ConnectionStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.emit('status', { status });
  }

  // ---------------------------------------------------------------- connection

  connect(): void {
    if (this.started) return;
    this.started = true;
    this.setStatus('connecting');
    this.openSocket();
  }

  /** Stops for good (log out): closes the socket and forgets subscriptions and the outbox. */
  disconnect(): void {
    this.started = false;
    this.clearReconnect();
    this.stopPing();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      detach(ws);
      ws.close(1000);
    }
    for (const { group } of this.sequencer.active()) this.sequencer.forget(group);
    for (const group of [...this.subscribeRetries.keys()]) this.cancelSubscribeRetry(group);
    for (const entry of this.outbox.values()) this.timers.clearTimeout(entry.timer);
    this.outbox.clear();
    this.backoff.reset();
    this.setStatus('idle');
  }

  /** Try now instead of waiting out the back-off (e.g. the browser says it is online again). */
  reconnectNow(): void {
    if (!this.started || this.ws || this.reconnectTimer === null) return;
    this.clearReconnect();
    this.openSocket();
  }

  get isOpen(): boolean {
    return this.ws !== null && this.ws.readyState === OPEN && this.status === 'open';
  }

  private openSocket(): void {
    let ws: WebSocketLike;
    try {
      ws = new this.Ctor(this.opts.url());
    } catch (err) {
      console.error('realtime: cannot open socket', err);
      this.onClosed(1006);
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.onOpened();
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this.lastReceived = this.timers.now();
      this.onFrame(parseFrame(ev.data));
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      detach(ws);
      this.onClosed(ev.code);
    };
    // Errors are always followed by a close event.
    ws.onerror = () => {};
  }

  private onOpened(): void {
    this.backoff.reset();
    this.lastReceived = this.timers.now();
    this.setStatus('open');
    // Refused subscribes are tried again on a new socket too, without waiting for their timer.
    for (const [group, retry] of this.subscribeRetries) {
      this.timers.clearTimeout(retry.timer);
      retry.timer = null;
      if (!this.sequencer.isTracked(group)) this.sequencer.track(group, retry.last);
    }
    for (const { group, last } of this.sequencer.active()) this.sendSubscribe(group, last);
    for (const entry of this.outbox.values()) {
      if (entry.state === 'pending') {
        this.armSendTimer(entry);
        this.sendFrame(sendFrame(entry));
      }
    }
    this.schedulePing();
  }

  private onClosed(code: number): void {
    this.stopPing();
    this.sequencer.clearHeld();
    if (code === 4001) {
      this.started = false;
      this.setStatus('unauthenticated');
      this.emit('auth_required', {});
      return;
    }
    if (code === 4003) {
      this.started = false;
      this.setStatus('forbidden');
      return;
    }
    if (!this.started) return;
    this.setStatus('reconnecting');
    this.clearReconnect();
    this.reconnectTimer = this.timers.setTimeout(() => {
      this.reconnectTimer = null;
      if (this.started && !this.ws) this.openSocket();
    }, this.backoff.next());
  }

  private clearReconnect(): void {
    if (this.reconnectTimer !== null) this.timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  private schedulePing(): void {
    this.stopPing();
    this.pingTimer = this.timers.setTimeout(() => {
      this.pingTimer = null;
      if (!this.ws) return;
      if (this.timers.now() - this.lastReceived >= this.deadAfterMs) {
        // The browser may take minutes to notice a dead TCP connection; don't wait for it.
        const ws = this.ws;
        this.ws = null;
        detach(ws);
        ws.close(4000, 'no answer');
        this.onClosed(1006);
        return;
      }
      this.sendFrame({ type: 'ping' });
      this.schedulePing();
    }, this.pingIntervalMs);
  }

  private stopPing(): void {
    if (this.pingTimer !== null) this.timers.clearTimeout(this.pingTimer);
    this.pingTimer = null;
  }

  private sendFrame(frame: ClientFrame): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== OPEN || this.status !== 'open') return false;
    try {
      ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  // ---------------------------------------------------------------- incoming

  private onFrame(frame: ParsedFrame | null): void {
    if (!frame) return;
    if (isSequenced(frame)) {
      this.sequencer.receive(frame);
      return;
    }
    switch (frame.type) {
      case 'ack':
        this.resolveSent(frame.client_id, frame.id, frame.seq);
        break;
      case 'error': {
        if (frame.client_id && frame.retriable) this.sendAgainLater(frame.client_id);
        else if (frame.client_id) this.fail(frame.client_id, frame);
        const target = this.refs.resolve(frame.ref);
        if (target?.action === 'subscribe' && 'group' in target) this.subscribeRefused(target.group);
        this.emit('error', { ...frame, target });
        return;
      }
      case 'subscribed':
        this.cancelSubscribeRetry(frame.group);
        this.sequencer.subscribed(frame.group, frame.last_seq);
        break;
      case 'unsubscribed':
        // `requested` was already forgotten by unsubscribe(); we may have subscribed again since.
        if (frame.reason !== 'requested') this.sequencer.forget(frame.group);
        break;
      case 'resync_required':
        this.sequencer.pause(frame.group);
        break;
      default:
        break;
    }
    this.emit(frame.type, frame as never);
  }

  // ---------------------------------------------------------------- subscriptions

  /**
   * Subscribes to a group. `afterSeq` is the last seq the caller's state reflects (REST `last_seq`);
   * when the group is already being followed it is ignored, since the client's own last applied seq
   * is more precise. After `resync_required`, call this again with the fresh `last_seq`.
   */
  subscribe(group: string, afterSeq?: number | null): void {
    if (this.sequencer.isActive(group)) return;
    const retry = this.subscribeRetries.get(group);
    if (retry) {
      // Asked now (a page shows the group): the timer is not needed; the back-off goes on if refused again.
      this.timers.clearTimeout(retry.timer);
      retry.timer = null;
    }
    const last = afterSeq ?? retry?.last ?? null;
    this.sequencer.track(group, last);
    this.sendSubscribe(group, last);
  }

  private sendSubscribe(group: string, afterSeq: number | null): void {
    const ref = this.refs.make({ action: 'subscribe', group });
    this.sendFrame(afterSeq === null ? { type: 'subscribe', group, ref } : { type: 'subscribe', group, after_seq: afterSeq, ref });
  }

  /**
   * The server refused to follow a group (a `subscribe` error): stop tracking it, so the next
   * subscribe() asks again, and try again with back-off until it is followed or unsubscribed.
   */
  private subscribeRefused(group: string): void {
    let retry = this.subscribeRetries.get(group);
    if (!retry && !this.sequencer.isTracked(group)) return; // unsubscribed meanwhile
    const last = this.sequencer.last(group);
    this.sequencer.forget(group);
    if (!retry) {
      retry = { backoff: new Backoff({ ...this.opts.backoff, random: this.random }), timer: null, last };
      this.subscribeRetries.set(group, retry);
    } else {
      this.timers.clearTimeout(retry.timer);
      retry.timer = null;
      if (last !== null) retry.last = last;
    }
    if (!this.started || retry.backoff.attempts >= MAX_SUBSCRIBE_RETRIES) return;
    const entry = retry;
    entry.timer = this.timers.setTimeout(() => {
      entry.timer = null;
      if (this.started && this.subscribeRetries.get(group) === entry) this.subscribe(group, entry.last);
    }, entry.backoff.next());
  }

  /** Stops trying again to follow a group whose subscribe was refused (no page wants it any more). */
  cancelSubscribeRetry(group: string): void {
    const retry = this.subscribeRetries.get(group);
    if (!retry) return;
    this.timers.clearTimeout(retry.timer);
    this.subscribeRetries.delete(group);
  }

  unsubscribe(group: string): void {
    this.cancelSubscribeRetry(group);
    if (!this.sequencer.isTracked(group)) return;
    this.sequencer.forget(group);
    this.sendFrame({ type: 'unsubscribe', group });
  }

  isSubscribed(group: string): boolean {
    return this.sequencer.isActive(group);
  }

  lastSeq(group: string): number | null {
    return this.sequencer.last(group);
  }

  // ---------------------------------------------------------------- sending messages

  /** Queues a message; it goes out now if connected, or on reconnect. Never dropped silently. */
  sendMessage(thread: number, body: string, resources: number[] = []): OutboxUpdate {
    const entry: OutboxEntry = { client_id: this.uuid(), thread, body, state: 'pending', timer: null };
    if (resources.length) entry.resources = [...resources];
    this.outbox.set(entry.client_id, entry);
    this.armSendTimer(entry);
    this.sendFrame(sendFrame(entry));
    const update = publicView(entry);
    this.emit('outbox', update);
    return update;
  }

  /** Sends a failed message again with the same client_id (the server never stores it twice). */
  retry(clientId: string): void {
    const entry = this.outbox.get(clientId);
    if (!entry || entry.state !== 'failed') return;
    entry.state = 'pending';
    entry.error = undefined;
    this.armSendTimer(entry);
    this.sendFrame(sendFrame(entry));
    this.emit('outbox', publicView(entry));
  }

  /** Gives up on an unsent message (the user chose to). */
  discard(clientId: string): void {
    const entry = this.outbox.get(clientId);
    if (!entry) return;
    this.timers.clearTimeout(entry.timer);
    this.outbox.delete(clientId);
  }

  pending(): OutboxUpdate[] {
    return [...this.outbox.values()].map(publicView);
  }

  private armSendTimer(entry: OutboxEntry): void {
    this.timers.clearTimeout(entry.timer);
    entry.timer = this.timers.setTimeout(() => {
      entry.timer = null;
      if (this.outbox.get(entry.client_id) === entry && entry.state === 'pending') {
        this.fail(entry.client_id, { code: 'timeout', detail: '' });
      }
    }, this.sendTimeoutMs);
  }

  /** A passing server fault: the same frame (same client_id, never stored twice) after a jittered
   * back-off, until acked — or until the send timer runs out and it fails as `timeout`. */
  private sendAgainLater(clientId: string): void {
    const entry = this.outbox.get(clientId);
    if (!entry || entry.state !== 'pending') return;
    const attempt = entry.retries ?? 0;
    entry.retries = attempt + 1;
    const delay = this.random() * Math.min(5000, 500 * 2 ** attempt);
    this.timers.setTimeout(() => {
      if (this.outbox.get(clientId) === entry && entry.state === 'pending') this.sendFrame(sendFrame(entry));
    }, delay);
  }

  private resolveSent(clientId: string, id: number, seq: number): void {
    const entry = this.outbox.get(clientId);
    if (!entry) return;
    this.timers.clearTimeout(entry.timer);
    this.outbox.delete(clientId);
    entry.state = 'sent';
    entry.id = id;
    entry.seq = seq;
    entry.error = undefined;
    this.emit('outbox', publicView(entry));
  }

  private fail(clientId: string, error: SendError): void {
    const entry = this.outbox.get(clientId);
    if (!entry) return;
    this.timers.clearTimeout(entry.timer);
    entry.timer = null;
    entry.state = 'failed';
    entry.error = { code: error.code, detail: error.detail, retry_after: error.retry_after, until: error.until, reason: error.reason };
    this.emit('outbox', publicView(entry));
  }

  // ---------------------------------------------------------------- other actions
  // Each returns false when the socket is down, so the caller can fall back to REST. Each frame
  // carries a ref, so an error it causes reaches the 'error' handlers with its `target`.

  edit(id: number, body: string): boolean {
    return this.sendFrame({ type: 'message.edit', id, body, ref: this.refs.make({ action: 'edit', message: id }) });
  }

  delete(id: number): boolean {
    return this.sendFrame({ type: 'message.delete', id, ref: this.refs.make({ action: 'delete', message: id }) });
  }

  react(id: number, emoji: string, add: boolean): boolean {
    const ref = this.refs.make({ action: 'reaction', message: id });
    return this.sendFrame({ type: add ? 'reaction.add' : 'reaction.remove', id, emoji, ref });
  }

  read(thread: number, seq: number): boolean {
    return this.sendFrame({ type: 'read', thread, seq, ref: this.refs.make({ action: 'read', thread }) });
  }

  // ---- moderation (docs/protocol.md, "Moderation"); the server checks the rights. Success shows as
  // the sequenced event that follows (or a notice to the member); a refusal as an error with the ref.

  /** hide / remove (reason required), unhide, pin, unpin. */
  moderateMessage(action: MessageModeration, id: number, reason = ''): boolean {
    const ref = this.refs.make({ action, message: id });
    if (action === 'hide' || action === 'remove') return this.sendFrame({ type: `message.${action}`, id, reason, ref });
    return this.sendFrame({ type: `message.${action}`, id, ref });
  }

  lockThread(thread: number, locked: boolean, reason = ''): boolean {
    const ref = this.refs.make({ action: locked ? 'lock' : 'unlock', thread });
    return this.sendFrame(locked ? { type: 'thread.lock', thread, reason, ref } : { type: 'thread.unlock', thread, ref });
  }

  /** Slow mode for the group (`thread: null`) or one thread; 0 turns it off. */
  setSlowMode(group: string, seconds: number, thread: number | null): boolean {
    const ref = this.refs.make(thread === null ? { action: 'slow_mode', group } : { action: 'slow_mode', thread });
    return this.sendFrame({ type: 'group.slow_mode', group, seconds, thread, ref });
  }

  /** Reports a message (once); a refusal (`already_reported`, …) comes back with the ref `report:<id>`. */
  report(id: number, category: ReportCategory, note: string): boolean {
    const ref = this.refs.make({ action: 'report', message: id });
    return this.sendFrame(note ? { type: 'message.report', id, category, note, ref } : { type: 'message.report', id, category, ref });
  }

  /** Follows a library's moderation queue on this socket (send again after every reconnect). */
  moderationSubscribe(library: string): boolean {
    return this.sendFrame({ type: 'moderation.subscribe', library });
  }

  /** Tell others we are typing; throttled to one frame per thread per 3 s. */
  typing(thread: number): void {
    const now = this.timers.now();
    const last = this.lastTyping.get(thread);
    if (last !== undefined && now - last < this.typingThrottleMs) return;
    if (this.sendFrame({ type: 'typing', thread })) this.lastTyping.set(thread, now);
  }
}

function detach(ws: WebSocketLike): void {
  ws.onopen = null;
  ws.onclose = null;
  ws.onmessage = null;
  ws.onerror = null;
}

function publicView(entry: OutboxEntry): OutboxUpdate {
  const { timer: _timer, resources: _resources, ...rest } = entry;
  return { ...rest };
}

/** The `message.send` frame of an outbox entry (the same on every retry). */
function sendFrame(entry: OutboxEntry): ClientFrame {
  const frame = { type: 'message.send' as const, thread: entry.thread, body: entry.body, client_id: entry.client_id };
  return entry.resources ? { ...frame, resources: entry.resources } : frame;
}

/** The socket URL for this page: same host, ws(s) by the page's scheme. */
export function socketUrl(lang: string, loc: Pick<Location, 'protocol' | 'host'> = location): string {
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${loc.host}/ws/?lang=${encodeURIComponent(lang)}`;
}
