// The composer's "Bron toevoegen" dialog with the real Composer and ChatStore on a fake socket: the
// REST calls are mocked, everything else is real.
import { flushSync, mount, unmount } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api/client';
import { resolveResource, searchCatalogue } from '../../api/endpoints';
import type { ResolveResourceBody, ResourceBrief } from '../../api/types';
import { FakeSocket } from '../../realtime/testing';
import { brief } from '../../stores/sources.fixtures';
import Composer from '../chat/Composer.svelte';
import { key, settle, testChat, type } from './testing';

vi.mock('../../api/endpoints', async (original) => ({
  ...(await original<typeof import('../../api/endpoints')>()),
  resolveResource: vi.fn(),
  searchCatalogue: vi.fn(),
}));

const G = 'energie-en-klimaat';

const CATALOGUE = [
  brief(21, { title: 'Zonnepanelen voor iedereen' }),
  brief(22, { title: 'Zonne-energie in de stad' }),
  brief(23, { title: 'Zonnewarmte en je huis' }),
];
const ARTICLE = brief(31, {
  title: 'Zonnepanelen op je dak: zo begin je',
  kind: 'article',
  url: 'https://energieloket.example/artikel',
  preview_status: 'pending',
  source: 'preview',
  creators: [],
});

const resolveMock = vi.mocked(resolveResource);
const searchMock = vi.mocked(searchCatalogue);

const mounted: Record<string, unknown>[] = [];
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  resolveMock.mockReset();
  searchMock.mockReset();
  searchMock.mockImplementation(async (_group: string, q: string) =>
    CATALOGUE.filter((r) => r.title.toLowerCase().includes(q.toLowerCase())),
  );
  resolveMock.mockImplementation(async (body: ResolveResourceBody) => {
    if ('resource' in body) return CATALOGUE.find((r) => r.id === body.resource)!;
    if ('url' in body) return ARTICLE;
    return brief(40, { title: body.title ?? 'Onbekend', source: 'member' });
  });
});
afterEach(() => {
  for (const c of mounted.splice(0)) unmount(c);
  document.body.innerHTML = '';
  vi.useRealTimers();
});

/** The real chat store on a fake socket, and a composer sending through it. */
function setup() {
  const me = { id: 7, display_name: 'Anouk' };
  const { rt, chat } = testChat(me);
  rt.on('outbox', (u) => chat.onOutbox(u));
  const view = chat.viewFor(12);
  view.thread = {
    id: 12,
    group: G,
    title: 'Zonnepanelen',
    created_by: me,
    created_at: '2026-11-25T14:00:00Z',
    last_message_at: null,
    message_count: 0,
    locked: false,
  };
  rt.connect();
  const ws = FakeSocket.latest();
  ws.open();

  const target = document.createElement('div');
  document.body.append(target);
  mounted.push(
    mount(Composer, {
      target,
      props: {
        threadId: 12,
        title: 'Zonnepanelen',
        group: G,
        onSend: (body: string, resources: ResourceBrief[]) => chat.send(12, body, resources),
        onTyping: () => {},
      },
    }),
  );
  flushSync();
  const q = <T extends Element = HTMLElement>(testid: string) => target.querySelector<T & HTMLElement>(`[data-testid="${testid}"]`);
  return { target, q, ws, view, chat };
}

async function openDialog(ctx: ReturnType<typeof setup>): Promise<HTMLDialogElement> {
  ctx.q<HTMLButtonElement>('attach-button')!.click();
  flushSync();
  await settle();
  const dialog = ctx.q<HTMLDialogElement>('attach-dialog')!;
  expect(dialog.hasAttribute('open')).toBe(true);
  return dialog;
}

const tab = (dialog: Element, name: string) => dialog.querySelector<HTMLButtonElement>(`[data-testid="attach-tab"][data-tab="${name}"]`)!;
const chips = (ctx: ReturnType<typeof setup>) =>
  [...ctx.target.querySelectorAll('[data-testid="attachment-chip"]')].map((c) => c.querySelector('.chip-title')!.textContent);

