import { ApiError } from '../api/client';
import { createThread, listThreads } from '../api/endpoints';
import type { Thread } from '../api/types';
import type { MessageEvent, ThreadCreatedEvent, ThreadEvent } from '../realtime/protocol';
import type { LoadStatus } from './groups.svelte';

export interface GroupThreads {
  threads: Thread[];
  status: LoadStatus;
  error: ApiError | null;
}

function activity(t: Thread): string {
  return t.last_message_at ?? t.created_at;
}

function byActivity(a: Thread, b: Thread): number {
  const x = activity(a);
  const y = activity(b);
  return x < y ? 1 : x > y ? -1 : b.id - a.id;
}

/** Thread lists per group, most recently active first, with per-thread unread counts. */
export class ThreadsStore {
  byGroup = $state<Record<string, GroupThreads>>({});

  async load(group: string): Promise<void> {
    const current = this.byGroup[group];
    this.byGroup[group] = { threads: current?.threads ?? [], status: 'loading', error: null };
    try {
      const threads = await listThreads(group);
      this.byGroup[group] = { threads: [...threads].sort(byActivity), status: 'loaded', error: null };
    } catch (err) {
      this.byGroup[group] = { threads: current?.threads ?? [], status: 'error', error: err instanceof ApiError ? err : null };
    }
  }

  async create(group: string, title: string, body?: string): Promise<Thread> {
    const thread = await createThread(group, title, body);
    this.add({ ...thread, unread: 0 });
    return thread;
  }

  find(group: string, id: number): Thread | undefined {
    return this.byGroup[group]?.threads.find((t) => t.id === id);
  }

  private add(thread: Thread): void {
    const entry = this.byGroup[thread.group];
    if (!entry || entry.threads.some((t) => t.id === thread.id)) return;
    entry.threads = [{ unread: 0, ...thread }, ...entry.threads].sort(byActivity);
  }

  onThreadCreated(ev: ThreadCreatedEvent): void {
    this.add(ev.thread);
  }

  /** `thread.locked` / `thread.unlocked` carry the thread as it is now; its unread count stays ours. */
  onThreadChanged(ev: Pick<ThreadEvent, 'group' | 'thread'>): void {
    const entry = this.byGroup[ev.group];
    const i = entry?.threads.findIndex((t) => t.id === ev.thread.id) ?? -1;
    if (!entry || i < 0) return;
    const current = entry.threads[i];
    entry.threads[i] = { ...current, ...ev.thread, unread: current.unread };
  }

  onMessageCreated(ev: MessageEvent<'message.created'>, countsAsUnread: boolean): void {
    const entry = this.byGroup[ev.group];
    const t = entry?.threads.find((x) => x.id === ev.message.thread);
    if (!entry || !t) return;
    t.message_count += 1;
    t.last_message_at = ev.message.created_at;
    if (countsAsUnread) t.unread = (t.unread ?? 0) + 1;
    entry.threads = [...entry.threads].sort(byActivity);
  }

  /** Sets a thread's unread count; returns the previous one, or null when the thread is not loaded. */
  setUnread(group: string, thread: number, count: number): number | null {
    const t = this.find(group, thread);
    if (!t || t.unread === undefined) return null;
    const prev = t.unread;
    t.unread = count;
    return prev;
  }

  clear(): void {
    this.byGroup = {};
  }
}
