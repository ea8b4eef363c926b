// Shared by the attach dialog's tests (composer and message mode): a real ChatStore and DOM helpers.
import { flushSync, tick } from 'svelte';
import type { UserRef } from '../../api/types';
import type { RealtimeClient } from '../../realtime/client';
import { fakeClient } from '../../realtime/testing';
import { ChatStore } from '../../stores/chat.svelte';

/** The real chat store on a fake realtime client; `me` is a member of every group and the page is visible. */
export function testChat(me: UserRef): { rt: RealtimeClient; chat: ChatStore } {
  const { client: rt } = fakeClient();
  const chat = new ChatStore({
    rt,
    me: () => me,
    isMember: () => true,
    view: async () => ({ fresh: false }),
    release: () => {},
    onRead: () => {},
    knownUnread: () => undefined,
    visible: () => true,
  });
  return { rt, chat };
}

/** Lets mocked requests settle and Svelte update. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await Promise.resolve();
    await tick();
  }
  flushSync();
}

export function key(el: Element, k: string): void {
  el.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true }));
  flushSync();
}

export function type(input: HTMLInputElement, value: string): void {
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  flushSync();
}
