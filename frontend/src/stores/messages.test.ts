import { describe, expect, it } from 'vitest';
import { makeMessage } from '../realtime/testing';
import { MessageStore } from './messages';

const me = { id: 9, display_name: 'Bram' };
const G = 'energie-klimaat';

describe('MessageStore', () => {
  it('keeps messages sorted by seq whatever the arrival order', () => {
    const s = new MessageStore(12);
    s.mergePage([makeMessage({ id: 3 }), makeMessage({ id: 1 })]);
    s.applyEvent(makeMessage({ id: 2 }), 2);
    expect(s.list().map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(s.maxSeq()).toBe(3);
    expect(s.minSeq()).toBe(1);
  });

  it('upserts by id: a repeated event or page does not duplicate', () => {
    const s = new MessageStore(12);
    s.applyEvent(makeMessage({ id: 5 }), 5);
    s.applyEvent(makeMessage({ id: 5 }), 5);
    s.mergePage([makeMessage({ id: 5 })]);
    expect(s.list()).toHaveLength(1);
  });

  it('ignores messages of other threads', () => {
    const s = new MessageStore(12);
    s.applyEvent(makeMessage({ id: 5, thread: 13 }), 5);
    s.mergePage([makeMessage({ id: 6, thread: 13 })]);
    expect(s.size).toBe(0);
  });

  it('shows a local echo at once and replaces it with the echoed message.created', () => {
    const s = new MessageStore(12);
    s.mergePage([makeMessage({ id: 1 })]);
    s.addLocal('cid-1', 'Hallo', me, G, '2026-11-25T14:03:00Z');
    expect(s.list().map((m) => [m.state, m.client_id])).toEqual([
      ['sent', null],
      ['pending', 'cid-1'],
    ]);
    s.applyEvent(makeMessage({ id: 2, client_id: 'cid-1', author: me, body: 'Hallo' }), 2);
    expect(s.list().map((m) => [m.id, m.state, m.client_id])).toEqual([
      [1, 'sent', null],
      [2, 'sent', 'cid-1'],
    ]);
  });

  it('reconciles ack then message.created into one message', () => {
    const s = new MessageStore(12);
    s.addLocal('cid-1', 'Hallo', me, G, '2026-11-25T14:03:00Z');
    s.ack('cid-1', 42, 42);
    expect(s.list()).toMatchObject([{ id: 42, seq: 42, state: 'sent', client_id: 'cid-1', body: 'Hallo' }]);
    s.applyEvent(makeMessage({ id: 42, client_id: 'cid-1', author: me, html: '<p>Hallo</p>' }), 42);
    expect(s.list()).toHaveLength(1);
    expect(s.list()[0].html).toBe('<p>Hallo</p>');
  });

  it('reconciles message.created then a late ack into one message', () => {
    const s = new MessageStore(12);
    s.addLocal('cid-1', 'Hallo', me, G, '2026-11-25T14:03:00Z');
    s.applyEvent(makeMessage({ id: 42, client_id: 'cid-1', author: me }), 42);
    s.ack('cid-1', 42, 42);
    expect(s.list()).toHaveLength(1);
    expect(s.list()[0].html).toBe('<p>bericht 42</p>');
  });

  it('reconciles an echo found in a REST page (sent by another tab or retried)', () => {
    const s = new MessageStore(12);
    s.addLocal('cid-1', 'Hallo', me, G, '2026-11-25T14:03:00Z');
    s.mergePage([makeMessage({ id: 7, client_id: 'cid-1' })]);
    expect(s.list().map((m) => m.id)).toEqual([7]);
  });

  it('tracks failed echoes and keeps their text', () => {
    const s = new MessageStore(12);
    s.addLocal('cid-1', 'Belangrijk', me, G, '2026-11-25T14:03:00Z');
    s.setLocalState('cid-1', 'failed', { code: 'timeout', detail: '' });
    expect(s.getByClientId('cid-1')).toMatchObject({ state: 'failed', body: 'Belangrijk', error: { code: 'timeout' } });
    s.setLocalState('cid-1', 'pending');
    expect(s.getByClientId('cid-1')).toMatchObject({ state: 'pending', error: undefined });
    s.removeLocal('cid-1');
    expect(s.size).toBe(0);
  });

  it('keeps unsent echoes after the sent messages, in writing order', () => {
    const s = new MessageStore(12);
    s.addLocal('a', 'eerste', me, G, '2026-11-25T14:03:00Z');
    s.addLocal('b', 'tweede', me, G, '2026-11-25T14:03:01Z');
    s.applyEvent(makeMessage({ id: 50 }), 50);
    expect(s.list().map((m) => m.body)).toEqual(['bericht 50', 'eerste', 'tweede']);
  });

  it('applies edits, deletions and reactions carrying the whole message', () => {
    const s = new MessageStore(12);
    s.applyEvent(makeMessage({ id: 311, seq: 42 }), 42);
    s.applyEvent(makeMessage({ id: 311, seq: 42, body: 'nieuw', edited_at: '2026-11-25T14:04:00Z' }), 43);
    expect(s.get(311)).toMatchObject({ body: 'nieuw', seq: 42 });
    s.applyEvent(makeMessage({ id: 311, seq: 42, reactions: [{ emoji: '🎉', count: 1, users: [9] }] }), 45);
    expect(s.get(311)?.reactions).toEqual([{ emoji: '🎉', count: 1, users: [9] }]);
    s.applyEvent(makeMessage({ id: 311, seq: 42, deleted: true, body: '', html: '' }), 46);
    expect(s.get(311)).toMatchObject({ deleted: true, body: '', html: '' });
    expect(s.list()).toHaveLength(1);
  });

  it('applies the moderation events like edits: hidden, removed, pinned, unhidden', () => {
    const s = new MessageStore(12);
    s.applyEvent(makeMessage({ id: 311, seq: 42 }), 42);
    // A member receives a hidden message without its text.
    const hidden = { state: 'hidden', reason: 'Persoonlijke gegevens' } as const;
    s.applyEvent(makeMessage({ id: 311, seq: 42, body: '', html: '', moderation: hidden }), 43);
    expect(s.get(311)).toMatchObject({ body: '', html: '', moderation: hidden, deleted: false });
    s.applyEvent(makeMessage({ id: 311, seq: 42, moderation: null }), 44);
    expect(s.get(311)).toMatchObject({ body: 'bericht 311', moderation: null });
    s.applyEvent(makeMessage({ id: 311, seq: 42, pinned: true }), 45);
    expect(s.get(311)?.pinned).toBe(true);
    const removed = { state: 'removed', reason: 'Spam' } as const;
    s.applyEvent(makeMessage({ id: 311, seq: 42, deleted: true, body: '', html: '', moderation: removed }), 46);
    expect(s.get(311)).toMatchObject({ deleted: true, moderation: removed });
    // A late copy of the pin does not bring the text back.
    s.applyEvent(makeMessage({ id: 311, seq: 42, pinned: true }), 45);
    expect(s.get(311)?.deleted).toBe(true);
    expect(s.list()).toHaveLength(1);
  });

  it('ignores an older change than the one applied', () => {
    const s = new MessageStore(12);
    s.applyEvent(makeMessage({ id: 311, body: 'v2' }), 44);
    s.applyEvent(makeMessage({ id: 311, body: 'v1' }), 43);
    expect(s.get(311)?.body).toBe('v2');
  });

  it('does not let a REST page override state from a live event', () => {
    const s = new MessageStore(12);
    s.applyEvent(makeMessage({ id: 311, deleted: true, body: '', html: '' }), 50);
    s.mergePage([makeMessage({ id: 311, body: 'oud' }), makeMessage({ id: 310 })]);
    expect(s.get(311)?.deleted).toBe(true);
    expect(s.list().map((m) => m.id)).toEqual([310, 311]);
  });

  it('reset replaces server messages after a resync but keeps unsent echoes', () => {
    const s = new MessageStore(12);
    s.applyEvent(makeMessage({ id: 1 }), 1);
    s.addLocal('cid-1', 'nog niet verstuurd', me, G, '2026-11-25T14:03:00Z');
    s.reset([makeMessage({ id: 900 }), makeMessage({ id: 901 })]);
    expect(s.list().map((m) => m.id)).toEqual([900, 901, 0]);
    expect(s.get(900)?.version).toBeUndefined();
  });
});

import { firstUnreadSeq } from './chat.svelte';

describe('firstUnreadSeq', () => {
  const msgs = [
    makeMessage({ id: 1, author: { id: 7, display_name: 'Anouk' } }),
    makeMessage({ id: 2, author: { id: 9, display_name: 'Bram' } }),
    makeMessage({ id: 3, author: { id: 7, display_name: 'Anouk' } }),
    makeMessage({ id: 4, author: { id: 7, display_name: 'Anouk' } }),
  ];

  it('is the n-th last message by someone else', () => {
    expect(firstUnreadSeq(msgs, 2, 9)).toBe(3);
    expect(firstUnreadSeq(msgs, 1, 9)).toBe(4);
  });

  it('skips my own messages', () => {
    expect(firstUnreadSeq(msgs, 1, 7)).toBe(2);
  });

  it('is null when nothing is unread, and the oldest loaded when more are unread than loaded', () => {
    expect(firstUnreadSeq(msgs, 0, 9)).toBeNull();
    expect(firstUnreadSeq(msgs, 10, 9)).toBe(1);
  });
});
