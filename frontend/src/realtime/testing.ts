// Test doubles for the realtime client: a manual clock and a scriptable WebSocket.
import { RealtimeClient, type RealtimeOptions, type WebSocketLike } from './client';
import type { ServerFrame } from './protocol';
import type { Timers } from './timers';

export class FakeTimers implements Timers {
  private time = 0;
  private nextId = 1;
  private readonly tasks = new Map<number, { at: number; fn: () => void }>();

  setTimeout(fn: () => void, ms: number): number {
    const id = this.nextId++;
    this.tasks.set(id, { at: this.time + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.tasks.delete(handle as number);
  }

  now(): number {
    return this.time;
  }

  pendingCount(): number {
    return this.tasks.size;
  }

  /** Delays of the scheduled tasks, relative to now. */
  delays(): number[] {
    return [...this.tasks.values()].map((t) => t.at - this.time).sort((a, b) => a - b);
  }

  /** Moves time forward, running due tasks in time order (including ones they schedule). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let dueId: number | null = null;
      let dueAt = Infinity;
      for (const [id, t] of this.tasks) {
        if (t.at <= end && (t.at < dueAt || (t.at === dueAt && dueId !== null && id < dueId))) {
          dueId = id;
          dueAt = t.at;
        }
      }
      if (dueId === null) break;
      const task = this.tasks.get(dueId)!;
      this.tasks.delete(dueId);
      this.time = task.at;
      task.fn();
    }
    this.time = end;
  }
}

export class FakeSocket implements WebSocketLike {
  static instances: FakeSocket[] = [];
  readyState = 0;
  onopen: ((ev: Event) => void) | null = null;
  onclose: ((ev: CloseEvent) => void) | null = null;
  onmessage: ((ev: MessageEvent) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;
  readonly sent: Record<string, unknown>[] = [];
  closedWith: number | null = null;

  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }

  static reset(): void {
    FakeSocket.instances = [];
  }

  static latest(): FakeSocket {
    const s = FakeSocket.instances[FakeSocket.instances.length - 1];
    if (!s) throw new Error('no socket opened');
    return s;
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(code = 1000): void {
    this.closedWith = code;
    this.readyState = 3;
  }

  // ---- driven by the test ----
  open(): void {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }

  receive(frame: ServerFrame | Record<string, unknown> | string): void {
    const data = typeof frame === 'string' ? frame : JSON.stringify(frame);
    this.onmessage?.({ data } as MessageEvent);
  }

  serverClose(code: number): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '', wasClean: code !== 1006 } as CloseEvent);
  }

  framesOfType(type: string): Record<string, unknown>[] {
    return this.sent.filter((f) => f.type === type);
  }
}

/** A client on fake sockets and a fake clock (no socket yet), with uuids `cid-1`, `cid-2`, … */
export function fakeClient(opts: Partial<RealtimeOptions> = {}): { client: RealtimeClient; timers: FakeTimers } {
  FakeSocket.reset();
  const timers = new FakeTimers();
  let n = 0;
  const client = new RealtimeClient({
    url: () => 'ws://test/ws/?lang=nl',
    WebSocket: FakeSocket,
    timers,
    random: () => 0.5,
    uuid: () => `cid-${++n}`,
    ...opts,
  });
  return { client, timers };
}

import type { Message } from '../api/types';
import type { MessageEvent as MsgEvent, SequencedEvent } from './protocol';

export function makeMessage(over: Partial<Message> = {}): Message {
  const id = over.id ?? 1;
  return {
    id,
    group: 'energie-klimaat',
    thread: 12,
    seq: id,
    author: { id: 7, display_name: 'Anouk' },
    body: `bericht ${id}`,
    html: `<p>bericht ${id}</p>`,
    created_at: '2026-11-25T14:03:11.120000Z',
    edited_at: null,
    deleted: false,
    reactions: [],
    client_id: null,
    pinned: false,
    moderation: null,
    resources: [],
    ...over,
  };
}

export function created(seq: number, over: Partial<Message> = {}, group = 'energie-klimaat'): MsgEvent<'message.created'> {
  return { type: 'message.created', group, seq, message: makeMessage({ id: seq, seq, group, ...over }) };
}

export function threadCreated(seq: number, group = 'energie-klimaat'): SequencedEvent {
  return {
    type: 'thread.created',
    group,
    seq,
    thread: {
      id: 100 + seq,
      group,
      title: `Gesprek ${seq}`,
      created_by: { id: 7, display_name: 'Anouk' },
      created_at: '2026-11-25T14:05:00Z',
      last_message_at: null,
      message_count: 0,
      locked: false,
    },
  };
}
