import { describe, expect, it } from 'vitest';
import { socketUrl, type OutboxUpdate } from './client';
import { created, fakeClient, FakeSocket, threadCreated } from './testing';

const G = 'energie-klimaat';

function setup(opts: { random?: () => number } = {}) {
  const { client, timers } = fakeClient({
    random: opts.random ?? (() => 0.5),
    backoff: { baseMs: 500, capMs: 15_000 },
    gapMs: 1000,
    pingIntervalMs: 25_000,
    sendTimeoutMs: 15_000,
  });
  const outbox: OutboxUpdate[] = [];
  client.on('outbox', (u) => outbox.push(u));
  return { client, timers, outbox };
}

function connected() {
  const s = setup();
  s.client.connect();
  FakeSocket.latest().open();
  return { ...s, ws: FakeSocket.latest() };
}

describe('RealtimeClient connection', () => {
  it('builds the socket URL from the page scheme and host', () => {
    expect(socketUrl('nl', { protocol: 'http:', host: '127.0.0.1:8000' })).toBe('ws://127.0.0.1:8000/ws/?lang=nl');
    expect(socketUrl('en', { protocol: 'https:', host: 'bieb.example' })).toBe('wss://bieb.example/ws/?lang=en');
  });

  it('opens one socket and reports status changes', () => {
    const { client } = setup();
    const statuses: string[] = [];
    client.on('status', (s) => statuses.push(s.status));
    client.connect();
    client.connect();
    expect(FakeSocket.instances).toHaveLength(1);
    FakeSocket.latest().open();
    expect(statuses).toEqual(['connecting', 'open']);
    expect(client.isOpen).toBe(true);
  });

  it('reconnects with jittered back-off, growing until a connection succeeds, then resets', () => {
    const { client, timers } = setup({ random: () => 0.999 });
    const statuses: string[] = [];
    client.on('status', (s) => statuses.push(s.status));
    client.connect();
    FakeSocket.latest().serverClose(1006);
    expect(client.status).toBe('reconnecting');
    // Delays: floor(0.999 · min(15000, 500·2ⁿ)).
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      delays.push(timers.delays()[0]);
      const before = FakeSocket.instances.length;
      timers.advance(timers.delays()[0]);
      expect(FakeSocket.instances.length).toBe(before + 1);
      FakeSocket.latest().serverClose(1006);
    }
    expect(delays).toEqual([499, 999, 1998, 3996, 7992, 14985, 14985]);

    timers.advance(timers.delays()[0]);
    FakeSocket.latest().open();
    expect(client.status).toBe('open');
    FakeSocket.latest().serverClose(1001);
    expect(timers.delays()[0]).toBe(499);
    expect(statuses).toEqual(['connecting', 'reconnecting', 'open', 'reconnecting']);
  });

  it('also reconnects after close 4008 (protocol violation)', () => {
    const { client, timers } = connected();
    FakeSocket.latest().serverClose(4008);
    expect(client.status).toBe('reconnecting');
    timers.advance(15_000);
    expect(FakeSocket.instances).toHaveLength(2);
  });

  it('stops on 4001 and asks for a login, without retrying', () => {
    const { client, timers } = setup();
    let authRequired = 0;
    client.on('auth_required', () => authRequired++);
    client.connect();
    FakeSocket.latest().open();
    FakeSocket.latest().serverClose(4001);
    expect(client.status).toBe('unauthenticated');
    expect(authRequired).toBe(1);
    timers.advance(600_000);
    expect(FakeSocket.instances).toHaveLength(1);
  });

  it('stops on 4003 without retrying', () => {
    const { client, timers } = connected();
    FakeSocket.latest().serverClose(4003);
    expect(client.status).toBe('forbidden');
    timers.advance(600_000);
    expect(FakeSocket.instances).toHaveLength(1);
  });

  it('pings every 25 s while open', () => {
    const { ws, timers } = connected();
    timers.advance(24_999);
    expect(ws.framesOfType('ping')).toHaveLength(0);
    timers.advance(1);
    ws.receive({ type: 'pong' });
    timers.advance(25_000);
    expect(ws.framesOfType('ping')).toHaveLength(2);
  });

  it('drops a connection that stays silent and reconnects', () => {
    const { client, ws, timers } = connected();
    timers.advance(75_000);
    expect(ws.closedWith).toBe(4000);
    expect(client.status).toBe('reconnecting');
    timers.advance(15_000);
    expect(FakeSocket.instances).toHaveLength(2);
  });

  it('disconnect() closes for good', () => {
    const { client, ws, timers } = connected();
    client.disconnect();
    expect(ws.closedWith).toBe(1000);
    expect(client.status).toBe('idle');
    timers.advance(600_000);
    expect(FakeSocket.instances).toHaveLength(1);
  });

  it('ignores malformed and unknown frames', () => {
    const { client, ws } = connected();
    const seen: unknown[] = [];
    client.on('pong', (f) => seen.push(f));
    ws.receive('not json');
    ws.receive('[1,2]');
    ws.receive({ type: 'something.new' });
    ws.receive({ type: 'message.created', group: G });
    ws.receive({ type: 'pong' });
    expect(seen).toEqual([{ type: 'pong' }]);
  });
});

