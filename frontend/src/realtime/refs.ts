// Which action an `error` frame answers (docs/protocol.md, "Errors"): the client puts a `ref` on a
// frame and the server repeats it on the error that frame causes.

/** What a ref names: the message of an edit, delete or reaction, the thread of a read, the group of a subscribe. */
export type RefTarget =
  | { action: 'edit' | 'delete' | 'reaction'; message: number }
  | { action: 'read'; thread: number }
  | { action: 'subscribe'; group: string };

const REF = /^(edit|delete|reaction|read|subscribe):([1-9][0-9]{0,15})$/;

/**
 * Makes and resolves refs. Message and thread refs carry their id (`edit:311`, `read:12`); a group
 * slug may be longer than a ref may be (64 characters), so groups are numbered in the order they are
 * first subscribed (`subscribe:1`) and the number is looked up again.
 */
export class Refs {
  private readonly groupNumbers = new Map<string, number>();
  private readonly groups: string[] = [];

  make(target: RefTarget): string {
    switch (target.action) {
      case 'subscribe':
        return `subscribe:${this.groupNumber(target.group)}`;
      case 'read':
        return `read:${target.thread}`;
      default:
        return `${target.action}:${target.message}`;
    }
  }

  /** The target of a ref this client made, or null (no ref, or not one of ours). */
  resolve(ref: unknown): RefTarget | null {
    const match = typeof ref === 'string' ? REF.exec(ref) : null;
    if (!match) return null;
    const [, action, digits] = match;
    const n = Number(digits);
    switch (action) {
      case 'subscribe': {
        const group = this.groups[n - 1];
        return group === undefined ? null : { action: 'subscribe', group };
      }
      case 'read':
        return { action: 'read', thread: n };
      default:
        return { action: action as 'edit' | 'delete' | 'reaction', message: n };
    }
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
