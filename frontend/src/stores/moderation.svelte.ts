import type { ModerationNoticeFrame, SlowModeEvent } from '../realtime/protocol';

/** Slow mode of one group as far as this client knows it: the group's own and per thread (seconds; 0 is off). */
export interface GroupSlowMode {
  group?: number;
  threads: Record<number, number>;
}

/** A `moderation.notice` as shown to the member it is about. */
export interface ShownNotice {
  id: number;
  frame: ModerationNoticeFrame;
}

/** How many notices stay on screen at most (the oldest go first). */
const MAX_NOTICES = 5;

/**
 * Moderation state that is not part of a message or a thread: slow mode per group and thread, the
 * notices moderators' actions sent to this member, and the member's own mute per group.
 *
 * The REST resources do not say whether slow mode is on, so it is known from the `group.slow_mode`
 * events this client has seen (live or in a catch-up) and from the answers to its own changes. A
 * mute is known from its notice (and ends with the `unmute` notice or its `until`).
 */
export class ModerationStore {
  slowMode = $state<Record<string, GroupSlowMode>>({});
  notices = $state<ShownNotice[]>([]);
  /** This member's mute per group: when it ends (null: no end set). */
  muted = $state<Record<string, string | null>>({});
  private nextNotice = 1;

  onNotice(frame: ModerationNoticeFrame): void {
    this.notices = [...this.notices, { id: this.nextNotice++, frame }].slice(-MAX_NOTICES);
    if (frame.action === 'mute') this.muted[frame.group] = frame.until ?? null;
    else if (frame.action === 'unmute') delete this.muted[frame.group];
  }

  dismissNotice(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
  }

  /** Whether this member is muted in the group now; `until` when it ends. */
  mutedIn(group: string, now: number = Date.now()): { until: string | null } | null {
    if (!(group in this.muted)) return null;
    const until = this.muted[group];
    if (until !== null && Date.parse(until) <= now) return null;
    return { until };
  }

  onSlowMode(ev: Pick<SlowModeEvent, 'group' | 'thread' | 'seconds'>): void {
    const entry = this.slowMode[ev.group] ?? { threads: {} };
    if (ev.thread === null) entry.group = ev.seconds;
    else entry.threads[ev.thread] = ev.seconds;
    this.slowMode[ev.group] = entry;
  }

  /** The known slow mode of the group itself, or of one thread (undefined: not known). */
  slowModeOf(group: string, thread: number | null): number | undefined {
    const entry = this.slowMode[group];
    if (!entry) return undefined;
    return thread === null ? entry.group : entry.threads[thread];
  }

  /** The strictest known slow mode for posting in a thread (0: off or not known to be on). */
  slowModeFor(group: string, thread: number): number {
    const entry = this.slowMode[group];
    if (!entry) return 0;
    return Math.max(entry.group ?? 0, entry.threads[thread] ?? 0);
  }

  clear(): void {
    this.slowMode = {};
    this.notices = [];
    this.muted = {};
  }
}