describe('RealtimeClient subscriptions and sequence numbers', () => {
  it('subscribes with after_seq and emits contiguous events once each', () => {
    const { client, ws } = connected();
    const seen: number[] = [];
    client.on('message.created', (e) => seen.push(e.seq));
    client.subscribe(G, 41);
    expect(ws.sent).toEqual([{ type: 'subscribe', group: G, after_seq: 41, ref: 'subscribe:1' }]);
    ws.receive(created(42));
    ws.receive(created(42));
    ws.receive(created(43));
    expect(seen).toEqual([42, 43]);
    expect(client.lastSeq(G)).toBe(43);
  });

  it('applies unknown sequenced frames as no-ops and keeps going without a catch-up', () => {
    const { client, ws, timers } = connected();
    const seen: number[] = [];
    client.on('message.created', (e) => seen.push(e.seq));
    client.subscribe(G, 41);
    ws.receive(created(42));
    ws.receive({ type: 'poll.closed', group: G, seq: 43, poll: 3 });
    ws.receive(created(44));
    timers.advance(10_000);
    expect(seen).toEqual([42, 44]);
    expect(client.lastSeq(G)).toBe(44);
    expect(ws.framesOfType('subscribe')).toHaveLength(1);
  });

  it('emits the moderation events in sequence with the others', () => {
    const { client, ws, timers } = connected();
    const got: string[] = [];
    for (const type of ['message.hidden', 'message.unhidden', 'message.removed', 'message.pinned', 'message.unpinned'] as const) {
      client.on(type, (e) => got.push(`${e.seq}:${e.type}:${e.message.id}`));
    }
    client.on('thread.locked', (e) => got.push(`${e.seq}:locked:${e.thread.locked}`));
    client.on('thread.unlocked', (e) => got.push(`${e.seq}:unlocked:${e.thread.locked}`));
    client.on('group.slow_mode', (e) => got.push(`${e.seq}:slow:${e.thread}:${e.seconds}`));
    client.subscribe(G, 41);
    const msg = (seq: number, type: string) => ({ ...created(seq, { id: 311, seq: 40 }), type });
    const thread = (seq: number, locked: boolean) => {
      const t = threadCreated(seq, G) as { thread: object };
      return { type: locked ? 'thread.locked' : 'thread.unlocked', group: G, seq, thread: { ...t.thread, locked } };
    };
    // Out of order: held, then applied in order.
    ws.receive(msg(43, 'message.removed'));
    ws.receive(msg(42, 'message.hidden'));
    ws.receive(thread(44, true));
    ws.receive({ type: 'group.slow_mode', group: G, seq: 45, thread: null, seconds: 30 });
    ws.receive(msg(46, 'message.pinned'));
    ws.receive(msg(47, 'message.unpinned'));
    ws.receive(msg(48, 'message.unhidden'));
    ws.receive(thread(49, false));
    timers.advance(10_000);
    expect(got).toEqual([
      '42:message.hidden:311',
      '43:message.removed:311',
      '44:locked:true',
      '45:slow:null:30',
      '46:message.pinned:311',
      '47:message.unpinned:311',
      '48:message.unhidden:311',
      '49:unlocked:false',
    ]);
    expect(ws.framesOfType('subscribe')).toHaveLength(1);
  });

  it('sends a catch-up subscribe when a gap is not filled within 1 s', () => {
    const { client, ws, timers } = connected();
    const seen: number[] = [];
    client.on('message.created', (e) => seen.push(e.seq));
    client.subscribe(G, 41);
    ws.receive(created(42));
    ws.receive(created(45));
    timers.advance(1000);
    expect(ws.framesOfType('subscribe')).toEqual([
      { type: 'subscribe', group: G, after_seq: 41, ref: 'subscribe:1' },
      { type: 'subscribe', group: G, after_seq: 42, ref: 'subscribe:1' },
    ]);
    ws.receive(created(43));
    ws.receive(created(44));
    ws.receive(created(45));
    ws.receive({ type: 'subscribed', group: G, last_seq: 45 });
    expect(seen).toEqual([42, 43, 44, 45]);
  });

  it('resubscribes every group from its last applied seq after a reconnect', () => {
    const { client, ws, timers } = connected();
    client.subscribe(G, 41);
    client.subscribe('boeken', null);
    ws.receive(created(42));
    ws.receive(created(7, {}, 'boeken'));
    ws.serverClose(1006);
    timers.advance(15_000);
    const ws2 = FakeSocket.latest();
    expect(ws2).not.toBe(ws);
    ws2.open();
    expect(ws2.framesOfType('subscribe')).toEqual([
      { type: 'subscribe', group: G, after_seq: 42, ref: 'subscribe:1' },
      { type: 'subscribe', group: 'boeken', after_seq: 7, ref: 'subscribe:2' },
    ]);
  });

  it('does not resubscribe groups it unsubscribed or was removed from', () => {
    const { client, ws, timers } = connected();
    client.subscribe(G, 1);
    client.subscribe('boeken', 1);
    client.subscribe('tuin', 1);
    client.unsubscribe('boeken');
    ws.receive({ type: 'unsubscribed', group: 'boeken', reason: 'requested' });
    ws.receive({ type: 'unsubscribed', group: 'tuin', reason: 'removed' });
    ws.serverClose(1006);
    timers.advance(15_000);
    FakeSocket.latest().open();
    expect(FakeSocket.latest().framesOfType('subscribe')).toEqual([{ type: 'subscribe', group: G, after_seq: 1, ref: 'subscribe:1' }]);
  });

  it('asks again with back-off after a refused subscribe, until it is followed', () => {
    const { client, ws, timers } = connected();
    client.subscribe(G, 41);
    ws.receive({ type: 'error', code: 'rate_limited', detail: 'Te snel.', retry_after: 1, ref: 'subscribe:1' });
    expect(client.isSubscribed(G)).toBe(false);
    expect(ws.framesOfType('subscribe')).toHaveLength(1);
    timers.advance(250); // first delay: 0.5 × 500 ms
    expect(ws.framesOfType('subscribe')).toHaveLength(2);
    expect(ws.framesOfType('subscribe')[1]).toEqual({ type: 'subscribe', group: G, after_seq: 41, ref: 'subscribe:1' });
    ws.receive({ type: 'error', code: 'rate_limited', detail: 'Te snel.', ref: 'subscribe:1' });
    timers.advance(499);
    expect(ws.framesOfType('subscribe')).toHaveLength(2);
    timers.advance(1); // second delay: 0.5 × 1000 ms
    expect(ws.framesOfType('subscribe')).toHaveLength(3);
    ws.receive({ type: 'subscribed', group: G, last_seq: 41 });
    expect(client.isSubscribed(G)).toBe(true);
    timers.advance(60_000);
    expect(ws.framesOfType('subscribe')).toHaveLength(3);
  });

  it('asks again at once when subscribe() is called after a refusal, and not after unsubscribe()', () => {
    const { client, ws, timers } = connected();
    client.subscribe(G, 41);
    ws.receive({ type: 'error', code: 'not_a_member', detail: 'Word eerst lid.', ref: 'subscribe:1' });
    client.subscribe(G, 45);
    expect(ws.framesOfType('subscribe').at(-1)).toEqual({ type: 'subscribe', group: G, after_seq: 45, ref: 'subscribe:1' });
    ws.receive({ type: 'error', code: 'not_a_member', detail: 'Word eerst lid.', ref: 'subscribe:1' });
    client.unsubscribe(G);
    timers.advance(60_000);
    expect(ws.framesOfType('subscribe')).toHaveLength(2);
  });

  it('gives up the timer after a few refusals, but asks again on reconnect', () => {
    const { client, ws, timers } = connected();
    client.subscribe(G, 41);
    for (let i = 0; i < 20; i++) {
      ws.receive({ type: 'error', code: 'not_found', detail: 'Weg.', ref: 'subscribe:1' });
      timers.advance(15_000);
    }
    const sent = ws.framesOfType('subscribe').length;
    expect(sent).toBeLessThan(12);
    timers.advance(60_000);
    expect(ws.framesOfType('subscribe')).toHaveLength(sent);
    ws.serverClose(1006);
    timers.advance(15_000);
    FakeSocket.latest().open();
    expect(FakeSocket.latest().framesOfType('subscribe')).toEqual([{ type: 'subscribe', group: G, after_seq: 41, ref: 'subscribe:1' }]);
  });

  it('queues subscriptions made while disconnected until the socket opens', () => {
    const { client } = setup();
    client.subscribe(G, 5);
    client.connect();
    const ws = FakeSocket.latest();
    expect(ws.sent).toEqual([]);
    ws.open();
    expect(ws.sent).toEqual([{ type: 'subscribe', group: G, after_seq: 5, ref: 'subscribe:1' }]);
  });

  it('on resync_required emits it and ignores the group until subscribed again', () => {
    const { client, ws } = connected();
    const resyncs: string[] = [];
    const seen: number[] = [];
    client.on('resync_required', (f) => resyncs.push(f.group));
    client.on('message.created', (e) => seen.push(e.seq));
    client.subscribe(G, 3);
    ws.receive({ type: 'resync_required', group: G, last_seq: 1530 });
    expect(resyncs).toEqual([G]);
    ws.receive(created(1531));
    expect(seen).toEqual([]);
    client.subscribe(G, 1530);
    expect(ws.framesOfType('subscribe').at(-1)).toEqual({ type: 'subscribe', group: G, after_seq: 1530, ref: 'subscribe:1' });
    ws.receive(created(1531));
    expect(seen).toEqual([1531]);
  });

  it('keeps its own last seq when asked to subscribe an already followed group', () => {
    const { client, ws } = connected();
    client.subscribe(G, 3);
    ws.receive(created(4));
    client.subscribe(G, 10);
    expect(ws.framesOfType('subscribe')).toHaveLength(1);
    expect(client.lastSeq(G)).toBe(4);
  });
});

