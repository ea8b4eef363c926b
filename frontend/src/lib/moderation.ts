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