describe('AttachDialog', () => {
  it('is a labelled modal with tabs moved by arrows, Home and End; Escape returns focus to the button', async () => {
    const ctx = setup();
    const button = ctx.q<HTMLButtonElement>('attach-button')!;
    expect(button.textContent).toBe('Bron toevoegen');
    expect(button.getAttribute('aria-haspopup')).toBe('dialog');
    const dialog = await openDialog(ctx);
    const title = document.getElementById(dialog.getAttribute('aria-labelledby')!)!;
    expect(title.textContent).toBe('Bron toevoegen');
    expect(document.activeElement).toBe(tab(dialog, 'link'));
    expect(tab(dialog, 'link').getAttribute('aria-selected')).toBe('true');

    key(tab(dialog, 'link'), 'ArrowRight');
    await settle();
    expect(document.activeElement).toBe(tab(dialog, 'isbn'));
    expect(tab(dialog, 'isbn').getAttribute('aria-selected')).toBe('true');
    expect(tab(dialog, 'link').tabIndex).toBe(-1);
    expect(dialog.querySelector('[data-testid="attach-isbn"]')).not.toBeNull();
    key(tab(dialog, 'isbn'), 'End');
    await settle();
    expect(document.activeElement).toBe(tab(dialog, 'catalogue'));
    key(tab(dialog, 'catalogue'), 'ArrowRight');
    await settle();
    expect(document.activeElement).toBe(tab(dialog, 'link'));
    key(tab(dialog, 'link'), 'ArrowLeft');
    await settle();
    expect(document.activeElement).toBe(tab(dialog, 'catalogue'));
    key(tab(dialog, 'catalogue'), 'Home');
    await settle();
    expect(document.activeElement).toBe(tab(dialog, 'link'));
    const panel = dialog.querySelector('[role="tabpanel"]')!;
    expect(panel.getAttribute('aria-labelledby')).toBe(tab(dialog, 'link').id);

    key(dialog.querySelector('[data-testid="attach-url"]')!, 'Escape');
    await settle();
    expect(ctx.q('attach-dialog')).toBeNull();
    expect(document.activeElement).toBe(button);
    expect(resolveMock).not.toHaveBeenCalled();
  });

  it('searches the catalogue as you type (debounced), announces the count, and is navigated with the arrow keys and Enter', async () => {
    const ctx = setup();
    const dialog = await openDialog(ctx);
    key(tab(dialog, 'link'), 'End');
    await settle();
    const input = dialog.querySelector<HTMLInputElement>('[data-testid="attach-search"]')!;
    expect(input.getAttribute('role')).toBe('combobox');
    const listbox = document.getElementById(input.getAttribute('aria-controls')!)!;
    expect(listbox.getAttribute('role')).toBe('listbox');
    const live = dialog.querySelector('[data-testid="attach-result-count"]')!;
    expect(live.getAttribute('aria-live')).toBe('polite');

    input.focus();
    // Typing quickly sends one search, for what was typed last, ~250 ms after the last key.
    type(input, 'z');
    await vi.advanceTimersByTimeAsync(100);
    type(input, 'zo');
    await vi.advanceTimersByTimeAsync(100);
    type(input, 'zonne');
    await vi.advanceTimersByTimeAsync(200);
    expect(searchMock).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(60);
    await settle();
    expect(searchMock).toHaveBeenCalledTimes(1);
    expect(searchMock.mock.calls[0].slice(0, 2)).toEqual([G, 'zonne']);

    const options = () => [...listbox.querySelectorAll<HTMLElement>('[role="option"]')];
    expect(options().map((o) => o.querySelector('.r-title')!.textContent)).toEqual([
      'Zonnepanelen voor iedereen',
      'Zonne-energie in de stad',
      'Zonnewarmte en je huis',
    ]);
    expect(live.textContent).toBe('3 titels gevonden.');
    expect(input.getAttribute('aria-expanded')).toBe('true');
    expect(input.hasAttribute('aria-activedescendant')).toBe(false);

    const activeTitle = () => {
      const id = input.getAttribute('aria-activedescendant');
      const el = id ? document.getElementById(id) : null;
      expect(el?.getAttribute('aria-selected')).toBe('true');
      expect(options().filter((o) => o.getAttribute('aria-selected') === 'true')).toHaveLength(1);
      return el?.querySelector('.r-title')?.textContent;
    };
    key(input, 'ArrowDown');
    expect(activeTitle()).toBe('Zonnepanelen voor iedereen');
    key(input, 'ArrowDown');
    expect(activeTitle()).toBe('Zonne-energie in de stad');
    key(input, 'ArrowDown');
    key(input, 'ArrowDown');
    expect(activeTitle()).toBe('Zonnepanelen voor iedereen');
    key(input, 'ArrowUp');
    expect(activeTitle()).toBe('Zonnewarmte en je huis');
    key(input, 'ArrowUp');
    expect(activeTitle()).toBe('Zonne-energie in de stad');
    // The focus stays in the search box the whole time.
    expect(document.activeElement).toBe(input);

    key(input, 'Enter');
    await settle();
    expect(resolveMock).toHaveBeenCalledWith({ resource: 22 });
    expect(ctx.q('attach-dialog')).toBeNull();
    expect(chips(ctx)).toEqual(['Zonne-energie in de stad']);
    // After adding, the user goes on writing.
    expect(document.activeElement).toBe(ctx.q('composer'));
  });

  it('says when nothing was found', async () => {
    const ctx = setup();
    const dialog = await openDialog(ctx);
    key(tab(dialog, 'link'), 'End');
    await settle();
    const input = dialog.querySelector<HTMLInputElement>('[data-testid="attach-search"]')!;
    type(input, 'kernfusie');
    await vi.advanceTimersByTimeAsync(250);
    await settle();
    expect(dialog.querySelector('[data-testid="attach-result-count"]')!.textContent).toBe('Geen titels gevonden.');
    expect(input.getAttribute('aria-expanded')).toBe('false');
    key(input, 'Enter');
    await settle();
    expect(resolveMock).not.toHaveBeenCalled();
  });

  it('ISBN unknown to every catalogue: shows title_required in Dutch and moves focus to the title field', async () => {
    resolveMock.mockImplementationOnce(async () => {
      throw new ApiError(400, { code: 'title_required', detail: 'Title required.' });
    });
    const ctx = setup();
    const dialog = await openDialog(ctx);
    key(tab(dialog, 'link'), 'ArrowRight');
    await settle();
    const isbn = dialog.querySelector<HTMLInputElement>('[data-testid="attach-isbn"]')!;
    const title = dialog.querySelector<HTMLInputElement>('[data-testid="attach-book-title"]')!;
    type(isbn, '978-90-12-34567-2');
    dialog.querySelector<HTMLButtonElement>('[data-testid="attach-submit"]')!.click();
    await settle();
    expect(resolveMock).toHaveBeenLastCalledWith({ isbn: '978-90-12-34567-2' });
    const error = dialog.querySelector('[data-testid="attach-error"]')!;
    expect(error.textContent).toBe('Dit ISBN kennen we niet. Vul ook de titel van het boek in.');
    expect(document.activeElement).toBe(title);
    expect(title.getAttribute('aria-invalid')).toBe('true');
    expect(title.getAttribute('aria-describedby')).toContain(error.id);
    expect(isbn.getAttribute('aria-invalid')).toBeNull();
    expect(ctx.q('attach-dialog')).not.toBeNull();

    type(title, 'Zelf zonnepanelen leggen');
    dialog.querySelector<HTMLButtonElement>('[data-testid="attach-submit"]')!.click();
    await settle();
    expect(resolveMock).toHaveBeenLastCalledWith({ isbn: '978-90-12-34567-2', title: 'Zelf zonnepanelen leggen' });
    expect(ctx.q('attach-dialog')).toBeNull();
    expect(chips(ctx)).toEqual(['Zelf zonnepanelen leggen']);
  });

  it('shows other refusals with the field they concern', async () => {
    resolveMock.mockImplementationOnce(async () => {
      throw new ApiError(400, { code: 'invalid_url', detail: 'Invalid URL.' });
    });
    const ctx = setup();
    const dialog = await openDialog(ctx);
    const url = dialog.querySelector<HTMLInputElement>('[data-testid="attach-url"]')!;
    type(url, 'geen-link');
    dialog.querySelector<HTMLButtonElement>('[data-testid="attach-submit"]')!.click();
    await settle();
    expect(dialog.querySelector('[data-testid="attach-error"]')!.textContent).toBe(
      'Dit is geen geldig webadres. Het begint met http:// of https://.',
    );
    expect(document.activeElement).toBe(url);
    expect(url.getAttribute('aria-invalid')).toBe('true');
  });

  it('chips can be removed; the send frame carries the ids of the rest, and a successful send clears them', async () => {
    const ctx = setup();
    // A link …
    let dialog = await openDialog(ctx);
    type(dialog.querySelector<HTMLInputElement>('[data-testid="attach-url"]')!, 'https://energieloket.example/artikel');
    dialog.querySelector<HTMLButtonElement>('[data-testid="attach-submit"]')!.click();
    await settle();
    expect(resolveMock).toHaveBeenLastCalledWith({ url: 'https://energieloket.example/artikel' });
    // … and two books from the catalogue.
    for (const k of ['ArrowDown', 'ArrowDown']) {
      dialog = await openDialog(ctx);
      key(tab(dialog, 'link'), 'End');
      await settle();
      const input = dialog.querySelector<HTMLInputElement>('[data-testid="attach-search"]')!;
      type(input, 'zonne');
      await vi.advanceTimersByTimeAsync(250);
      await settle();
      key(input, k);
      if (chips(ctx).length === 2) key(input, 'ArrowDown');
      key(input, 'Enter');
      await settle();
    }
    expect(chips(ctx)).toEqual(['Zonnepanelen op je dak: zo begin je', 'Zonnepanelen voor iedereen', 'Zonne-energie in de stad']);

    // Remove the first book by its button (named after the title).
    const remove = [...ctx.target.querySelectorAll<HTMLButtonElement>('[data-testid="attachment-remove"]')];
    expect(remove.map((b) => b.getAttribute('aria-label'))).toEqual([
      'Zonnepanelen op je dak: zo begin je weghalen',
      'Zonnepanelen voor iedereen weghalen',
      'Zonne-energie in de stad weghalen',
    ]);
    remove[1].click();
    await settle();
    expect(chips(ctx)).toEqual(['Zonnepanelen op je dak: zo begin je', 'Zonne-energie in de stad']);

    const box = ctx.q<HTMLTextAreaElement>('composer')!;
    box.value = 'Twee bronnen over zonnepanelen';
    box.dispatchEvent(new Event('input', { bubbles: true }));
    flushSync();
    key(box, 'Enter');
    await settle();

    const frames = ctx.ws.framesOfType('message.send');
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ body: 'Twee bronnen over zonnepanelen', resources: [31, 22] });
    // The pending echo already shows them.
    expect(ctx.view.messages[0].resources.map((r) => r.id)).toEqual([31, 22]);
    expect(chips(ctx)).toEqual([]);
    expect(ctx.q('attachments')).toBeNull();

    // The next message goes without.
    box.value = 'En nog iets';
    box.dispatchEvent(new Event('input', { bubbles: true }));
    flushSync();
    key(box, 'Enter');
    await settle();
    expect(ctx.ws.framesOfType('message.send')[1]).not.toHaveProperty('resources');
  });
});
