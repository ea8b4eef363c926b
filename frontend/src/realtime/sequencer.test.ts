import { beforeEach, describe, expect, it } from 'vitest';
import type { SequencedFrame } from './protocol';
import { Sequencer } from './sequencer';
import { created, FakeTimers, threadCreated } from './testing';

const G = 'energie-klimaat';

describe('Sequencer', () => {
  let timers: FakeTimers;
  let applied: number[];
  let catchUps: [string, number][];
  let seq: Sequencer;

  beforeEach(() => {
    timers = new FakeTimers();
    applied = [];
    catchUps = [];
    seq = new Sequencer({
      timers,
      gapMs: 1000,
      catchUpTimeoutMs: 5000,
      apply: (e: SequencedFrame) => applied.push(e.seq),
      requestCatchUp: (g, after) => catchUps.push([g, after]),
    });
  });

  it('applies contiguous events and tracks the last seq', () => {
    seq.track(G, 41);
    seq.receive(created(42));
    seq.receive(threadCreated(43));
    expect(applied).toEqual([42, 43]);
    expect(seq.last(G)).toBe(43);
  });

  it('advances on a frame of an unknown type, so the next event is no gap', () => {
    seq.track(G, 41);
    seq.receive(created(42));
    seq.receive({ type: 'poll.closed', group: G, seq: 43, unknown: true });
    seq.receive(created(44));
    expect(applied).toEqual([42, 43, 44]);
    expect(seq.last(G)).toBe(44);
    timers.advance(10_000);
    expect(catchUps).toEqual([]);
  });

  it('drops duplicates (seq <= last)', () => {
    seq.track(G, 41);
    seq.receive(created(42));
    seq.receive(created(42));
    seq.receive(created(41));
    seq.receive(created(30));
    expect(applied).toEqual([42]);
  });

  it('ignores events of groups it does not track', () => {
    seq.receive(created(1, {}, 'other'));
    expect(applied).toEqual([]);
  });

  it('takes the first event as baseline when subscribed without after_seq', () => {
    seq.track(G, null);
    seq.receive(created(17));
    seq.receive(created(18));
    expect(applied).toEqual([17, 18]);
  });

  it('holds events after a gap and applies them in order once the gap is filled', () => {
    seq.track(G, 41);
    seq.receive(created(44));
    seq.receive(created(43));
    expect(applied).toEqual([]);
    seq.receive(created(42));
    expect(applied).toEqual([42, 43, 44]);
    expect(seq.last(G)).toBe(44);
    timers.advance(10_000);
    expect(catchUps).toEqual([]);
  });

  it('asks for a catch-up after ~1 s when the gap stays open', () => {
    seq.track(G, 41);
    seq.receive(created(43));
    timers.advance(999);
    expect(catchUps).toEqual([]);
    timers.advance(1);
    expect(catchUps).toEqual([[G, 41]]);

    // The catch-up replays 42 and 43 (43 is a duplicate of the held one), then `subscribed`.
    seq.receive(created(42));
    seq.receive(created(43));
    seq.subscribed(G, 43);
    expect(applied).toEqual([42, 43]);
    timers.advance(60_000);
    expect(catchUps).toEqual([[G, 41]]);
  });

  it('asks again when the catch-up does not arrive', () => {
    seq.track(G, 41);
    seq.receive(created(43));
    timers.advance(1000);
    expect(catchUps).toHaveLength(1);
    timers.advance(5000);
    expect(catchUps).toEqual([
      [G, 41],
      [G, 41],
    ]);
  });

  it('treats subscribed.last_seq beyond the last applied seq as a gap', () => {
    seq.track(G, 41);
    seq.subscribed(G, 45);
    timers.advance(1000);
    expect(catchUps).toEqual([[G, 41]]);
  });

  it('takes subscribed.last_seq as baseline when it has none', () => {
    seq.track(G, null);
    seq.subscribed(G, 45);
    expect(seq.last(G)).toBe(45);
    seq.receive(created(45));
    seq.receive(created(46));
    expect(applied).toEqual([46]);
  });

  it('drops everything while paused for a resync, until tracked again', () => {
    seq.track(G, 41);
    seq.receive(created(43));
    seq.pause(G);
    seq.receive(created(42));
    timers.advance(10_000);
    expect(applied).toEqual([]);
    expect(catchUps).toEqual([]);
    expect(seq.isActive(G)).toBe(false);
    seq.track(G, 1530);
    seq.receive(created(1531));
    expect(applied).toEqual([1531]);
  });

  it('forgets held events when the socket drops', () => {
    seq.track(G, 41);
    seq.receive(created(43));
    seq.clearHeld();
    timers.advance(10_000);
    expect(catchUps).toEqual([]);
    seq.receive(created(42));
    expect(applied).toEqual([42]);
  });

  it('keeps the sequence going when a handler throws', () => {
    const s = new Sequencer({
      timers,
      apply: (e) => {
        if (e.seq === 2) throw new Error('boom');
        applied.push(e.seq);
      },
      requestCatchUp: () => {},
    });
    const err = console.error;
    console.error = () => {};
    try {
      s.track(G, 0);
      s.receive(created(1));
      s.receive(created(2));
      s.receive(created(3));
    } finally {
      console.error = err;
    }
    expect(applied).toEqual([1, 3]);
    expect(s.last(G)).toBe(3);
  });
});
