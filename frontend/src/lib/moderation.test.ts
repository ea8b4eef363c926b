import { describe, expect, it } from 'vitest';
import type { Group, Me } from '../api/types';
import { mayModerate, moderatorRole, type ModerationAction } from './moderation';

const me = (over: Partial<Me> = {}): Me => ({
  id: 1,
  email: 'x@example.org',
  display_name: 'X',
  language: 'nl',
  is_staff: false,
  librarian_of: [],
  ...over,
});
const group = (membership: Group['membership'], library = 'voorbeeldstad') => ({ library: { slug: library, name: 'Bieb' }, membership });

describe('moderatorRole', () => {
  it('staff, librarians of the library, the group’s librarians and hosts moderate; members do not', () => {
    expect(moderatorRole(me({ is_staff: true }), group(null))).toBe('staff');
    expect(moderatorRole(me({ librarian_of: ['voorbeeldstad'] }), group(null))).toBe('librarian');
    expect(moderatorRole(me({ librarian_of: ['elders'] }), group(null))).toBeNull();
    expect(moderatorRole(me(), group({ role: 'librarian', state: 'active' }))).toBe('librarian');
    expect(moderatorRole(me(), group({ role: 'host', state: 'active' }))).toBe('host');
    expect(moderatorRole(me(), group({ role: 'host', state: 'pending' }))).toBeNull();
    expect(moderatorRole(me(), group({ role: 'member', state: 'active' }))).toBeNull();
    expect(moderatorRole(null, group({ role: 'host', state: 'active' }))).toBeNull();
    expect(moderatorRole(me({ is_staff: true }), undefined)).toBeNull();
  });
});

describe('mayModerate', () => {
  const all: ModerationAction[] = ['hide', 'unhide', 'remove', 'pin', 'unpin', 'lock', 'unlock', 'slow_mode', 'mute', 'unmute', 'ban', 'unban', 'kick'];
  it('hosts: hide, pin, lock and slow mode; librarians and staff: everything', () => {
    expect(all.filter((a) => mayModerate('host', a))).toEqual(['hide', 'unhide', 'pin', 'unpin', 'lock', 'unlock', 'slow_mode']);
    expect(all.filter((a) => mayModerate('librarian', a))).toEqual(all);
    expect(all.filter((a) => mayModerate('staff', a))).toEqual(all);
    expect(all.filter((a) => mayModerate(null, a))).toEqual([]);
  });
});

import { messageActions } from './moderation';

describe('messageActions', () => {
  const msg = (over: Partial<Parameters<typeof messageActions>[1]> = {}) => ({
    id: 311,
    deleted: false,
    pinned: false,
    moderation: null,
    author: { id: 7 },
    ...over,
  });

  it('hosts hide and pin; librarians also remove and sanction the author', () => {
    expect(messageActions('host', msg(), 3)).toEqual(['hide', 'pin']);
    expect(messageActions('librarian', msg(), 3)).toEqual(['hide', 'remove', 'pin', 'mute', 'ban', 'kick']);
    expect(messageActions('staff', msg({ pinned: true }), 3)).toEqual(['hide', 'remove', 'unpin', 'mute', 'ban', 'kick']);
    expect(messageActions(null, msg(), 3)).toEqual([]);
  });

  it('follows the message’s state', () => {
    expect(messageActions('host', msg({ moderation: { state: 'hidden' } }), 3)).toEqual(['unhide']);
    expect(messageActions('host', msg({ moderation: { state: 'hidden' }, pinned: true }), 3)).toEqual(['unhide', 'unpin']);
    expect(messageActions('librarian', msg({ moderation: { state: 'removed' } }), 3)).toEqual(['mute', 'ban', 'kick']);
    expect(messageActions('librarian', msg({ deleted: true }), 3)).toEqual(['mute', 'ban', 'kick']);
    expect(messageActions('librarian', msg({ moderation: { state: 'held' } }), 3)).toEqual(['mute', 'ban', 'kick']);
    expect(messageActions('librarian', msg({ id: 0 }), 3)).toEqual([]);
  });

  it('offers no sanction against oneself', () => {
    expect(messageActions('librarian', msg({ author: { id: 3 } }), 3)).toEqual(['hide', 'remove', 'pin']);
  });
});
