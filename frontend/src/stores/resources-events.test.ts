// `message.resources` through the app's real wiring (stores/index.ts): the single realtime client
// on a fake socket, the chat store, and the sequencer's catch-up.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ResourceBrief } from '../api/types';
import { parseFrame, isKnownSequenced, isSequenced } from '../realtime/protocol';
import { created, FakeSocket, makeMessage } from '../realtime/testing';

const G = 'energie-klimaat';

const brief = (over: Partial<ResourceBrief> = {}): ResourceBrief => ({
  id: 7,
  kind: 'website',
  title: '',
  creators: [],
  publisher: '',
  year: null,
  site_name: '',
  description: '',
  url: 'https://energieloket.example/artikel',
  isbn13: null,
  catalogue_url: '',
  image: null,
  preview_status: 'pending',
  source: 'preview',
  library: null,
  ...over,
});
const ready = brief({
  title: 'Zonnepanelen op je dak: zo begin je',
  site_name: 'Energieloket Voorbeeldstad',
  image: '/api/v1/resources/7/image/',
  preview_status: 'ready',
});

let stores: typeof import('./index');

beforeAll(async () => {
  vi.useFakeTimers();
  vi.stubGlobal('WebSocket', FakeSocket);
  // Nothing here may reach a server: REST calls the stores make on the side just fail.
  vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('offline'))));
  stores = await import('./index');
});
afterAll(() => {
  stores.rt.disconnect();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

function openThread(id: number) {
  const view = stores.chat.viewFor(id);
  view.thread = {
    id,
    group: G,
    title: 'Zonnepanelen',
    created_by: { id: 7, display_name: 'Anouk' },
    created_at: '2026-11-25T14:00:00Z',
    last_message_at: null,
    message_count: 0,
    locked: false,
  };
  return view;
}

describe('message.resources', () => {
  it('is a known sequenced event', () => {
    const frame = parseFrame(JSON.stringify({ type: 'message.resources', group: G, seq: 5, message: makeMessage() }));
    expect(frame && isSequenced(frame) && isKnownSequenced(frame)).toBe(true);
    // Without a seq it is malformed, like every sequenced type.
    expect(parseFrame(JSON.stringify({ type: 'message.resources', group: G, message: makeMessage() }))).toBeNull();
  });

  it('updates the message in the store like message.edited, and a catch-up replays it', () => {
    const view = openThread(12);
    stores.rt.connect();
    const ws = FakeSocket.latest();
    ws.open();
    stores.rt.subscribe(G, 41);
    expect(ws.framesOfType('subscribe').at(-1)).toMatchObject({ group: G, after_seq: 41 });

    // The message arrives at once with its link still being previewed …
    ws.receive(created(42, { id: 311, thread: 12, body: 'Kijk eens: https://energieloket.example/artikel', resources: [brief()] }));
    expect(view.messages).toHaveLength(1);
    expect(view.messages[0].resources).toEqual([brief()]);

    // … and the preview follows as its own sequenced event, carrying the whole message.
    ws.receive({ type: 'message.resources', group: G, seq: 43, message: makeMessage({ id: 311, seq: 42, thread: 12, resources: [ready] }) });
    expect(view.messages).toHaveLength(1);
    expect(view.messages[0]).toMatchObject({ id: 311, seq: 42, state: 'sent', version: 43 });
    expect(view.messages[0].resources).toEqual([ready]);

    // A duplicate of an older change never overrides the newer state.
    ws.receive({ type: 'message.resources', group: G, seq: 43, message: makeMessage({ id: 311, seq: 42, thread: 12, resources: [brief()] }) });
    expect(view.messages[0].resources).toEqual([ready]);

    // A gap (seq 44 missed): 45 is held, the client asks for what came after 43, and the replay of
    // 44 and 45 — a detach and an attach — is applied in order.
    const book = brief({ id: 8, kind: 'book', title: 'Zonnepanelen voor iedereen', preview_status: 'none', url: '', source: 'catalogue' });
    ws.receive({ type: 'message.resources', group: G, seq: 45, message: makeMessage({ id: 311, seq: 42, thread: 12, resources: [book] }) });
    expect(view.messages[0].resources).toEqual([ready]);
    vi.advanceTimersByTime(1000);
    expect(ws.framesOfType('subscribe').at(-1)).toMatchObject({ group: G, after_seq: 43 });
    ws.receive({ type: 'message.resources', group: G, seq: 44, message: makeMessage({ id: 311, seq: 42, thread: 12, resources: [] }) });
    expect(view.messages[0].resources).toEqual([book]);
    expect(view.messages[0].version).toBe(45);
    ws.receive({ type: 'message.resources', group: G, seq: 45, message: makeMessage({ id: 311, seq: 42, thread: 12, resources: [book] }) });
    expect(view.messages).toHaveLength(1);
    expect(view.messages[0].resources).toEqual([book]);
  });
});
