// Wording shared by the meetup screens.
import { ApiError } from '../../api/client';
import { formatRange, type Meetup } from '../../api/meetups';
import { apiErrorText } from '../../i18n/errors';
import { i18n } from '../../i18n/index.svelte';

/** Error codes of meetups the client words itself (i18n `errors`). */
export const MEETUP_CODES = [
  'approval_required',
  'room_taken',
  'room_too_small',
  'room_required',
  'room_in_use',
  'meetup_not_published',
] as const;
type MeetupCode = (typeof MEETUP_CODES)[number];

export function isMeetupCode(code: string): code is MeetupCode {
  return (MEETUP_CODES as readonly string[]).includes(code);
}

/** A failed call's text: our own for the meetup codes, else the usual. */
export function meetupErrorText(err: unknown): string {
  if (err instanceof ApiError && isMeetupCode(err.code)) return i18n.m.errors[err.code];
  return apiErrorText(err);
}

export function when(m: Pick<Meetup, 'starts_at' | 'ends_at'>): string {
  return formatRange(m.starts_at, m.ends_at, i18n.lang);
}

export function modeText(m: Pick<Meetup, 'in_person' | 'online' | 'hybrid'>): string {
  const t = i18n.m.meetups.mode;
  if (m.hybrid || (m.in_person && m.online)) return t.hybrid;
  return m.online ? t.online : t.inPerson;
}

export function seatsText(m: Pick<Meetup, 'seats_left' | 'effective_capacity'>): string {
  const t = i18n.m.meetups;
  if (m.seats_left === null || m.effective_capacity === null) return t.unlimited;
  return m.seats_left > 0 ? t.seatsLeft(m.seats_left) : t.full;
}

/** Where, in one line: the room and branch, else the free-text location, else online. */
export function whereText(m: Meetup): string {
  if (m.room) return i18n.m.meetups.room(m.room.name, m.room.branch.name);
  if (m.location) return m.location;
  return modeText(m);
}

/** Only http(s) links are followed (a host's online link is user input). */
export function safeUrl(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}
