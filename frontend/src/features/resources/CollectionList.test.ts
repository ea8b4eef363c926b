import { flushSync, mount, tick, unmount } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api/client';
import type { CollectionItem } from '../../api/types';
import { fakeClient, FakeSocket } from '../../realtime/testing';
import { CollectionStore, type CollectionApi } from '../../stores/collection.svelte';
import { collectionItem } from '../../stores/sources.fixtures';
import CollectionList from './CollectionList.svelte';

const G = 'energie-en-klimaat';
const mounted: Record<string, unknown>[] = [];
afterEach(() => {
  for (const c of mounted.splice(0)) unmount(c);
  document.body.innerHTML = '';
});

const three = () => [collectionItem(1, { note: 'Begin hier' }), collectionItem(2), collectionItem(3)];

function api(over: Partial<CollectionApi> = {}): CollectionApi {
  let current: CollectionItem[] = three();
  return {
    listCollection: vi.fn(async () => current),
    addCollectionItem: vi.fn(),
    updateCollectionNote: vi.fn(async (_s: string, id: number, note: string) => ({ ...current.find((i) => i.id === id)!, note })),
    removeCollectionItem: vi.fn(async () => undefined),
    reorderCollection: vi.fn(async (_s: string, ids: number[]) => {
      current = ids.map((id, i) => ({ ...current.find((c) => c.id === id)!, position: i + 1 }));
      return current;
    }),
    ...over,
  } as CollectionApi;
}

async function render(a: CollectionApi, manages = true) {
  const { client: rt } = fakeClient();
  rt.subscribe(G, 10);
  rt.connect();
  const ws = FakeSocket.latest();
  ws.open();
  const store = new CollectionStore(rt, a);
  await store.open(G);
  const target = document.createElement('div');
  document.body.append(target);
  const said: string[] = [];
  mounted.push(mount(CollectionList, { target, props: { store, manages, announce: (s: string) => said.push(s) } }));
  flushSync();
  const all = (sel: string) => [...target.querySelectorAll<HTMLElement>(sel)];
  const order = () => all('[data-testid="collection-item"]').map((li) => li.dataset.itemId);
  const button = (item: number, testid: string) =>
    target.querySelector<HTMLButtonElement>(`[data-item-id="${item}"] [data-testid="${testid}"]`)!;
  return { target, store, ws, all, order, button, said };
}

const settle = async () => {
  flushSync();
  await tick();
  await tick();
};

