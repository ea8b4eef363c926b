import { createAppeal, getGroupModerationState, lockThreadRest, setSlowModeRest } from '../api/endpoints';
import type { GroupModerationState, Thread } from '../api/types';
import { apiErrorText, errorText } from '../i18n/errors';
import type { RealtimeClient, RealtimeError } from '../realtime/client';
import type { AppealDecidedFrame, ModerationNoticeFrame, ReportOutcomeFrame, SlowModeEvent } from '../realtime/protocol';

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

/** A `report.outcome` or `appeal.decided` frame, shown to the member like a notice. */
export interface ShownOutcome {
  id: number;
  frame: ReportOutcomeFrame | AppealDecidedFrame;
}

/** How many notices stay on screen at most (the oldest go first). */
const MAX_NOTICES = 5;

export interface ModerationDeps {
  rt: RealtimeClient;
  /** A REST answer with the thread as it is now (the socket was down, so no event shows it). */
  onThread(thread: Thread): void;
}

/** Where the error of a lock or slow-mode change shows: its thread's page, or its group's. */
export function controlKey(group: string, thread: number | null): string {
  return thread === null ? `group:${group}` : `thread:${thread}`;
}

/**
 * Moderation state that is not part of a message or a thread: slow mode per group and thread, the
 * notices moderators' actions sent to this member, and the member's own mute per group.
 *
 * Slow mode and this member's mute and ban are loaded with the pages of a group (`loadGroupState`),
 * then kept current by the `group.slow_mode` events this client sees (live or in a catch-up), the
 * answers to its own changes, and the `mute`/`unmute` notices (a mute also ends at its `until`).
 */
export class ModerationStore {
  slowMode = $state<Record<string, GroupSlowMode>>({});
  notices = $state<ShownNotice[]>([]);
  /** This member's mute per group: when it ends (null: no end set). */
  muted = $state<Record<string, string | null>>({});
  /** Groups this member is banned from (known from the group's state on page load). */
  banned = $state<Record<string, true>>({});
  /** Why the last lock or slow-mode change failed, by `controlKey`. */
  errors = $state<Record<string, string>>({});
  /** How reports and appeals of this member were decided. */
  outcomes = $state<ShownOutcome[]>([]);
  /** Audit entries this member has appealed against in this session (an action is appealed once). */
  appealed = $state<Record<number, true>>({});
  private nextNotice = 1;

  constructor(private readonly deps?: ModerationDeps) {}

  /**
   * Locks or unlocks a thread: over the socket (the `thread.locked` event shows it worked; a refusal
   * comes back by ref), or REST when the socket is down. False when refused.
   */
  async lockThread(thread: Pick<Thread, 'id' | 'group'>, locked: boolean, reason = ''): Promise<boolean> {
    if (!this.deps) return false;
    const key = controlKey(thread.group, thread.id);
    delete this.errors[key];
    if (this.deps.rt.lockThread(thread.id, locked, reason.trim())) return true;
    try {
      this.deps.onThread(await lockThreadRest(thread.id, locked, reason.trim()));
      return true;
    } catch (err) {
      this.errors[key] = apiErrorText(err);
      return false;
    }
  }

  /** Sets slow mode for a group (`thread: null`) or one thread; 0 turns it off. */
  async setSlowMode(group: string, seconds: number, thread: number | null): Promise<boolean> {
    if (!this.deps) return false;
    const key = controlKey(group, thread);
    delete this.errors[key];
    if (this.deps.rt.setSlowMode(group, seconds, thread)) return true;
    try {
      const answer = await setSlowModeRest(group, seconds, thread);
      this.onSlowMode({ group: answer.group, thread: answer.thread ?? null, seconds: answer.seconds });
      return true;
    } catch (err) {
      this.errors[key] = apiErrorText(err);
      return false;
    }
  }

  /** Takes the `error` frames that answer a lock or slow-mode change; false for others. */
  onError(e: RealtimeError): boolean {
    const t = e.target;
    if (!t) return false;
    if ('thread' in t && (t.action === 'lock' || t.action === 'unlock' || t.action === 'slow_mode')) {
      this.errors[`thread:${t.thread}`] = errorText(e);
      return true;
    }
    if ('group' in t && t.action === 'slow_mode') {
      this.errors[`group:${t.group}`] = errorText(e);
      return true;
    }
    return false;
  }

  /**
   * Loads what the pages of a group need on load (`GET …/groups/{slug}/state/`): the slow modes in
   * force, and this member's mute and ban. Live events keep it current afterwards. A failure keeps
   * what is known (the pages work without it).
   */
  async loadGroupState(group: string): Promise<void> {
    try {
      this.applyGroupState(await getGroupModerationState(group));
    } catch {
      // Not signed in, gone, or offline: the hints stay as the live events left them.
    }
  }

  applyGroupState(state: GroupModerationState): void {
    const threads: Record<number, number> = {};
    for (const [id, seconds] of Object.entries(state.slow_mode?.threads ?? {})) {
      const n = Number(id);
      if (Number.isInteger(n) && seconds > 0) threads[n] = seconds;
    }
    this.slowMode[state.group] = { group: state.slow_mode?.group ?? 0, threads };
    if (state.muted) this.muted[state.group] = state.muted_until ?? null;
    else delete this.muted[state.group];
    if (state.banned) this.banned[state.group] = true;
    else delete this.banned[state.group];
  }

  /** Whether this member is banned from the group (as far as this client knows). */
  bannedFrom(group: string): boolean {
    return group in this.banned;
  }

  onNotice(frame: ModerationNoticeFrame): void {
    this.notices = [...this.notices, { id: this.nextNotice++, frame }].slice(-MAX_NOTICES);
    if (frame.action === 'mute') this.muted[frame.group] = frame.until ?? null;
    else if (frame.action === 'unmute') delete this.muted[frame.group];
  }

  dismissNotice(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
    this.outcomes = this.outcomes.filter((n) => n.id !== id);
  }

  onOutcome(frame: ReportOutcomeFrame | AppealDecidedFrame): void {
    this.outcomes = [...this.outcomes, { id: this.nextNotice++, frame }].slice(-MAX_NOTICES);
  }

  /** Contests a moderator's decision (once): `POST appeals/`. Throws the `ApiError` when refused. */
  async appeal(audit: number, text: string): Promise<void> {
    await createAppeal(audit, text.trim());
    this.appealed[audit] = true;
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
    this.outcomes = [];
    this.appealed = {};
    this.muted = {};
    this.banned = {};
    this.errors = {};
  }
}
