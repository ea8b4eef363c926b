import type { SequencedFrame } from './protocol';
import type { Timers } from './timers';

/**
 * Applies each group's sequenced events exactly once and in order.
 *
 * - `seq <= last` is a duplicate and is dropped.
 * - `seq > last + 1` is a gap: the event is held; when the gap is not filled within `gapMs` the
 *   sequencer asks for a catch-up (`subscribe {group, after_seq: last}`), and applies held events as
 *   soon as they are contiguous.
 * - A paused group (after `resync_required`) drops everything until it is tracked again.
 *
 * Every frame with a `group` and a `seq` takes its place, whatever its type: one this client does
 * not know is "applied" too (the handler ignores it), or the next event would look like a gap.
 */
export interface SequencerOptions {
  apply: (event: SequencedFrame) => void;
  requestCatchUp: (group: string, afterSeq: number) => void;
  timers: Timers;
  /** How long a gap may stay open before asking for a catch-up. */
  gapMs?: number;
  /** After asking, how long to wait for the catch-up before asking again. */
  catchUpTimeoutMs?: number;
}

interface GroupState {
  last: number | null;
  /** Highest seq known to exist (from held events or `subscribed.last_seq`). */
  known: number;
  held: Map<number, SequencedFrame>;
  timer: unknown;
  paused: boolean;
  catchingUp: boolean;
}

export class Sequencer {
  private readonly groups = new Map<string, GroupState>();
  private readonly gapMs: number;
  private readonly catchUpTimeoutMs: number;

  constructor(private readonly opts: SequencerOptions) {
    this.gapMs = opts.gapMs ?? 1000;
    this.catchUpTimeoutMs = opts.catchUpTimeoutMs ?? 5000;
  }

  /** Starts (or restarts, after a pause) tracking a group from `last` (null: take the first event). */
  track(group: string, last: number | null): void {
    const prev = this.groups.get(group);
    if (prev) this.clearTimer(prev);
    this.groups.set(group, {
      last,
      known: last ?? 0,
      held: new Map(),
      timer: null,
      paused: false,
      catchingUp: false,
    });
  }

  forget(group: string): void {
    const st = this.groups.get(group);
    if (st) this.clearTimer(st);
    this.groups.delete(group);
  }

  /** Stops applying a group's events until `track` is called again (resync via REST). */
  pause(group: string): void {
    const st = this.groups.get(group);
    if (!st) return;
    this.clearTimer(st);
    st.held.clear();
    st.paused = true;
    st.catchingUp = false;
  }

  isTracked(group: string): boolean {
    return this.groups.has(group);
  }

  isActive(group: string): boolean {
    const st = this.groups.get(group);
    return !!st && !st.paused;
  }

  last(group: string): number | null {
    return this.groups.get(group)?.last ?? null;
  }

  /** Groups to resubscribe after a reconnect, with their last applied seq. */
  active(): { group: string; last: number | null }[] {
    const out: { group: string; last: number | null }[] = [];
    for (const [group, st] of this.groups) if (!st.paused) out.push({ group, last: st.last });
    return out;
  }

  /** The socket dropped: held events will come again after resubscribing. */
  clearHeld(): void {
    for (const st of this.groups.values()) {
      this.clearTimer(st);
      st.held.clear();
      st.known = st.last ?? 0;
      st.catchingUp = false;
    }
  }

  receive(event: SequencedFrame): void {
    const st = this.groups.get(event.group);
    if (!st || st.paused) return;
    if (st.last === null) {
      this.applyOne(st, event);
    } else if (event.seq <= st.last) {
      return;
    } else if (event.seq === st.last + 1) {
      this.applyOne(st, event);
    } else {
      if (!st.held.has(event.seq)) st.held.set(event.seq, event);
      st.known = Math.max(st.known, event.seq);
    }
    this.drain(st);
    this.checkGap(event.group, st);
  }

  /** `subscribed {last_seq}` closes a catch-up; a baseline-less group starts from it. */
  subscribed(group: string, lastSeq: number): void {
    const st = this.groups.get(group);
    if (!st || st.paused) return;
    if (st.last === null) st.last = lastSeq;
    st.known = Math.max(st.known, lastSeq);
    st.catchingUp = false;
    this.clearTimer(st);
    this.drain(st);
    this.checkGap(group, st);
  }

  private applyOne(st: GroupState, event: SequencedFrame): void {
    st.last = event.seq;
    st.known = Math.max(st.known, event.seq);
    try {
      this.opts.apply(event);
    } catch (err) {
      // A failing handler must not stall the group's sequence.
      console.error('realtime: event handler failed', err);
    }
  }

  private drain(st: GroupState): void {
    if (st.last === null) return;
    for (const seq of [...st.held.keys()]) if (seq <= st.last) st.held.delete(seq);
    let next = st.held.get(st.last + 1);
    while (next) {
      st.held.delete(next.seq);
      this.applyOne(st, next);
      next = st.held.get(st.last + 1);
    }
  }

  private checkGap(group: string, st: GroupState): void {
    const gap = st.last !== null && st.known > st.last;
    if (!gap) {
      this.clearTimer(st);
      st.catchingUp = false;
      return;
    }
    if (st.timer !== null) return;
    st.timer = this.opts.timers.setTimeout(
      () => this.onGapTimer(group),
      st.catchingUp ? this.catchUpTimeoutMs : this.gapMs,
    );
  }

  private onGapTimer(group: string): void {
    const st = this.groups.get(group);
    if (!st || st.paused) return;
    st.timer = null;
    if (st.last === null || st.known <= st.last) return;
    st.catchingUp = true;
    this.opts.requestCatchUp(group, st.last);
    this.checkGap(group, st);
  }

  private clearTimer(st: GroupState): void {
    if (st.timer !== null) this.opts.timers.clearTimeout(st.timer);
    st.timer = null;
  }
}