describe('CollectionList', () => {
  it('moves items with Omhoog/Omlaag, announces the new place, keeps the keyboard on the button, and sends the order', async () => {
    const a = api();
    const { order, button, said } = await render(a);
    expect(order()).toEqual(['1', '2', '3']);
    expect(button(1, 'collection-up').getAttribute('aria-disabled')).toBe('true');
    expect(button(3, 'collection-down').getAttribute('aria-disabled')).toBe('true');
    expect(button(1, 'collection-down').textContent).toBe('Omlaag: Boek 1');

    button(1, 'collection-down').focus();
    button(1, 'collection-down').click();
    await settle();
    expect(order()).toEqual(['2', '1', '3']);
    expect(said).toEqual(['Boek 1 staat nu op plaats 2 van 3.']);
    expect(document.activeElement).toBe(button(1, 'collection-down'));
    expect(a.reorderCollection).toHaveBeenLastCalledWith(G, [2, 1, 3]);

    button(1, 'collection-down').click();
    await settle();
    expect(order()).toEqual(['2', '3', '1']);
    expect(said.at(-1)).toBe('Boek 1 staat nu op plaats 3 van 3.');
    expect(a.reorderCollection).toHaveBeenLastCalledWith(G, [2, 3, 1]);
    // At the end: the button stays focused but does nothing.
    expect(document.activeElement).toBe(button(1, 'collection-down'));
    expect(button(1, 'collection-down').getAttribute('aria-disabled')).toBe('true');
    button(1, 'collection-down').click();
    await settle();
    expect(a.reorderCollection).toHaveBeenCalledTimes(2);

    button(3, 'collection-up').click();
    await settle();
    expect(order()).toEqual(['3', '2', '1']);
    expect(a.reorderCollection).toHaveBeenLastCalledWith(G, [3, 2, 1]);
    expect(said.at(-1)).toBe('Boek 3 staat nu op plaats 1 van 3.');
  });

  it('puts the old order back when the server refuses it, and says why', async () => {
    const a = api({
      reorderCollection: vi.fn(async () => {
        throw new ApiError(403, { code: 'permission_denied', detail: 'Dat mag je niet.' });
      }),
    });
    const { order, button, store } = await render(a);
    button(2, 'collection-up').click();
    await settle();
    await vi.waitFor(() => expect(store.actionError).toBe('Dat mag je niet.'));
    await settle();
    expect(order()).toEqual(['1', '2', '3']);
  });

  it('sends one order at a time: moves made meanwhile go after it, as the newest order', async () => {
    // The server applies whatever request it handles last; two requests on their way at once may be
    // handled in either order (two threads, two workers).
    const answers: Array<(items: CollectionItem[]) => void> = [];
    const a = api({ reorderCollection: vi.fn(() => new Promise<CollectionItem[]>((r) => answers.push(r))) });
    const { order, button } = await render(a);
    button(3, 'collection-up').click();
    await settle();
    button(3, 'collection-up').click();
    await settle();
    button(1, 'collection-down').click();
    await settle();
    expect(order()).toEqual(['3', '2', '1']);
    expect(a.reorderCollection).toHaveBeenCalledTimes(1);
    expect(a.reorderCollection).toHaveBeenLastCalledWith(G, [1, 3, 2]);
    // The first answer does not undo what was moved since.
    answers[0]([collectionItem(1), collectionItem(3), collectionItem(2)]);
    await vi.waitFor(() => expect(a.reorderCollection).toHaveBeenCalledTimes(2));
    expect(order()).toEqual(['3', '2', '1']);
    // The two moves made meanwhile: one order, the newest.
    expect(a.reorderCollection).toHaveBeenLastCalledWith(G, [3, 2, 1]);
    answers[1]([collectionItem(3), collectionItem(2), collectionItem(1)]);
    await settle();
    expect(a.reorderCollection).toHaveBeenCalledTimes(2);
    expect(order()).toEqual(['3', '2', '1']);
  });

  it('reloads on collection.changed (live), but not while its own order is on its way', async () => {
    let finish!: (items: CollectionItem[]) => void;
    const a = api({ reorderCollection: vi.fn(() => new Promise<CollectionItem[]>((r) => (finish = r))) });
    const { ws, order, button } = await render(a);
    expect(a.listCollection).toHaveBeenCalledTimes(1);
    button(1, 'collection-down').click();
    ws.receive({ type: 'collection.changed', group: G, seq: 11, action: 'reordered', item: null });
    await settle();
    expect(a.listCollection).toHaveBeenCalledTimes(1);
    expect(order()).toEqual(['2', '1', '3']);
    finish([collectionItem(2), collectionItem(1), collectionItem(3)]);
    await vi.waitFor(() => expect(a.listCollection).toHaveBeenCalledTimes(2));
    // Someone else's change.
    ws.receive({ type: 'collection.changed', group: G, seq: 12, action: 'added', item: 9 });
    await vi.waitFor(() => expect(a.listCollection).toHaveBeenCalledTimes(3));
  });

  it('edits a note in place and removes an item after confirming', async () => {
    const a = api();
    const { target, button, order, said } = await render(a);
    expect(target.querySelector('[data-item-id="1"] [data-testid="collection-note"]')?.textContent).toBe('Begin hier');
    button(2, 'collection-edit').click();
    await settle();
    const box = target.querySelector<HTMLTextAreaElement>('[data-testid="collection-note-input"]')!;
    expect(document.activeElement).toBe(box);
    expect(target.querySelector(`label[for="${box.id}"]`)?.textContent).toBe('Notitie bij Boek 2');
    box.value = '  Mooi voor beginners ';
    box.dispatchEvent(new Event('input', { bubbles: true }));
    target.querySelector<HTMLButtonElement>('[data-testid="collection-note-save"]')!.click();
    await vi.waitFor(() => expect(target.querySelector('[data-item-id="2"] [data-testid="collection-note"]')?.textContent).toBe('Mooi voor beginners'));
    expect(a.updateCollectionNote).toHaveBeenCalledWith(G, 2, 'Mooi voor beginners');

    button(3, 'collection-remove').click();
    await settle();
    expect(document.activeElement).toBe(button(3, 'collection-remove-confirm'));
    button(3, 'collection-remove-confirm').click();
    await vi.waitFor(() => expect(order()).toEqual(['1', '2']));
    expect(a.removeCollectionItem).toHaveBeenCalledWith(G, 3);
    expect(said.at(-1)).toBe('Boek 3 is uit de collectie verwijderd.');
  });

  it('shows the items without tools to members, and says when it is empty', async () => {
    const { all } = await render(api(), false);
    expect(all('[data-testid="collection-item"]')).toHaveLength(3);
    expect(all('button')).toHaveLength(0);
    const empty = await render(api({ listCollection: vi.fn(async () => []) }), false);
    expect(empty.all('[data-testid="collection-empty"]').map((p) => p.textContent)).toEqual(['De collectie is nog leeg.']);
  });
});
