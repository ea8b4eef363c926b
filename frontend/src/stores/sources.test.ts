import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import type { Suggestion, ThreadSource } from '../api/types';
import { created, fakeClient, FakeSocket } from '../realtime/testing';
import { brief, source, suggestion } from './sources.fixtures';
import { SourcesStore, type SourcesApi } from './sources.svelte';

const G = 'energie-klimaat';
const anouk = { id: 7, display_name: 'Anouk' };

function api(over: Partial<SourcesApi> = {}): SourcesApi {
  return {
    listThreadSources: vi.fn(async () => [source(1)]),
    listSuggestions: vi.fn(async () => [suggestion(2), suggestion(3)]),
    addSuggestion: vi.fn(async (_t: number, r: number) => source(r, { from_suggestion: true, added_at: '2026-11-25T15:00:00Z' })),
    dismissSuggestion: vi.fn(async () => undefined),
    ...over,
  } as SourcesApi;
}

async function setup(a = api()) {
  const { client: rt, timers } = fakeClient();
  const store = new SourcesStore(rt, a, { timers, refetchMs: 500 });
  rt.subscribe(G, 40);
  rt.connect();
  const ws = FakeSocket.latest();
  ws.open();
  const view = store.open(12, G);
  await vi.waitFor(() => expect(view.status).toBe('loaded'));
  return { rt, ws, timers, store, view, a };
}

const ids = (list: { resource: { id: number } }[]) => list.map((s) => s.resource.id);

/** A `thread.resource_added` as the server sends it: the whole sources entry. */
function added(seq: number, thread: number, resource: number, over: Record<string, unknown> = {}) {
  return {
    type: 'thread.resource_added',
    group: G,
    seq,
    thread,
    resource: brief(resource),
    by: anouk,
    added_at: '2026-11-25T16:00:00Z',
    via: 'thread',
    message: null,
    from_suggestion: true,
    ...over,
  };
}

