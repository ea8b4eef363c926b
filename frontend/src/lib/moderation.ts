// Who may moderate what (moderation/selectors.py): a group's hosts hide and unhide, pin and unpin,
// lock and unlock threads and set slow mode; the librarians of its library (or with the group's
// librarian role) and platform staff may do all that, plus remove, mute, ban and kick.
import type { Group, Me } from '../api/types';

export type ModeratorRole = 'staff' | 'librarian' | 'host';

export type ModerationAction =
  | 'hide'
  | 'unhide'
  | 'remove'
  | 'pin'
  | 'unpin'
  | 'lock'
  | 'unlock'
  | 'slow_mode'
  | 'mute'
  | 'unmute'
  | 'ban'
  | 'unban'
  | 'kick';

const HOST_ACTIONS: ReadonlySet<ModerationAction> = new Set(['hide', 'unhide', 'pin', 'unpin', 'lock', 'unlock', 'slow_mode']);

/** The viewer's moderator role in a group, from `/me/` and the group's membership; null for members and visitors. */
export function moderatorRole(
  me: Pick<Me, 'is_staff' | 'librarian_of'> | null,
  group: Pick<Group, 'library' | 'membership'> | undefined,
): ModeratorRole | null {
  if (!me || !group) return null;
  if (me.is_staff) return 'staff';
  if (me.librarian_of.includes(group.library.slug)) return 'librarian';
  if (group.membership?.state !== 'active') return null;
  if (group.membership.role === 'librarian') return 'librarian';
  if (group.membership.role === 'host') return 'host';
  return null;
}

export function mayModerate(role: ModeratorRole | null, action: ModerationAction): boolean {
  if (role === 'staff' || role === 'librarian') return true;
  return role === 'host' && HOST_ACTIONS.has(action);
}

/** What a moderator can do from a message's menu. */
export type MessageMenuAction = 'hide' | 'unhide' | 'remove' | 'pin' | 'unpin' | 'mute' | 'ban' | 'kick';

/**
 * The menu of a message for a viewer with this role: what the rights allow and the message's state
 * makes sensible (the server refuses the rest: a removed or deleted message cannot be changed, a
 * held one waits for its review). Sanctions apply to the author — never to oneself.
 */
export function messageActions(
  role: ModeratorRole | null,
  message: { id: number; deleted: boolean; pinned: boolean; moderation: { state: string } | null; author: { id: number } },
  myId: number | null,
): MessageMenuAction[] {
  if (!role || !message.id) return [];
  const out: MessageMenuAction[] = [];
  const state = message.moderation?.state ?? null;
  const changeable = !message.deleted && state !== 'removed' && state !== 'held';
  if (changeable) {
    if (state === 'hidden') out.push('unhide');
    else out.push('hide');
    if (mayModerate(role, 'remove')) out.push('remove');
    if (message.pinned) out.push('unpin');
    else if (state === null) out.push('pin');
  }
  if (message.author.id !== myId) {
    for (const action of ['mute', 'ban', 'kick'] as const) if (mayModerate(role, action)) out.push(action);
  }
  return out;
}
