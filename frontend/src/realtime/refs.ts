// Which action an `error` frame answers (docs/protocol.md, "Errors"): the client puts a `ref` on a
// frame and the server repeats it on the error that frame causes.

export type MessageRefAction = 'edit' | 'delete' | 'reaction' | 'hide' | 'unhide' | 'remove' | 'pin' | 'unpin' | 'report';
export type ThreadRefAction = 'read' | 'lock' | 'unlock' | 'slow_mode';

/**
 * What a ref names: the message of an edit, delete, reaction or moderation action; the thread of a
 * read, lock, unlock or thread slow mode; the group of a subscribe or group slow mode.
 */
export type RefTarget =
  | { action: MessageRefAction; message: number }
  | { action: ThreadRefAction; thread: number }
  | { action: 'subscribe' | 'slow_mode'; group: string };

const MESSAGE_ACTIONS: ReadonlySet<string> = new Set<MessageRefAction>([
  'edit',
  'delete',
  'reaction',
  'hide',
  'unhide',
  'remove',
  'pin',
  'unpin',
  'report',
]);
// Prefixes on the wire, where they differ from the action.
const THREAD_PREFIX: Record<ThreadRefAction, string> = { read: 'read', lock: 'lock', unlock: 'unlock', slow_mode: 'slowmode' };
const GROUP_PREFIX = { subscribe: 'subscribe', slow_mode: 'slowmodegroup' } as const;

const REF = /^([a-z]+):([1-9][0-9]{0,15})$/;

/**
 * Makes and resolves refs. Message and thread refs carry their id (`edit:311`, `hide:311`, `read:12`,
 * `lock:12`); a group slug may be longer than a ref may be (64 characters), so groups are numbered in
 * the order they are first named (`subscribe:1`, `slowmodegroup:1`) and the number is looked up again.
 */
export class Refs {
  private readonly groupNumbers = new Map<string, number>();
  private readonly groups: string[] = [];

  make(target: RefTarget): string {
    if ('group' in target) return `${GROUP_PREFIX[target.action]}:${this.groupNumber(target.group)}`;
    if ('thread' in target) return `${THREAD_PREFIX[target.action]}:${target.thread}`;
    return `${target.action}:${target.message}`;
  }

  /** The target of a ref this client made, or null (no ref, or not one of ours). */
  resolve(ref: unknown): RefTarget | null {
    const match = typeof ref === 'string' ? REF.exec(ref) : null;
    if (!match) return null;
    const [, prefix, digits] = match;
    const n = Number(digits);
    if (MESSAGE_ACTIONS.has(prefix)) return { action: prefix as MessageRefAction, message: n };
    for (const [action, p] of Object.entries(THREAD_PREFIX)) if (p === prefix) return { action: action as ThreadRefAction, thread: n };
    for (const [action, p] of Object.entries(GROUP_PREFIX)) {
      if (p !== prefix) continue;
      const group = this.groups[n - 1];
      return group === undefined ? null : { action: action as 'subscribe' | 'slow_mode', group };
    }
    return null;
  }

  private groupNumber(group: string): number {
    let n = this.groupNumbers.get(group);
    if (n === undefined) {
      n = this.groups.push(group);
      this.groupNumbers.set(group, n);
    }
    return n;
  }
}
