// Resources on a message already sent: its author's "Bron toevoegen" (the attach dialog in message
// mode) and the cards' "Verwijderen uit bericht", with the real MessageItem, AttachDialog and
// ChatStore; only the REST calls are mocked.
import { flushSync, mount, unmount } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api/client';
import { attachToMessage, detachFromMessage, resolveResource, searchCatalogue } from '../../api/endpoints';
import type { Message, ResourceBrief } from '../../api/types';
import { makeMessage } from '../../realtime/testing';
import { brief } from '../../stores/sources.fixtures';
import MessageItem from '../chat/MessageItem.svelte';
import { key, settle, testChat, type } from './testing';

vi.mock('../../api/endpoints', async (original) => ({
  ...(await original<typeof import('../../api/endpoints')>()),
  attachToMessage: vi.fn(),
  detachFromMessage: vi.fn(),
  resolveResource: vi.fn(),
  searchCatalogue: vi.fn(),
}));

const G = 'energie-klimaat';
const BRAM = { id: 9, display_name: 'Bram' };
const ANOUK = { id: 7, display_name: 'Anouk' };
const MESSAGE_ID = 311;
const CATALOGUE = [brief(21, { title: 'Zonnepanelen voor iedereen' }), brief(22, { title: 'Zonne-energie in de stad' })];
const ARTICLE = brief(31, { kind: 'article', title: '', url: 'https://energieloket.example/artikel', preview_status: 'pending', source: 'preview' });

const attachMock = vi.mocked(attachToMessage);
const detachMock = vi.mocked(detachFromMessage);
const resolveMock = vi.mocked(resolveResource);
const searchMock = vi.mocked(searchCatalogue);

const mounted: Record<string, unknown>[] = [];
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  for (const mock of [attachMock, detachMock, resolveMock, searchMock]) mock.mockReset();
  searchMock.mockImplementation(async (_group: string, q: string) =>
    CATALOGUE.filter((r) => r.title.toLowerCase().includes(q.toLowerCase())),
  );
});
afterEach(() => {
  for (const c of mounted.splice(0)) unmount(c);
  document.body.innerHTML = '';
  vi.useRealTimers();
});

/**
 * The real chat store holding message 311 (by `author`, with `resources`), shown by a MessageItem
 * that follows the store like the message list does. The viewer is Bram.
 */
function setup({ author = BRAM, resources = [] as ResourceBrief[], over = {} as Partial<Message> } = {}) {
  const { chat } = testChat(BRAM);
  const view = chat.viewFor(12);
  const message = makeMessage({ id: MESSAGE_ID, seq: 42, group: G, author, resources, body: 'Lees dit', ...over });
  chat.onMessageEvent({ type: 'message.created', group: G, seq: 42, message });

  const target = document.createElement('ol');
  document.body.append(target);
  mounted.push(
    mount(MessageItem, {
      target,
      props: {
        get message() {
          return view.messages.find((m) => m.id === MESSAGE_ID)!;
        },
        get actionError() {
          return view.actionErrors[MESSAGE_ID];
        },
        myId: BRAM.id,
        canAct: true,
        showDivider: false,
        onRetry: () => {},
        onDiscard: () => {},
        onEdit: async () => true,
        onDelete: () => {},
        onReact: () => {},
        onDismissError: () => chat.dismissError(12, MESSAGE_ID),
        onResourceAttached: (m: Message) => chat.resourceAttached(12, m),
        onDetachResource: (mid: number, rid: number) => chat.detachResource(12, mid, rid),
      },
    }),
  );
  flushSync();
  const li = target.querySelector<HTMLElement>('[data-testid="message"]')!;
  const q = <T extends HTMLElement = HTMLElement>(testid: string) => li.querySelector<T>(`[data-testid="${testid}"]`);
  const cards = () => [...li.querySelectorAll<HTMLElement>('[data-testid="resource-card"]')].map((c) => Number(c.dataset.resourceId));
  const removeButtons = () => [...li.querySelectorAll<HTMLButtonElement>('[data-testid="resource-remove"]')];
  return { chat, view, li, q, cards, removeButtons };
}

/** The server's answer: message 311 with these resources. */
const answer = (resources: ResourceBrief[]): Message =>
  makeMessage({ id: MESSAGE_ID, seq: 42, group: G, author: BRAM, resources, body: 'Lees dit' });

