import { flushSync, mount, tick, unmount } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeClient, FakeSocket } from '../../realtime/testing';
import { brief, source, suggestion } from '../../stores/sources.fixtures';
import { SourcesStore, type SourcesApi } from '../../stores/sources.svelte';
import SourcesPanel from './SourcesPanel.svelte';

const G = 'energie-en-klimaat';
const mounted: Record<string, unknown>[] = [];
afterEach(() => {
  for (const c of mounted.splice(0)) unmount(c);
  document.body.innerHTML = '';
});

function api(over: Partial<SourcesApi> = {}): SourcesApi {
  return {
    listThreadSources: vi.fn(async () => []),
    listSuggestions: vi.fn(async () => []),
    addSuggestion: vi.fn(async (_t: number, r: number) => source(r, { from_suggestion: true })),
    dismissSuggestion: vi.fn(async () => undefined),
    ...over,
  } as SourcesApi;
}

async function render(a: SourcesApi, canAct = true) {
  const { client: rt } = fakeClient();
  rt.connect();
  const ws = FakeSocket.latest();
  ws.open();
  const store = new SourcesStore(rt, a);
  const target = document.createElement('div');
  document.body.append(target);
  const closed: number[] = [];
  mounted.push(mount(SourcesPanel, { target, props: { store, thread: 12, group: G, canAct, onClose: () => closed.push(1) } }));
  flushSync();
  await vi.waitFor(() => expect(store.get(12)?.status).toBe('loaded'));
  await settle();
  const all = (sel: string) => [...target.querySelectorAll<HTMLElement>(sel)];
  const q = (sel: string) => target.querySelector<HTMLElement>(sel);
  return { target, store, ws, all, q, closed };
}

const settle = async () => {
  flushSync();
  await tick();
  await tick();
};

