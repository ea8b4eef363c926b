import { describe, expect, it } from 'vitest';
import { threadCreated } from '../realtime/testing';
import type { ThreadEvent } from '../realtime/protocol';
import { ThreadsStore } from './threads.svelte';

const G = 'energie-klimaat';

describe('ThreadsStore: locked threads', () => {
  it('updates a listed thread from thread.locked / thread.unlocked, keeping its unread count', () => {
    const store = new ThreadsStore();
    const created = threadCreated(43, G) as { thread: ThreadEvent['thread'] };
    store.byGroup[G] = { threads: [{ ...created.thread, unread: 2 }], status: 'loaded', error: null };
    const ev = (locked: boolean, seq: number): ThreadEvent => ({
      type: locked ? 'thread.locked' : 'thread.unlocked',
      group: G,
      seq,
      thread: { ...created.thread, locked },
    });
    store.onThreadChanged(ev(true, 44));
    expect(store.find(G, created.thread.id)).toMatchObject({ locked: true, unread: 2 });
    store.onThreadChanged(ev(false, 45));
    expect(store.find(G, created.thread.id)?.locked).toBe(false);
    // Unknown group or thread: nothing happens.
    store.onThreadChanged({ ...ev(true, 46), group: 'boeken' });
    expect(store.byGroup.boeken).toBeUndefined();
  });
});