const dialog = () => document.querySelector<HTMLDialogElement>('[data-testid="attach-dialog"]');

async function openDialog(ctx: ReturnType<typeof setup>): Promise<HTMLDialogElement> {
  ctx.q<HTMLButtonElement>('message-attach-button')!.click();
  await settle();
  const d = dialog()!;
  expect(d.hasAttribute('open')).toBe(true);
  return d;
}

describe('resources on a sent message: who gets the controls', () => {
  it('offers "Bron toevoegen" and "Verwijderen uit bericht" on the author’s own message only', () => {
    const own = setup({ resources: [CATALOGUE[0]] });
    const button = own.q('message-attach-button')!;
    expect(button.textContent).toBe('Bron toevoegen aan dit bericht');
    expect(button.querySelector('.visually-hidden')?.textContent).toBe(' aan dit bericht');
    expect(button.getAttribute('aria-haspopup')).toBe('dialog');
    expect(own.removeButtons().map((b) => b.textContent)).toEqual(['Verwijderen uit bericht: Zonnepanelen voor iedereen']);

    const others = setup({ author: ANOUK, resources: [CATALOGUE[0]] });
    expect(others.cards()).toEqual([21]);
    expect(others.q('message-attach-button')).toBeNull();
    expect(others.removeButtons()).toEqual([]);
  });

  it.each([
    ['hidden by a moderator', { moderation: { state: 'hidden' as const, reason: 'x' } }],
    ['held for review', { moderation: { state: 'held' as const, reason: 'x' } }],
    ['deleted', { deleted: true, body: '', html: '' }],
  ])('offers neither on the author’s own message when it is %s', (_label, over) => {
    const ctx = setup({ resources: [CATALOGUE[0]], over });
    expect(ctx.q('message-attach-button')).toBeNull();
    expect(ctx.removeButtons()).toEqual([]);
  });
});

describe('"Bron toevoegen" on a sent message', () => {
  it('attaches a catalogue title to the message (not the composer), shows its card and returns focus to the button', async () => {
    attachMock.mockImplementation(async () => answer([CATALOGUE[1]]));
    const ctx = setup();
    const d = await openDialog(ctx);
    expect(document.getElementById(d.getAttribute('aria-labelledby')!)!.textContent).toBe('Bron toevoegen aan je bericht');
    expect(document.getElementById(d.getAttribute('aria-describedby')!)!.textContent).toContain('toe aan dit bericht');

    key(d.querySelector('[data-tab="link"]')!, 'End');
    await settle();
    const search = d.querySelector<HTMLInputElement>('[data-testid="attach-search"]')!;
    type(search, 'zonne');
    await vi.advanceTimersByTimeAsync(250);
    await settle();
    key(search, 'ArrowDown');
    key(search, 'ArrowDown');
    key(search, 'Enter');
    await settle();

    expect(attachMock).toHaveBeenCalledWith(MESSAGE_ID, { resource: 22 });
    expect(resolveMock).not.toHaveBeenCalled();
    expect(dialog()).toBeNull();
    expect(ctx.cards()).toEqual([22]);
    expect(document.activeElement).toBe(ctx.q('message-attach-button'));
    expect(ctx.q('message-resources-status')!.textContent).toBe('Zonne-energie in de stad is toegevoegd aan je bericht.');
  });

  it('posts a link to the message endpoint; the live event keeps the card', async () => {
    attachMock.mockImplementation(async () => answer([CATALOGUE[0], ARTICLE]));
    const ctx = setup({ resources: [CATALOGUE[0]] });
    const d = await openDialog(ctx);
    type(d.querySelector<HTMLInputElement>('[data-testid="attach-url"]')!, ' https://energieloket.example/artikel ');
    d.querySelector<HTMLButtonElement>('[data-testid="attach-submit"]')!.click();
    await settle();
    expect(attachMock).toHaveBeenCalledWith(MESSAGE_ID, { url: 'https://energieloket.example/artikel' });
    expect(ctx.cards()).toEqual([21, 31]);
    ctx.chat.onMessageEvent({ type: 'message.resources', group: G, seq: 43, message: answer([CATALOGUE[0], ARTICLE]) });
    flushSync();
    expect(ctx.cards()).toEqual([21, 31]);
    expect(ctx.q('message-resources-status')!.textContent).toBe('https://energieloket.example/artikel is toegevoegd aan je bericht.');
  });

  it.each([
    ['too_many_resources', 'Too many.', 'Je kunt niet meer bronnen aan dit bericht toevoegen (maximaal 10).'],
    ['permission_denied', 'Dat mag je niet.', 'Dat mag je niet.'],
  ])('shows %s translated in the dialog, which stays open', async (code, detail, text) => {
    attachMock.mockImplementation(async () => {
      throw new ApiError(code === 'permission_denied' ? 403 : 400, { code, detail });
    });
    const ctx = setup();
    const d = await openDialog(ctx);
    const url = d.querySelector<HTMLInputElement>('[data-testid="attach-url"]')!;
    type(url, 'https://energieloket.example/artikel');
    d.querySelector<HTMLButtonElement>('[data-testid="attach-submit"]')!.click();
    await settle();
    expect(d.querySelector('[data-testid="attach-error"]')!.textContent).toBe(text);
    expect(document.activeElement).toBe(url);
    expect(dialog()).not.toBeNull();
    expect(ctx.cards()).toEqual([]);

    key(url, 'Escape');
    await settle();
    expect(dialog()).toBeNull();
    expect(document.activeElement).toBe(ctx.q('message-attach-button'));
  });
});

