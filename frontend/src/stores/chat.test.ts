import { describe, expect, it } from 'vitest';
import { created, fakeClient, FakeSocket } from '../realtime/testing';
import { ChatStore } from './chat.svelte';

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
  const view = chat.viewFor(12);
  view.thread = {
    id: 12,
    group: G,
    title: 'Zonnepanelen',
    created_by: me,
    created_at: '2026-11-25T14:00:00Z',
    last_message_at: null,
    message_count: 0,
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
    chat.retry(12, 'cid-1');
    expect(view.messages[0].state).toBe('pending');
    expect(ws.framesOfType('message.send').map((f) => f.client_id)).toEqual(['cid-1', 'cid-1']);
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
