import type { UserRef } from '../api/types';
import type { PresenceFrame, TypingFrame } from '../realtime/protocol';
import { browserTimers, type Timers } from '../realtime/timers';

const TYPING_SHOW_MS = 5000;

/** Who is online per group, and who is typing per thread (ephemeral, never persisted). */
export class PresenceStore {
  online = $state<Record<string, UserRef[]>>({});
  typing = $state<Record<number, UserRef[]>>({});
  private readonly timers: Timers;
  private readonly typingTimers = new Map<string, unknown>();

  constructor(timers: Timers = browserTimers) {
    this.timers = timers;
  }

  onPresence(frame: PresenceFrame): void {
    this.online[frame.group] = frame.online;
  }

  /** Shows "X typt…" for ~5 s after each typing frame; `myId` frames (other tabs of mine) are ignored. */
  onTyping(frame: TypingFrame, myId: number | null): void {
    if (frame.user.id === myId) return;
    const key = `${frame.thread}:${frame.user.id}`;
    const list = this.typing[frame.thread] ?? [];
    if (!list.some((u) => u.id === frame.user.id)) this.typing[frame.thread] = [...list, frame.user];
    const prev = this.typingTimers.get(key);
    if (prev !== undefined) this.timers.clearTimeout(prev);
    this.typingTimers.set(
      key,
      this.timers.setTimeout(() => this.stopTyping(frame.thread, frame.user.id), TYPING_SHOW_MS),
    );
  }

  /** Someone's message arrived: they stopped typing. */
  stopTyping(thread: number, userId: number): void {
    const key = `${thread}:${userId}`;
    const t = this.typingTimers.get(key);
    if (t !== undefined) this.timers.clearTimeout(t);
    this.typingTimers.delete(key);
    const list = this.typing[thread];
    if (list?.some((u) => u.id === userId)) this.typing[thread] = list.filter((u) => u.id !== userId);
  }

  forgetGroup(group: string): void {
    delete this.online[group];
  }

  clear(): void {
    for (const t of this.typingTimers.values()) this.timers.clearTimeout(t);
    this.typingTimers.clear();
    this.online = {};
    this.typing = {};
  }
}
