import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../api/types';
import { makeMessage } from '../../realtime/testing';
import type { ChatMessage } from '../../stores/messages';
import MessageItem from './MessageItem.svelte';

const mounted: Record<string, unknown>[] = [];

afterEach(() => {
  for (const c of mounted.splice(0)) unmount(c);
  document.body.innerHTML = '';
});

function render(
  over: Partial<Message>,
  myId: number | null = 9,
  onReport: ((category: string, note: string) => Promise<boolean>) | undefined = undefined,
): HTMLElement {
  const target = document.createElement('ol');
  document.body.append(target);
  const message: ChatMessage = { ...makeMessage({ id: 311, seq: 42, ...over }), state: 'sent' };
  mounted.push(mount(MessageItem, {
    target,
    props: {
      message,
      myId,
      canAct: true,
      showDivider: false,
      onRetry: () => {},
      onDiscard: () => {},
      onEdit: async () => true,
      onDelete: () => {},
      onReact: () => {},
      onDismissError: () => {},
      onReport,
    },
  }));
  flushSync();
  return target.querySelector('[data-testid="message"]')!;
}

const byTestId = (root: HTMLElement, id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);

describe('MessageItem: moderation state', () => {
  it('shows members a hidden message as the moderator’s reason, without text or reactions', () => {
    const li = render({ body: '', html: '', reactions: [], moderation: { state: 'hidden', reason: 'Persoonlijke gegevens' } });
    expect(byTestId(li, 'message-moderated')?.textContent?.trim()).toBe('Verborgen door een moderator: Persoonlijke gegevens');
    expect(byTestId(li, 'message-body')).toBeNull();
    expect(byTestId(li, 'reactions')).toBeNull();
    expect(li.dataset.moderation).toBe('hidden');
  });

  it('shows members a removed message as a tombstone with the reason', () => {
    const li = render({ body: '', html: '', deleted: true, moderation: { state: 'removed', reason: 'Spam' } });
    expect(byTestId(li, 'message-moderated')?.textContent?.trim()).toBe('Verwijderd door een moderator: Spam');
    expect(byTestId(li, 'message-deleted')).toBeNull();
  });

  it('shows moderators the text, marked with a badge and the reason', () => {
    const li = render({ moderation: { state: 'hidden', reason: 'Persoonlijke gegevens' } });
    expect(byTestId(li, 'message-body')?.textContent?.trim()).toBe('bericht 311');
    expect(byTestId(li, 'moderation-badge')?.textContent?.trim()).toBe('Verborgen');
    expect(byTestId(li, 'moderation-reason')?.textContent).toContain('Reden: Persoonlijke gegevens');
    expect(byTestId(li, 'message-moderated')).toBeNull();
    const removed = render({ moderation: { state: 'removed', reason: 'Spam' } });
    expect(byTestId(removed, 'moderation-badge')?.dataset.state).toBe('removed');
  });

  it('shows a held message to others as waiting for review, and marked to its author', () => {
    const held = { state: 'held', reason: 'Woordenlijst' } as const;
    const other = render({ body: '', html: '', moderation: held });
    expect(byTestId(other, 'message-moderated')?.textContent?.trim()).toBe('Dit bericht wacht op beoordeling door een moderator.');
    const own = render({ author: { id: 9, display_name: 'Bram' }, moderation: held });
    expect(byTestId(own, 'moderation-badge')?.textContent?.trim()).toBe('Wacht op beoordeling');
    expect(byTestId(own, 'message-body')?.textContent?.trim()).toBe('bericht 311');
  });

  it('offers no edit or delete on the author’s own moderated message', () => {
    const li = render({ author: { id: 9, display_name: 'Bram' }, moderation: { state: 'hidden', reason: 'x' } });
    expect(byTestId(li, 'edit-button')).toBeNull();
    const plain = render({ author: { id: 9, display_name: 'Bram' } });
    expect(byTestId(plain, 'edit-button')).not.toBeNull();
  });

  it('marks pinned messages', () => {
    expect(byTestId(render({ pinned: true }), 'pinned-marker')?.textContent).toContain('Vastgezet');
    expect(byTestId(render({ pinned: false }), 'pinned-marker')).toBeNull();
  });

  it('words a refused send by its code', () => {
    const target = document.createElement('ol');
    document.body.append(target);
    const message: ChatMessage = {
      ...makeMessage({ id: 0, seq: 0, client_id: 'cid-1' }),
      state: 'failed',
      error: { code: 'slow_mode', detail: 'Slow mode', retry_after: 20 },
    };
    mounted.push(mount(MessageItem, {
      target,
      props: {
        message,
        myId: 7,
        canAct: true,
        showDivider: false,
        onRetry: () => {},
        onDiscard: () => {},
        onEdit: async () => true,
        onDelete: () => {},
        onReact: () => {},
        onDismissError: () => {},
      },
    }));
    flushSync();
    expect(target.querySelector('[data-testid="message-failed"]')?.textContent).toContain(
      'Langzame modus: je kunt over 20 seconden weer een bericht plaatsen.',
    );
  });
});

