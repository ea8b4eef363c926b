import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import { created, fakeClient, FakeSocket } from '../realtime/testing';
import { ChatStore } from './chat.svelte';
import { brief } from './sources.fixtures';

vi.mock('../api/endpoints', async (original) => ({
  ...(await original<typeof import('../api/endpoints')>()),
  editMessageRest: vi.fn(() => Promise.reject(new ApiError(400, { code: 'blocked_content', detail: 'x' }))),
  deleteMessageRest: vi.fn(() => Promise.reject(new ApiError(403, { code: 'permission_denied', detail: 'Niet toegestaan.' }))),
}));

const G = 'energie-klimaat';
const me = { id: 9, display_name: 'Bram' };

function setup() {
  const { client: rt, timers } = fakeClient();
  const reads: number[] = [];
  const chat = new ChatStore({
    rt,
    me: () => me,
    isMember: () => true,
    view: async () => ({ fresh: false }),
    release: () => {},
    onRead: () => reads.push(1),
    knownUnread: () => undefined,
    visible: () => true,
  });
  rt.on('outbox', (u) => chat.onOutbox(u));
  rt.on('message.created', (e) => chat.onMessageEvent(e));
  rt.on('error', (e) => chat.onError(e));
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
  rt.subscribe(G, 41);
  rt.connect();
  const ws = FakeSocket.latest();
  ws.open();
  return { rt, chat, view, ws, timers };
}

describe('ChatStore with the realtime client', () => {
  it('shows a pending echo, then exactly one sent message after ack and message.created', () => {
    const { chat, view, ws } = setup();
    expect(chat.send(12, 'Hallo')).toBe(true);
    expect(view.messages.map((m) => [m.state, m.client_id])).toEqual([['pending', 'cid-1']]);
    ws.receive({ type: 'ack', client_id: 'cid-1', id: 311, seq: 42 });
    expect(view.messages.map((m) => [m.state, m.id])).toEqual([['sent', 311]]);
    ws.receive(created(42, { id: 311, thread: 12, client_id: 'cid-1', author: me, body: 'Hallo' }));
    ws.receive(created(42, { id: 311, thread: 12, client_id: 'cid-1', author: me, body: 'Hallo' }));
    expect(view.messages).toHaveLength(1);
    expect(view.messages[0]).toMatchObject({ id: 311, state: 'sent', html: '<p>bericht 311</p>' });
  });

  it('marks a send failed on its error frame and retries with the same client_id', () => {
    const { chat, view, ws } = setup();
    chat.send(12, 'Hallo');
    ws.receive({ type: 'error', code: 'rate_limited', detail: 'Te snel.', retry_after: 4, client_id: 'cid-1' });
    expect(view.messages[0]).toMatchObject({ state: 'failed', body: 'Hallo', error: { code: 'rate_limited' } });
    expect(chat.notice).toBeNull();
    chat.retry(12, 'cid-1');
    expect(view.messages[0].state).toBe('pending');
    expect(ws.framesOfType('message.send').map((f) => f.client_id)).toEqual(['cid-1', 'cid-1']);
  });

  it('puts a send refused for good back into the composer and drops its echo and outbox entry', () => {
    const { rt, chat, view, ws } = setup();
    chat.send(12, 'Verboden woord');
    ws.receive({ type: 'error', code: 'blocked_content', detail: 'Geblokkeerd.', client_id: 'cid-1' });
    expect(view.messages[0]).toMatchObject({ state: 'failed', error: { code: 'blocked_content' } });
    chat.editFailed(12, 'cid-1');
    expect(view.messages).toHaveLength(0);
    expect(view.composerRestore).toEqual({ body: 'Verboden woord', resources: [], n: 1 });
    expect(rt.pending()).toEqual([]);
  });

  it('puts the resources attached to a refused send back into the composer with its text', () => {
    const { rt, chat, view, ws } = setup();
    const book = brief(5);
    const site = brief(6, { kind: 'website', url: 'https://example.org/zon', source: 'preview' });
    chat.send(12, 'Lees dit', [book, site]);
    expect(ws.framesOfType('message.send')[0]).toMatchObject({ client_id: 'cid-1', resources: [5, 6] });
    ws.receive({ type: 'error', code: 'thread_locked', detail: 'Gesloten.', client_id: 'cid-1' });
    chat.editFailed(12, 'cid-1');
    expect(view.messages).toHaveLength(0);
    expect(view.composerRestore).toEqual({ body: 'Lees dit', resources: [book, site], n: 1 });
    expect(rt.pending()).toEqual([]);
  });

  it('shows a hidden message without its text and the locked state of its thread, live', () => {
    const { rt, chat, view, ws } = setup();
    rt.on('message.hidden', (e) => chat.onMessageEvent(e));
    rt.on('thread.locked', (e) => chat.onThreadEvent(e));
    ws.receive(created(42, { id: 311, thread: 12 }));
    ws.receive({
      ...created(43, { id: 311, seq: 42, thread: 12, body: '', html: '', moderation: { state: 'hidden', reason: 'Spam' } }),
      type: 'message.hidden',
    });
    expect(view.messages).toHaveLength(1);
    expect(view.messages[0]).toMatchObject({ id: 311, body: '', moderation: { state: 'hidden', reason: 'Spam' } });
    ws.receive({ type: 'thread.locked', group: G, seq: 44, thread: { ...view.thread, locked: true } });
    expect(view.thread?.locked).toBe(true);
    expect(rt.lastSeq(G)).toBe(44);
  });

  it('refuses empty and over-long bodies', () => {
    const { chat, ws } = setup();
    expect(chat.send(12, '   ')).toBe(false);
    expect(chat.send(12, 'x'.repeat(10_001))).toBe(false);
    expect(ws.framesOfType('message.send')).toEqual([]);
  });

  it('marks the thread read up to the newest message while viewing it', () => {
    const { chat, ws } = setup();
    chat.current = 12;
    ws.receive(created(42, { thread: 12 }));
    expect(ws.framesOfType('read')).toEqual([{ type: 'read', thread: 12, seq: 42, ref: 'read:12' }]);
  });
});