describe('SourcesStore', () => {
  it('loads the sources and the suggestions of a thread', async () => {
    const { view, a } = await setup();
    expect(a.listThreadSources).toHaveBeenCalledWith(12);
    expect(ids(view.sources)).toEqual([1]);
    expect(ids(view.suggestions)).toEqual([2, 3]);
  });

  it('applies the live events of the open thread (through the sequencer), and ignores other threads', async () => {
    const { ws, view } = await setup();
    // A suggestion someone else added: it moves into the sources, at the top, as the event describes it.
    ws.receive(added(41, 12, 2));
    expect(ids(view.sources)).toEqual([2, 1]);
    expect(view.sources[0]).toEqual({
      resource: brief(2),
      added_by: anouk,
      added_at: '2026-11-25T16:00:00Z',
      via: 'thread',
      message: null,
      from_suggestion: true,
    });
    expect(ids(view.suggestions)).toEqual([3]);
    // Dismissed by someone else.
    ws.receive({ type: 'thread.suggestion_dismissed', group: G, seq: 42, thread: 12, resource: 3 });
    expect(view.suggestions).toEqual([]);
    // A new list from the worker replaces the old one (minus what already is a source).
    ws.receive({ type: 'thread.suggestions', group: G, thread: 12, suggestions: [suggestion(4), suggestion(2)] });
    expect(ids(view.suggestions)).toEqual([4]);
    // Another thread's events change nothing here.
    ws.receive({ type: 'thread.suggestions', group: G, thread: 99, suggestions: [suggestion(8)] });
    ws.receive(added(43, 99, 9));
    expect(ids(view.suggestions)).toEqual([4]);
    expect(ids(view.sources)).toEqual([2, 1]);
    // Removed: it leaves the list.
    ws.receive({ type: 'thread.resource_removed', group: G, seq: 44, thread: 12, resource: brief(2), by: anouk });
    expect(ids(view.sources)).toEqual([1]);
  });

  it('holds an event that comes before the one it follows (sequenced like any group event)', async () => {
    const { ws, view } = await setup();
    ws.receive({ type: 'thread.suggestion_dismissed', group: G, seq: 42, thread: 12, resource: 3 });
    expect(ids(view.suggestions)).toEqual([2, 3]);
    ws.receive(added(41, 12, 2));
    expect(ids(view.suggestions)).toEqual([]);
    expect(ids(view.sources)).toEqual([2, 1]);
  });

  it('adds a suggestion: it becomes a source at once, and the echoed event does not double it', async () => {
    const { ws, view, store, a } = await setup();
    const done = store.add(12, 2);
    expect(view.busy[2]).toBe('add');
    expect(await done).toBe(true);
    expect(a.addSuggestion).toHaveBeenCalledWith(12, 2);
    expect(view.busy[2]).toBeUndefined();
    expect(ids(view.sources)).toEqual([2, 1]);
    expect(ids(view.suggestions)).toEqual([3]);
    ws.receive(added(41, 12, 2, { resource: brief(2, { title: 'Nieuw' }), added_at: '2026-11-25T15:00:00Z' }));
    expect(ids(view.sources)).toEqual([2, 1]);
    expect(view.sources[0]).toMatchObject({ added_at: '2026-11-25T15:00:00Z', from_suggestion: true, resource: { title: 'Nieuw' } });
  });

  it('takes the time and the origin from the event, not from the clock and the suggestions shown', async () => {
    const { ws, timers, view } = await setup();
    timers.advance(5_000);
    // Added from the suggestions of someone whose list had it, though this panel's did not.
    ws.receive(added(41, 12, 5, { added_at: '2026-11-25T16:05:00Z', from_suggestion: true }));
    // Attached by hand while this panel showed it as a suggestion.
    ws.receive(added(42, 12, 2, { added_at: '2026-11-25T16:06:00Z', from_suggestion: false }));
    expect(ids(view.sources)).toEqual([2, 5, 1]);
    expect(view.sources.map((s) => [s.added_at, s.from_suggestion])).toEqual([
      ['2026-11-25T16:06:00Z', false],
      ['2026-11-25T16:05:00Z', true],
      ['2026-11-25T14:00:00Z', false],
    ]);
    expect(ids(view.suggestions)).toEqual([3]);
  });

  it('an event of an older server without the entry: added just now, from the suggestions if it was one', async () => {
    const { ws, timers, view } = await setup();
    timers.advance(5_000);
    ws.receive({ type: 'thread.resource_added', group: G, seq: 41, thread: 12, resource: brief(2), by: anouk });
    ws.receive({ type: 'thread.resource_added', group: G, seq: 42, thread: 12, resource: brief(6), by: null });
    expect(ids(view.sources)).toEqual([6, 2, 1]);
    expect(view.sources[0]).toMatchObject({ added_by: null, added_at: '1970-01-01T00:00:05.000Z', via: 'thread', message: null, from_suggestion: false });
    expect(view.sources[1]).toMatchObject({ added_by: anouk, added_at: '1970-01-01T00:00:05.000Z', from_suggestion: true });
  });

  it('dismisses a suggestion', async () => {
    const { view, store, a } = await setup();
    expect(await store.dismiss(12, 3)).toBe(true);
    expect(a.dismissSuggestion).toHaveBeenCalledWith(12, 3);
    expect(ids(view.suggestions)).toEqual([2]);
    expect(ids(view.sources)).toEqual([1]);
  });

  it('keeps a suggestion with the error when adding is refused; drops one that is gone', async () => {
    const a = api({
      addSuggestion: vi.fn(async (_t: number, r: number) => {
        throw r === 2
          ? new ApiError(403, { code: 'not_a_member', detail: 'Word eerst lid.' })
          : new ApiError(404, { code: 'not_found', detail: 'Niet gevonden.' });
      }),
    });
    const { view, store } = await setup(a);
    expect(await store.add(12, 2)).toBe(false);
    expect(view.actionError[2]).toBe('Word eerst lid.');
    expect(ids(view.suggestions)).toEqual([2, 3]);
    expect(await store.add(12, 3)).toBe(false);
    expect(ids(view.suggestions)).toEqual([2]);
    expect(view.notice).toBe('Deze suggestie is er niet meer.');
  });

  it('fetches the sources again, debounced, when messages share resources', async () => {
    const a = api();
    const { ws, timers, view } = await setup(a);
    expect(a.listThreadSources).toHaveBeenCalledTimes(1);
    const shared = brief(5, { kind: 'website', url: 'https://example.org/zon', source: 'preview' });
    ws.receive(created(41, { id: 311, thread: 12, resources: [shared] }));
    ws.receive({ type: 'message.resources', group: G, seq: 42, message: { ...created(41, { id: 311, thread: 12 }).message, resources: [shared] } });
    ws.receive(created(43, { id: 312, thread: 12 })); // no resources: no refetch needed
    expect(a.listThreadSources).toHaveBeenCalledTimes(1);
    vi.mocked(a.listThreadSources).mockResolvedValueOnce([source(5, { via: 'message', message: 311, resource: shared }), source(1)]);
    timers.advance(500);
    expect(a.listThreadSources).toHaveBeenCalledTimes(2);
    await vi.waitFor(() => expect(ids(view.sources)).toEqual([5, 1]));
    // A message in another thread does not concern this panel.
    ws.receive(created(44, { id: 313, thread: 99, resources: [shared] }));
    timers.advance(1000);
    expect(a.listThreadSources).toHaveBeenCalledTimes(2);
  });

  it('follows a thread only while a panel shows it, and loads again on (re)subscribe', async () => {
    const a = api();
    const { ws, store, view } = await setup(a);
    store.close(12);
    ws.receive({ type: 'thread.suggestion_dismissed', group: G, seq: 41, thread: 12, resource: 3 });
    expect(ids(view.suggestions)).toEqual([2, 3]);
    expect(store.open(12, G)).toBe(view);
    expect(a.listSuggestions).toHaveBeenCalledTimes(2);
    // Suggestion frames are not replayed: a new subscription takes them from REST again.
    ws.receive({ type: 'subscribed', group: G, last_seq: 41 });
    expect(a.listSuggestions).toHaveBeenCalledTimes(3);
  });

  it('a refetch of the sources while the first load is on its way keeps the load’s suggestions and the newer sources', async () => {
    let resolveFirst!: (s: ThreadSource[]) => void;
    const listThreadSources = vi
      .fn<SourcesApi['listThreadSources']>()
      .mockImplementationOnce(() => new Promise<ThreadSource[]>((r) => (resolveFirst = r)))
      .mockResolvedValueOnce([source(5, { via: 'message', message: 311 }), source(1)]);
    const a = api({ listThreadSources });
    const { client: rt, timers } = fakeClient();
    const store = new SourcesStore(rt, a, { timers, refetchMs: 500 });
    rt.subscribe(G, 40);
    rt.connect();
    const ws = FakeSocket.latest();
    ws.open();
    const view = store.open(12, G);
    ws.receive(created(41, { id: 311, thread: 12, resources: [brief(5)] }));
    timers.advance(500);
    await vi.waitFor(() => expect(ids(view.sources)).toEqual([5, 1]));
    resolveFirst([source(1)]);
    await vi.waitFor(() => expect(view.status).toBe('loaded'));
    expect(ids(view.sources)).toEqual([5, 1]);
    expect(ids(view.suggestions)).toEqual([2, 3]);
  });

  it('a suggestions frame that arrives while REST is loading wins over the older REST answer', async () => {
    let resolve!: (s: Suggestion[]) => void;
    const a = api({ listSuggestions: vi.fn(() => new Promise<Suggestion[]>((r) => (resolve = r))) });
    const { client: rt } = fakeClient();
    const store = new SourcesStore(rt, a);
    rt.connect();
    const ws = FakeSocket.latest();
    ws.open();
    const view = store.open(12, G);
    ws.receive({ type: 'thread.suggestions', group: G, thread: 12, suggestions: [suggestion(7)] });
    resolve([suggestion(2)]);
    await vi.waitFor(() => expect(view.status).toBe('loaded'));
    expect(ids(view.suggestions)).toEqual([7]);
  });
});