describe('RealtimeClient outgoing messages', () => {
  it('sends with a client_id and resolves on ack', () => {
    const { client, ws, outbox } = connected();
    const entry = client.sendMessage(12, 'Hallo');
    expect(entry).toMatchObject({ client_id: 'cid-1', state: 'pending', thread: 12, body: 'Hallo' });
    expect(ws.framesOfType('message.send')).toEqual([
      { type: 'message.send', thread: 12, body: 'Hallo', client_id: 'cid-1' },
    ]);
    ws.receive({ type: 'ack', client_id: 'cid-1', id: 311, seq: 42 });
    expect(outbox.map((u) => u.state)).toEqual(['pending', 'sent']);
    expect(outbox[1]).toMatchObject({ id: 311, seq: 42 });
    expect(client.pending()).toEqual([]);
  });

  it('carries the attached resources on the send, on a retry and on the resend after a reconnect', () => {
    const { client, ws, timers } = connected();
    const entry = client.sendMessage(12, 'Twee bronnen', [31, 22]);
    expect(entry).not.toHaveProperty('resources');
    ws.receive({ type: 'error', code: 'rate_limited', detail: 'Te snel', retry_after: 4, client_id: 'cid-1' });
    client.retry('cid-1');
    expect(ws.framesOfType('message.send')).toEqual([
      { type: 'message.send', thread: 12, body: 'Twee bronnen', client_id: 'cid-1', resources: [31, 22] },
      { type: 'message.send', thread: 12, body: 'Twee bronnen', client_id: 'cid-1', resources: [31, 22] },
    ]);
    ws.serverClose(1006);
    timers.advance(1000);
    FakeSocket.latest().open();
    expect(FakeSocket.latest().framesOfType('message.send')).toEqual([
      { type: 'message.send', thread: 12, body: 'Twee bronnen', client_id: 'cid-1', resources: [31, 22] },
    ]);
  });

  it('resolves on the echoed message.created when the ack is lost', () => {
    const { client, ws, outbox } = connected();
    client.subscribe(G, 41);
    client.sendMessage(12, 'Hallo');
    ws.receive(created(42, { client_id: 'cid-1' }));
    // A late ack is ignored: the entry is already resolved, no second update.
    ws.receive({ type: 'ack', client_id: 'cid-1', id: 42, seq: 42 });
    expect(outbox.map((u) => u.state)).toEqual(['pending', 'sent']);
  });

  it('marks a send failed on an error frame with its client_id; retry reuses the client_id', () => {
    const { client, ws, outbox } = connected();
    client.sendMessage(12, 'Hallo');
    ws.receive({ type: 'error', code: 'rate_limited', detail: 'Te snel', retry_after: 4, client_id: 'cid-1' });
    expect(outbox.at(-1)).toMatchObject({ state: 'failed', error: { code: 'rate_limited', retry_after: 4 } });
    client.retry('cid-1');
    expect(outbox.at(-1)).toMatchObject({ state: 'pending', client_id: 'cid-1' });
    expect(ws.framesOfType('message.send').map((f) => f.client_id)).toEqual(['cid-1', 'cid-1']);
  });

  it('sends again with the same client_id after a retriable error, until acked', () => {
    const { client, ws, outbox, timers } = connected();
    client.sendMessage(12, 'Hallo');
    const unavailable = { type: 'error', code: 'unavailable', detail: 'Even niet', retriable: true, client_id: 'cid-1' } as const;
    ws.receive(unavailable);
    ws.receive({ type: 'pong' });
    expect(outbox.at(-1)?.state).toBe('pending');
    timers.advance(500);
    ws.receive(unavailable);
    timers.advance(1000);
    expect(ws.framesOfType('message.send').map((f) => f.client_id)).toEqual(['cid-1', 'cid-1', 'cid-1']);
    ws.receive({ type: 'ack', client_id: 'cid-1', id: 42, seq: 42 });
    expect(outbox.map((u) => u.state)).toEqual(['pending', 'sent']);
    expect(client.pending()).toEqual([]);
  });

  it('queues sends while disconnected and sends them after resubscribing', () => {
    const { client, ws, timers } = connected();
    client.subscribe(G, 41);
    ws.serverClose(1006);
    client.sendMessage(12, 'Offline geschreven');
    expect(client.pending()[0].state).toBe('pending');
    timers.advance(1000);
    const ws2 = FakeSocket.latest();
    ws2.open();
    expect(ws2.sent.map((f) => f.type)).toEqual(['subscribe', 'message.send']);
    expect(ws2.sent[1]).toMatchObject({ client_id: 'cid-1', body: 'Offline geschreven' });
  });

  it('resends an unacknowledged in-flight message with the same client_id after a reconnect', () => {
    const { client, ws, timers } = connected();
    client.sendMessage(12, 'Hallo');
    ws.serverClose(1006);
    timers.advance(1000);
    FakeSocket.latest().open();
    expect(FakeSocket.latest().framesOfType('message.send')).toEqual([
      { type: 'message.send', thread: 12, body: 'Hallo', client_id: 'cid-1' },
    ]);
    expect(client.pending()).toHaveLength(1);
  });

  it('fails a send when the socket stays down past the timeout, keeping the text', () => {
    const { client, ws, timers, outbox } = connected();
    ws.serverClose(1006);
    // Keep the server away: every reconnect attempt fails.
    client.on('status', () => {});
    client.sendMessage(12, 'Niet kwijtraken');
    for (let t = 0; t < 15_000; t += 100) {
      timers.advance(100);
      const latest = FakeSocket.latest();
      if (latest.readyState === 0 && latest.onclose) latest.serverClose(1006);
    }
    expect(outbox.at(-1)).toMatchObject({ state: 'failed', body: 'Niet kwijtraken', error: { code: 'timeout' } });
    expect(client.pending()).toEqual([expect.objectContaining({ client_id: 'cid-1', state: 'failed' })]);
    // Failed sends are not resent automatically on reconnect; the user retries.
    timers.advance(15_000);
    const ws2 = FakeSocket.latest();
    ws2.open();
    expect(ws2.framesOfType('message.send')).toEqual([]);
    client.retry('cid-1');
    expect(ws2.framesOfType('message.send')).toEqual([
      { type: 'message.send', thread: 12, body: 'Niet kwijtraken', client_id: 'cid-1' },
    ]);
  });

  it('marks a late ack after a timeout as sent (the server stored it)', () => {
    const { client, ws, timers, outbox } = connected();
    client.sendMessage(12, 'Hallo');
    timers.advance(15_000);
    expect(outbox.at(-1)?.state).toBe('failed');
    ws.receive({ type: 'ack', client_id: 'cid-1', id: 311, seq: 42 });
    expect(outbox.at(-1)).toMatchObject({ state: 'sent', id: 311 });
  });

  it('throttles typing frames to one per 3 s per thread', () => {
    const { client, ws, timers } = connected();
    client.typing(12);
    client.typing(12);
    client.typing(13);
    timers.advance(2999);
    client.typing(12);
    timers.advance(1);
    client.typing(12);
    expect(ws.framesOfType('typing')).toEqual([
      { type: 'typing', thread: 12 },
      { type: 'typing', thread: 13 },
      { type: 'typing', thread: 12 },
    ]);
  });

  it('reports other actions as not sent while disconnected (caller falls back to REST)', () => {
    const { client, ws } = connected();
    expect(client.read(12, 57)).toBe(true);
    expect(client.react(311, '👍', true)).toBe(true);
    expect(client.edit(311, 'x')).toBe(true);
    expect(client.delete(311)).toBe(true);
    expect(ws.sent.slice(-4)).toEqual([
      { type: 'read', thread: 12, seq: 57, ref: 'read:12' },
      { type: 'reaction.add', id: 311, emoji: '👍', ref: 'reaction:311' },
      { type: 'message.edit', id: 311, body: 'x', ref: 'edit:311' },
      { type: 'message.delete', id: 311, ref: 'delete:311' },
    ]);
    ws.serverClose(1006);
    expect(client.read(12, 58)).toBe(false);
    expect(client.react(311, '👍', false)).toBe(false);
  });

  it('passes ephemeral frames to their handlers', () => {
    const { client, ws } = connected();
    const got: string[] = [];
    client.on('presence', (f) => got.push(`presence:${f.online.length}`));
    client.on('typing', (f) => got.push(`typing:${f.user.display_name}`));
    client.on('unread', (f) => got.push(`unread:${f.count}`));
    const off = client.on('error', (f) => got.push(`error:${f.code}`));
    ws.receive({ type: 'presence', group: G, online: [{ id: 7, display_name: 'Anouk' }] });
    ws.receive({ type: 'typing', group: G, thread: 12, user: { id: 7, display_name: 'Anouk' } });
    ws.receive({ type: 'unread', group: G, thread: 12, count: 0 });
    client.on('moderation.notice', (f) => got.push(`notice:${f.action}:${f.reason}`));
    ws.receive({ type: 'moderation.notice', action: 'mute', group: G, reason: 'Even afkoelen', until: null });
    ws.receive({ type: 'error', code: 'not_found', detail: 'Niet gevonden' });
    off();
    ws.receive({ type: 'error', code: 'not_found', detail: 'Niet gevonden' });
    expect(got).toEqual(['presence:1', 'typing:Anouk', 'unread:0', 'notice:mute:Even afkoelen', 'error:not_found']);
  });

  it('sends moderation frames with refs, and reports them unsent while disconnected', () => {
    const { client, ws } = connected();
    expect(client.moderateMessage('hide', 311, 'Persoonlijke gegevens')).toBe(true);
    client.moderateMessage('unhide', 311);
    client.moderateMessage('remove', 311, 'Spam');
    client.moderateMessage('pin', 311);
    client.moderateMessage('unpin', 311);
    client.lockThread(12, true, 'Afgerond');
    client.lockThread(12, false);
    client.setSlowMode(G, 30, null);
    client.setSlowMode(G, 0, 12);
    expect(ws.sent.filter((f) => f.type !== 'subscribe')).toEqual([
      { type: 'message.hide', id: 311, reason: 'Persoonlijke gegevens', ref: 'hide:311' },
      { type: 'message.unhide', id: 311, ref: 'unhide:311' },
      { type: 'message.remove', id: 311, reason: 'Spam', ref: 'remove:311' },
      { type: 'message.pin', id: 311, ref: 'pin:311' },
      { type: 'message.unpin', id: 311, ref: 'unpin:311' },
      { type: 'thread.lock', thread: 12, reason: 'Afgerond', ref: 'lock:12' },
      { type: 'thread.unlock', thread: 12, ref: 'unlock:12' },
      { type: 'group.slow_mode', group: G, seconds: 30, thread: null, ref: 'slowmodegroup:1' },
      { type: 'group.slow_mode', group: G, seconds: 0, thread: 12, ref: 'slowmode:12' },
    ]);
    const targets: unknown[] = [];
    client.on('error', (f) => targets.push(f.target));
    for (const ref of ['hide:311', 'lock:12', 'slowmodegroup:1']) ws.receive({ type: 'error', code: 'permission_denied', detail: 'Nee', ref });
    expect(targets).toEqual([
      { action: 'hide', message: 311 },
      { action: 'lock', thread: 12 },
      { action: 'slow_mode', group: G },
    ]);
    ws.serverClose(1006);
    expect(client.moderateMessage('pin', 311)).toBe(false);
    expect(client.lockThread(12, true)).toBe(false);
  });

  it('gives error frames the action their ref names', () => {
    const { client, ws } = connected();
    const targets: unknown[] = [];
    client.on('error', (f) => targets.push(f.target));
    client.subscribe('boeken', null);
    client.subscribe(G, 41);
    client.delete(311);
    const [boeken, energie] = ws.framesOfType('subscribe').map((f) => f.ref);
    for (const ref of [boeken, energie, 'delete:311', 'read:12', 'subscribe:9', 'iets-anders', undefined]) {
      ws.receive({ type: 'error', code: 'not_found', detail: 'Niet gevonden', ...(ref === undefined ? {} : { ref }) });
    }
    expect(targets).toEqual([
      { action: 'subscribe', group: 'boeken' },
      { action: 'subscribe', group: G },
      { action: 'delete', message: 311 },
      { action: 'read', thread: 12 },
      null,
      null,
      null,
    ]);
  });
});