describe('ChatStore: errors of edit, delete, reaction and read', () => {
  function withMessage() {
    const s = setup();
    s.chat.current = 12;
    s.ws.receive(created(42, { thread: 12, author: me }));
    return s;
  }
  const refused = (ref?: string) => ({ type: 'error', code: 'permission_denied', detail: 'Niet toegestaan.', ...(ref ? { ref } : {}) });

  it('shows an error next to the message whose action caused it, not as a notice', async () => {
    const { chat, view, ws } = withMessage();
    await chat.remove(12, 42);
    expect(ws.framesOfType('message.delete')).toEqual([{ type: 'message.delete', id: 42, ref: 'delete:42' }]);
    ws.receive(refused('delete:42'));
    expect(view.actionErrors).toEqual({ 42: 'Niet toegestaan.' });
    expect(chat.notice).toBeNull();

    // The next action on the message clears it; its own error takes the place.
    await chat.toggleReaction(12, view.messages[0], '👍');
    expect(view.actionErrors).toEqual({});
    ws.receive({ type: 'error', code: 'invalid_emoji', detail: 'Die emoji kan niet.', ref: 'reaction:42' });
    expect(view.actionErrors).toEqual({ 42: 'Die emoji kan niet.' });
    chat.dismissError(12, 42);
    expect(view.actionErrors).toEqual({});

    await chat.edit(12, 42, 'Nieuw');
    ws.receive({ type: 'error', code: 'message_deleted', detail: '', ref: 'edit:42' });
    expect(view.actionErrors).toEqual({ 42: 'message_deleted' });
    expect(chat.notice).toBeNull();
  });

  it('shows a REST fallback error next to its message too', async () => {
    const { chat, view, ws } = withMessage();
    ws.serverClose(1006);
    expect(await chat.remove(12, 42)).toBe(false);
    expect(view.actionErrors).toEqual({ 42: 'Niet toegestaan.' });
    expect(chat.notice).toBeNull();
  });

  it('opens the editor again with the text of a refused edit, with the error (socket)', async () => {
    const { chat, view, ws } = withMessage();
    expect(await chat.edit(12, 42, 'Nieuwe tekst')).toBe(true);
    expect(view.failedEdits).toEqual({});
    ws.receive({ type: 'error', code: 'permission_denied', detail: 'Niet toegestaan.', ref: 'edit:42' });
    expect(view.failedEdits).toEqual({ 42: 'Nieuwe tekst' });
    expect(view.actionErrors).toEqual({ 42: 'Niet toegestaan.' });
    chat.editRestored(12, 42);
    expect(view.failedEdits).toEqual({});
    // A second refusal of the same edit has no text left to restore.
    ws.receive({ type: 'error', code: 'permission_denied', detail: 'Niet toegestaan.', ref: 'edit:42' });
    expect(view.failedEdits).toEqual({});
  });

  it('keeps the text of an edit REST refused', async () => {
    const { chat, view, ws } = withMessage();
    ws.serverClose(1006);
    expect(await chat.edit(12, 42, 'Verboden')).toBe(false);
    expect(view.failedEdits).toEqual({ 42: 'Verboden' });
    expect(view.actionErrors[42]).toBeTruthy();
  });

  it('keeps the notice for errors without a ref of ours, or whose message is not loaded', () => {
    const { chat, view, ws } = withMessage();
    for (const ref of [undefined, 'iets-anders', 'delete:999']) {
      chat.notice = null;
      ws.receive(refused(ref));
      expect(chat.notice, String(ref)).toBe('Niet toegestaan.');
    }
    expect(view.actionErrors).toEqual({});
    chat.notice = null;
    chat.current = null;
    ws.receive(refused());
    expect(chat.notice).toBeNull();
  });

  it("shows a read error only on its own thread's page", () => {
    const { chat, ws } = withMessage();
    ws.receive(refused('read:13'));
    expect(chat.notice).toBeNull();
    ws.receive(refused('read:12'));
    expect(chat.notice).toBe('Niet toegestaan.');
  });
});

describe('isRetryable', () => {
  it('refuses a retry for permanent codes only', async () => {
    const { isRetryable } = await import('./chat.svelte');
    for (const code of ['blocked_content', 'body_empty', 'not_found', 'muted']) expect(isRetryable({ code })).toBe(false);
    for (const code of ['rate_limited', 'slow_mode', 'timeout', 'server_error', 'connection_lost']) expect(isRetryable({ code })).toBe(true);
    expect(isRetryable(undefined)).toBe(true);
  });
});