describe('SourcesPanel', () => {
  it('says so when nothing was shared and nothing is suggested (no blank panel)', async () => {
    const { q, target } = await render(api());
    expect(q('h2')?.textContent).toBe('Bronnen');
    expect(q('[data-testid="sources-empty"]')?.textContent).toBe('Er zijn nog geen bronnen gedeeld in dit gesprek.');
    expect(q('[data-testid="suggestions-empty"]')?.textContent).toContain('Nu geen suggesties');
    expect(target.textContent).toContain('Gedeeld in dit gesprek');
    expect(target.textContent).toContain('Uit de collectie');
    expect(target.textContent).toContain('Titels uit de collectie van de bibliotheek die passen bij dit gesprek');
  });

  it('lists the sources with who added them, linking to the resource page and to the message', async () => {
    const { all } = await render(
      api({
        listThreadSources: vi.fn(async () => [
          source(1, { resource: brief(1, { title: 'Zonnepanelen voor iedereen' }) }),
          source(5, { via: 'message', message: 311, added_by: { id: 9, display_name: 'Bram' } }),
        ]),
      }),
    );
    const items = all('[data-testid="source-item"]');
    expect(items).toHaveLength(2);
    const link = items[0].querySelector('a')!;
    expect(link.textContent).toBe('Zonnepanelen voor iedereen');
    expect(link.getAttribute('href')).toBe('/resources/1');
    expect(items[0].textContent).toContain('Toegevoegd door Anouk');
    expect(items[0].textContent).toContain('Boek · Jansen, Eva · 2021');
    expect(items[1].textContent).toContain('Gedeeld door Bram');
    const via = items[1].querySelector<HTMLAnchorElement>('[data-testid="source-message-link"]')!;
    expect(via.textContent).toBe('via bericht');
    expect(via.getAttribute('href')).toBe(`/groups/${G}/threads/12#message-311`);
  });

  it('is keyboard operable: real buttons named with the title; the keyboard moves on when an item goes', async () => {
    const a = api({ listSuggestions: vi.fn(async () => [suggestion(2), suggestion(3), suggestion(4)]) });
    const { all, q } = await render(a);
    const adds = all('[data-testid="suggestion-add"]');
    expect(adds.map((b) => b.tagName)).toEqual(['BUTTON', 'BUTTON', 'BUTTON']);
    expect(adds[0].textContent).toBe('Toevoegen: Titel 2');
    expect(all('[data-testid="suggestion-dismiss"]')[1].textContent).toBe('Niet relevant: Titel 3');

    // "Niet relevant" on the second: it goes, the keyboard lands on the next one's "Toevoegen".
    all('[data-testid="suggestion-dismiss"]')[1].focus();
    all('[data-testid="suggestion-dismiss"]')[1].click();
    await vi.waitFor(() => expect(all('[data-testid="suggestion-item"]')).toHaveLength(2));
    await settle();
    expect(a.dismissSuggestion).toHaveBeenCalledWith(12, 3);
    expect(document.activeElement?.textContent).toBe('Toevoegen: Titel 4');
    expect(q('[data-testid="sources-status"]')?.textContent).toBe('Titel 3 wordt niet meer voorgesteld.');

    // "Toevoegen" on the last: it moves to the sources; the keyboard goes to the one left.
    (document.activeElement as HTMLElement).click();
    await vi.waitFor(() => expect(all('[data-testid="source-item"]')).toHaveLength(1));
    await settle();
    expect(a.addSuggestion).toHaveBeenCalledWith(12, 4);
    expect(all('[data-testid="source-item"]')[0].dataset.resourceId).toBe('4');
    expect(all('[data-testid="source-item"]')[0].textContent).toContain('uit de collectie');
    expect(document.activeElement?.textContent).toBe('Toevoegen: Titel 2');
    expect(q('[data-testid="sources-status"]')?.textContent).toBe('Titel 4 staat nu bij de bronnen van dit gesprek.');

    // The last one: the keyboard goes to the section's heading, and the empty state shows.
    (document.activeElement as HTMLElement).click();
    await vi.waitFor(() => expect(q('[data-testid="suggestions-empty"]')).not.toBeNull());
    await settle();
    expect(document.activeElement?.tagName).toBe('H3');
    expect(document.activeElement?.textContent).toBe('Uit de collectie');
  });

  it('shows a refusal with its suggestion', async () => {
    const { ApiError } = await import('../../api/client');
    const a = api({
      listSuggestions: vi.fn(async () => [suggestion(2)]),
      addSuggestion: vi.fn(async () => {
        throw new ApiError(403, { code: 'thread_locked', detail: 'x' });
      }),
    });
    const { all, q } = await render(a);
    all('[data-testid="suggestion-add"]')[0].click();
    await vi.waitFor(() => expect(q('[data-testid="suggestion-error"]')).not.toBeNull());
    expect(q('[data-testid="suggestion-error"]')?.textContent).toBe('Dit gesprek is gesloten: er kunnen geen nieuwe berichten meer bij.');
    expect(all('[data-testid="suggestion-item"]')).toHaveLength(1);
  });

  it('offers no buttons to readers who may not post', async () => {
    const { all } = await render(api({ listSuggestions: vi.fn(async () => [suggestion(2)]) }), false);
    expect(all('[data-testid="suggestion-item"]')).toHaveLength(1);
    expect(all('button[data-testid^="suggestion-"]')).toHaveLength(0);
  });

  it('updates live: a suggestions frame fills the list', async () => {
    const { ws, all, q } = await render(api());
    expect(q('[data-testid="suggestions-empty"]')).not.toBeNull();
    ws.receive({ type: 'thread.suggestions', group: G, thread: 12, suggestions: [suggestion(8)] });
    await settle();
    expect(all('[data-testid="suggestion-item"]').map((li) => li.dataset.resourceId)).toEqual(['8']);
    expect(q('[data-testid="suggestions-empty"]')).toBeNull();
  });

  it('closes with its own button', async () => {
    const { q, closed } = await render(api());
    q('[data-testid="sources-close"]')!.click();
    expect(closed).toEqual([1]);
  });
});
