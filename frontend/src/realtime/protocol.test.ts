import { describe, expect, it } from 'vitest';
import { isKnownSequenced, isSequenced, parseFrame } from './protocol';

const G = 'energie-en-klimaat';
const parse = (frame: unknown) => parseFrame(JSON.stringify(frame));

describe('parseFrame', () => {
  it('gives an unknown type with a group and a seq its place in the sequence', () => {
    const frame = parse({ type: 'poll.closed', group: G, seq: 52, poll: { id: 3 } });
    expect(frame).toEqual({ type: 'poll.closed', group: G, seq: 52, unknown: true });
    expect(frame && isSequenced(frame)).toBe(true);
    expect(frame && isSequenced(frame) && isKnownSequenced(frame)).toBe(false);
  });

  it('ignores unknown frames without a valid group and seq', () => {
    for (const frame of [
      { type: 'something.new' },
      { type: 'something.new', group: G },
      { type: 'something.new', seq: 3 },
      { type: 'something.new', group: G, seq: '3' },
      { type: 'something.new', group: G, seq: 2.5 },
      { type: 'something.new', group: 7, seq: 3 },
    ]) {
      expect(parse(frame), JSON.stringify(frame)).toBeNull();
    }
  });

  it('knows the moderation events as sequenced', () => {
    for (const type of [
      'message.hidden',
      'message.unhidden',
      'message.removed',
      'message.pinned',
      'message.unpinned',
      'message.approved',
      'thread.locked',
      'thread.unlocked',
      'group.slow_mode',
    ]) {
      const frame = parse({ type, group: G, seq: 51 });
      expect(frame && isSequenced(frame) && isKnownSequenced(frame), type).toBe(true);
      // Known sequenced types without a seq are malformed.
      expect(parse({ type, group: G }), type).toBeNull();
    }
  });

  it('keeps ephemeral frames ephemeral, moderation notices included', () => {
    const notice = { type: 'moderation.notice', action: 'hide', group: G, reason: 'Spam', message: 311, thread: 12 };
    const parsed = parse(notice);
    expect(parsed).toEqual(notice);
    expect(parsed && isSequenced(parsed)).toBe(false);
    // An ack has a seq but no group: not sequenced.
    const ack = parse({ type: 'ack', client_id: 'x', id: 1, seq: 5 });
    expect(ack && isSequenced(ack)).toBe(false);
  });
});