describe('MessageItem: a refused send', () => {
  function renderFailed(error: { code: string; detail: string; retry_after?: number }) {
    const target = document.createElement('ol');
    document.body.append(target);
    const calls: string[] = [];
    const message: ChatMessage = { ...makeMessage({ id: 0, seq: 0, client_id: 'cid-1', body: 'Hallo' }), state: 'failed', error };
    mounted.push(mount(MessageItem, {
      target,
      props: {
        message,
        myId: 7,
        canAct: true,
        showDivider: false,
        onRetry: (c: string) => calls.push(`retry:${c}`),
        onDiscard: (c: string) => calls.push(`discard:${c}`),
        onEditFailed: (c: string) => calls.push(`edit:${c}`),
        onEdit: async () => true,
        onDelete: () => {},
        onReact: () => {},
        onDismissError: () => {},
      },
    }));
    flushSync();
    return { li: target.querySelector<HTMLElement>('[data-testid="message"]')!, calls };
  }

  it.each(['blocked_content', 'body_too_long', 'banned', 'muted', 'thread_locked', 'not_a_member', 'permission_denied', 'validation_error'])(
    'offers edit and discard, not retry, for %s',
    (code) => {
      const { li, calls } = renderFailed({ code, detail: 'Niet toegestaan.' });
      expect(byTestId(li, 'retry-button')).toBeNull();
      expect(byTestId(li, 'message-failed')?.textContent).toContain('Niet verstuurd.');
      byTestId(li, 'edit-failed-button')!.click();
      byTestId(li, 'discard-button')!.click();
      expect(byTestId(li, 'edit-failed-button')?.textContent?.trim()).toBe('Bewerken');
      expect(calls).toEqual(['edit:cid-1', 'discard:cid-1']);
    },
  );

  it('shows the translated reason of blocked content', () => {
    const { li } = renderFailed({ code: 'blocked_content', detail: 'x' });
    expect(byTestId(li, 'message-failed')?.textContent).not.toContain('blocked_content');
  });

  it.each([
    { code: 'rate_limited', detail: 'Te snel.', retry_after: 4 },
    { code: 'slow_mode', detail: 'Langzaam', retry_after: 20 },
    { code: 'timeout', detail: '' },
    { code: 'server_error', detail: 'Fout' },
  ])('keeps retry for $code', (error) => {
    const { li, calls } = renderFailed(error);
    expect(byTestId(li, 'edit-failed-button')).toBeNull();
    byTestId(li, 'retry-button')!.click();
    expect(calls).toEqual(['retry:cid-1']);
  });
});

describe('MessageItem: a refused edit', () => {
  it('opens the editor again with the refused text and the error', () => {
    const target = document.createElement('ol');
    document.body.append(target);
    let restored = 0;
    const message: ChatMessage = { ...makeMessage({ id: 311, seq: 42, author: { id: 9, display_name: 'Bram' } }), state: 'sent' };
    mounted.push(mount(MessageItem, {
      target,
      props: {
        message,
        myId: 9,
        canAct: true,
        showDivider: false,
        actionError: 'Niet toegestaan.',
        failedEdit: 'Mijn nieuwe tekst',
        onEditRestored: () => (restored += 1),
        onRetry: () => {},
        onDiscard: () => {},
        onEdit: async () => true,
        onDelete: () => {},
        onReact: () => {},
        onDismissError: () => {},
      },
    }));
    flushSync();
    const li = target.querySelector<HTMLElement>('[data-testid="message"]')!;
    expect(byTestId(li, 'edit-input')).not.toBeNull();
    expect((byTestId(li, 'edit-input') as HTMLTextAreaElement).value).toBe('Mijn nieuwe tekst');
    expect(byTestId(li, 'message-error')?.textContent).toContain('Niet toegestaan.');
    expect(restored).toBe(1);
  });
});

describe('MessageItem: reporting', () => {
  it('offers "Melden" on others’ messages to signed-in readers only, not on their own or withheld ones', () => {
    const report = async () => true;
    expect(byTestId(render({}, 9, report), 'report-button')?.textContent?.trim()).toBe('Melden');
    document.body.innerHTML = '';
    expect(byTestId(render({ author: { id: 9, display_name: 'Ik' } }, 9, report), 'report-button')).toBeNull();
    document.body.innerHTML = '';
    expect(byTestId(render({}, null, report), 'report-button')).toBeNull();
    document.body.innerHTML = '';
    const hidden = { body: '', html: '', reactions: [], moderation: { state: 'hidden' as const, reason: 'x' } };
    expect(byTestId(render(hidden, 9, report), 'report-button')).toBeNull();
  });

  it('opens a form with the category focused, sends category and note, and returns focus to the button', async () => {
    const calls: [string, string][] = [];
    const li = render({}, 9, async (c, n) => {
      calls.push([c, n]);
      return true;
    });
    byTestId(li, 'report-button')!.click();
    flushSync();
    await new Promise((r) => setTimeout(r, 0));
    const select = byTestId(li, 'report-category') as HTMLSelectElement;
    expect(document.activeElement).toBe(select);
    expect([...select.options].map((o) => o.textContent)).toEqual([
      'Spam',
      'Intimidatie',
      'Discriminatie',
      'Privacy',
      'Onjuiste informatie',
      'Anders',
    ]);
    select.value = 'privacy';
    select.dispatchEvent(new Event('change'));
    const note = byTestId(li, 'report-note') as HTMLTextAreaElement;
    note.value = 'Telefoonnummer';
    note.dispatchEvent(new Event('input'));
    flushSync();
    (byTestId(li, 'report-form') as HTMLFormElement).requestSubmit();
    await new Promise((r) => setTimeout(r, 0));
    flushSync();
    expect(calls).toEqual([['privacy', 'Telefoonnummer']]);
    expect(byTestId(li, 'report-form')).toBeNull();
    await new Promise((r) => setTimeout(r, 0));
    expect(document.activeElement).toBe(byTestId(li, 'report-button'));
  });
});