describe('"Verwijderen uit bericht"', () => {
  it('calls DELETE, takes the card away at once and focuses the next card’s button; the live event confirms it', async () => {
    let done!: () => void;
    detachMock.mockImplementation(() => new Promise((resolve) => (done = () => resolve(undefined))));
    const ctx = setup({ resources: [CATALOGUE[0], CATALOGUE[1]] });
    ctx.removeButtons()[0].click();
    await settle();
    expect(detachMock).toHaveBeenCalledWith(MESSAGE_ID, 21);
    expect(ctx.cards()).toEqual([22]);
    expect(document.activeElement).toBe(ctx.removeButtons()[0]);

    done();
    await settle();
    expect(ctx.q('message-resources-status')!.textContent).toBe('Zonnepanelen voor iedereen is verwijderd uit je bericht.');
    ctx.chat.onMessageEvent({ type: 'message.resources', group: G, seq: 43, message: answer([CATALOGUE[1]]) });
    flushSync();
    expect(ctx.cards()).toEqual([22]);
    expect(ctx.q('message-error')).toBeNull();

    // The last one: focus goes back to "Bron toevoegen".
    detachMock.mockResolvedValue(undefined);
    ctx.removeButtons()[0].click();
    await settle();
    expect(detachMock).toHaveBeenLastCalledWith(MESSAGE_ID, 22);
    expect(ctx.cards()).toEqual([]);
    expect(document.activeElement).toBe(ctx.q('message-attach-button'));
  });

  it('puts the card back in its place when the server refuses, with the translated reason by the message', async () => {
    detachMock.mockRejectedValue(new ApiError(400, { code: 'too_many_resources', detail: 'x' }));
    const ctx = setup({ resources: [CATALOGUE[0], CATALOGUE[1]] });
    ctx.removeButtons()[0].click();
    await settle();
    expect(detachMock).toHaveBeenCalledWith(MESSAGE_ID, 21);
    expect(ctx.cards()).toEqual([21, 22]);
    const error = ctx.q('message-error')!;
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toContain('Je kunt niet meer bronnen aan dit bericht toevoegen (maximaal 10).');
    expect(ctx.q('message-resources-status')!.textContent).toBe('');

    // A network failure: the card comes back too, with a message that is not a code.
    detachMock.mockRejectedValue(new TypeError('Failed to fetch'));
    ctx.removeButtons()[1].click();
    await settle();
    expect(ctx.cards()).toEqual([21, 22]);
    expect(ctx.q('message-error')!.textContent).not.toContain('network_error');
  });

  it('does not bring back a resource that was gone already (not_found)', async () => {
    detachMock.mockRejectedValue(new ApiError(404, { code: 'not_found', detail: 'Niet gevonden.' }));
    const ctx = setup({ resources: [CATALOGUE[0]] });
    expect(await ctx.chat.detachResource(12, MESSAGE_ID, 21)).toBe(true);
    flushSync();
    expect(ctx.cards()).toEqual([]);
    expect(ctx.view.actionErrors[MESSAGE_ID]).toBeUndefined();
  });
});
