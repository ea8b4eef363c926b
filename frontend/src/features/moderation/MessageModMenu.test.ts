import { flushSync, mount, tick, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import type { MessageMenuAction } from '../../lib/moderation';
import { makeMessage } from '../../realtime/testing';
import type { MessageModRequest } from '../../stores/chat.svelte';
import MessageModMenu from './MessageModMenu.svelte';

const mounted: Record<string, unknown>[] = [];
afterEach(() => {
  for (const c of mounted.splice(0)) unmount(c);
  document.body.innerHTML = '';
});

function render(actions: MessageMenuAction[]) {
  const target = document.createElement('div');
  document.body.append(target);
  const requests: MessageModRequest[] = [];
  mounted.push(
    mount(MessageModMenu, {
      target,
      props: {
        message: { ...makeMessage({ id: 311 }), state: 'sent' as const },
        actions,
        onModerate: async (req: MessageModRequest) => (requests.push(req), true),
      },
    }),
  );
  flushSync();
  const q = <T extends HTMLElement = HTMLElement>(sel: string) => target.querySelector<T>(sel);
  const trigger = q<HTMLButtonElement>('[data-testid="moderation-menu-button"]')!;
  const items = () => [...target.querySelectorAll<HTMLButtonElement>('[role="menuitem"]')];
  const key = (el: Element, k: string) => el.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true }));
  return { target, q, trigger, items, key, requests };
}

const settle = async () => {
  flushSync();
  await tick();
  await tick();
};

describe('MessageModMenu', () => {
  it('is a menu button: arrow keys open and move, Escape closes back to the button', async () => {
    const { trigger, items, key, q } = render(['hide', 'remove', 'pin', 'mute']);
    expect(trigger.getAttribute('aria-haspopup')).toBe('menu');
    expect(trigger.getAttribute('aria-expanded')).toBe('false');
    expect(trigger.textContent).toContain('Modereren');
    trigger.focus();
    key(trigger, 'ArrowDown');
    await settle();
    expect(trigger.getAttribute('aria-expanded')).toBe('true');
    expect(q('[role="menu"]')?.getAttribute('aria-labelledby')).toBe(trigger.id);
    expect(items().map((i) => i.textContent)).toEqual(['Verbergen…', 'Verwijderen…', 'Vastzetten', 'Anouk dempen…']);
    expect(document.activeElement).toBe(items()[0]);
    key(items()[0], 'ArrowDown');
    expect(document.activeElement).toBe(items()[1]);
    key(items()[1], 'End');
    expect(document.activeElement).toBe(items()[3]);
    key(items()[3], 'ArrowDown');
    expect(document.activeElement).toBe(items()[0]);
    key(items()[0], 'ArrowUp');
    expect(document.activeElement).toBe(items()[3]);
    key(items()[3], 'Escape');
    await settle();
    expect(items()).toHaveLength(0);
    expect(document.activeElement).toBe(trigger);
    key(trigger, 'ArrowUp');
    await settle();
    expect(document.activeElement).toBe(items()[3]);
  });

  it('asks a reason for hiding, and refuses an empty one', async () => {
    const { trigger, items, q, requests } = render(['hide', 'pin']);
    trigger.click();
    await settle();
    items()[0].click();
    await settle();
    const form = q<HTMLFormElement>('[data-testid="moderation-form"]')!;
    const reason = q<HTMLTextAreaElement>('[data-testid="moderation-reason-input"]')!;
    expect(form.dataset.action).toBe('hide');
    expect(document.activeElement).toBe(reason);
    form.requestSubmit();
    await settle();
    expect(requests).toEqual([]);
    expect(reason.getAttribute('aria-invalid')).toBe('true');
    expect(q(`#${reason.getAttribute('aria-describedby')!.split(' ')[1]}`)?.textContent).toContain('Geef een reden');
    reason.value = 'Persoonlijke gegevens';
    reason.dispatchEvent(new Event('input', { bubbles: true }));
    form.requestSubmit();
    await settle();
    expect(requests).toEqual([{ action: 'hide', reason: 'Persoonlijke gegevens' }]);
    expect(q('[data-testid="moderation-form"]')).toBeNull();
    expect(document.activeElement).toBe(trigger);
  });

  it('runs pin at once, and asks minutes and a reason for a mute', async () => {
    const { trigger, items, q, requests } = render(['pin', 'mute']);
    trigger.click();
    await settle();
    items()[0].click();
    await settle();
    expect(requests).toEqual([{ action: 'pin' }]);
    trigger.click();
    await settle();
    items()[1].click();
    await settle();
    const minutes = q<HTMLInputElement>('[data-testid="moderation-minutes"]')!;
    expect(document.activeElement).toBe(minutes);
    minutes.value = '15';
    minutes.dispatchEvent(new Event('input', { bubbles: true }));
    const reason = q<HTMLTextAreaElement>('[data-testid="moderation-reason-input"]')!;
    reason.value = 'Even afkoelen';
    reason.dispatchEvent(new Event('input', { bubbles: true }));
    q<HTMLFormElement>('[data-testid="moderation-form"]')!.requestSubmit();
    await settle();
    expect(requests[1]).toEqual({ action: 'mute', reason: 'Even afkoelen', minutes: 15 });
  });
});
