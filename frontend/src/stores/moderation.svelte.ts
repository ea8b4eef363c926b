import type { SlowModeEvent } from '../realtime/protocol';

/** Slow mode of one group as far as this client knows it: the group's own and per thread (seconds; 0 is off). */
export interface GroupSlowMode {
  group?: number;
  threads: Record<number, number>;
}

/**
 * Moderation state that is not part of a message or a thread: slow mode per group and thread.
 *
 * The REST resources do not say whether slow mode is on, so it is known from the `group.slow_mode`
 * events this client has seen (live or in a catch-up) and from the answers to its own changes.
 */
export class ModerationStore {
  slowMode = $state<Record<string, GroupSlowMode>>({});

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
  }
}
