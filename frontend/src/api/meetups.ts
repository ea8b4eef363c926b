// Meetups, places, support requests, RSVPs, summaries, feeds and notifications (docs/meetups.md).
import { api } from './client';
import type { Page, ResourceBrief, UserRef } from './types';

export type MeetupStatus = 'draft' | 'requested' | 'published' | 'finished' | 'cancelled';
export type RsvpAnswer = 'going' | 'maybe' | 'not_going';
export type SupportState = 'pending' | 'approved' | 'declined';

export interface Room {
  id: number;
  name: string;
  capacity: number;
  accessibility: string;
}
export interface Branch {
  id: number;
  name: string;
  address: string;
  rooms: Room[];
}
export interface MeetupRoom extends Room {
  branch: { id: number; name: string; address: string };
}
export interface MyRsvp {
  answer: RsvpAnswer;
  waitlisted: boolean;
  position: number | null;
  share_name: boolean;
}
export interface SupportRequest {
  id: number;
  meetup: { id: number; title: string; starts_at: string; ends_at: string; group: { slug: string; name: string } };
  wants_room: boolean;
  preferred_branch: { id: number; name: string } | null;
  wants_promotion: boolean;
  help: string;
  state: SupportState;
  note: string;
  requested_by: UserRef;
  created_at: string;
  decided_by: UserRef | null;
  decided_at: string | null;
  room: Room | null;
}
export interface Meetup {
  id: number;
  url: string;
  group: { slug: string; name: string; visibility: 'public' | 'closed' };
  library: { slug: string; name: string };
  title: string;
  description: string;
  description_html: string;
  starts_at: string;
  ends_at: string;
  in_person: boolean;
  online: boolean;
  hybrid: boolean;
  location: string;
  online_url: string;
  room: MeetupRoom | null;
  capacity: number | null;
  effective_capacity: number | null;
  status: MeetupStatus;
  promoted: boolean;
  sequence: number;
  created_by: UserRef;
  cohosts: UserRef[];
  going_count: number;
  maybe_count: number;
  waitlist_count: number;
  seats_left: number | null;
  my_rsvp: MyRsvp | null;
  can_manage: boolean;
  live: boolean;
  join_code: string | null;
  join_url: string | null;
  thread: number | null;
  support_request: SupportRequest | null;
  summary: { state: string; published_at: string | null } | null;
  cancelled_at: string | null;
  cancel_reason: string;
  finished_at: string | null;
}
export interface MeetupInput {
  title: string;
  description: string;
  starts_at: string;
  ends_at: string;
  in_person: boolean;
  online: boolean;
  location: string;
  online_url: string;
  capacity: number | null;
  cohosts: number[];
}
export interface Attendee {
  name: string | null;
  answer: RsvpAnswer;
  position: number | null;
  responded_at: string;
}
export interface RsvpList {
  going: Attendee[];
  maybe: Attendee[];
  not_going: Attendee[];
  waitlist: Attendee[];
}
export interface SummaryFacts {
  participants: { rsvp_going: number; in_conversation: number; guests: number; messages: number };
  questions: { id: number; body: string; votes: number; answered: boolean }[];
  resources: ResourceBrief[];
  pinned: { id: number; author: string | UserRef; body: string; url: string }[];
}
export interface Summary {
  meetup: number | { id: number; title: string; starts_at: string; thread: number | null };
  body: string;
  html: string;
  facts: SummaryFacts | null;
  state: 'draft' | 'published' | string;
  published_at: string | null;
  published_by: UserRef | null;
}
export interface GroupSummary extends Omit<Summary, 'meetup'> {
  meetup: { id: number; title: string; starts_at: string; thread: number | null };
}
export interface SupportInput {
  wants_room: boolean;
  preferred_branch: number | null;
  wants_promotion: boolean;
  help: string;
}
export type NotificationKind =
  | 'meetup.cancelled'
  | 'meetup.promoted'
  | 'meetup.reminder'
  | 'meetup.changed'
  | 'support.decided'
  | (string & {});
export interface Notification {
  id: number;
  kind: NotificationKind;
  text: string;
  url: string;
  data: Record<string, unknown>;
  created_at: string;
  read: boolean;
}
export interface NotificationList {
  unread: number;
  results: Notification[];
}

const enc = encodeURIComponent;
function items<T>(body: T[] | Page<T>): T[] {
  return Array.isArray(body) ? body : body.results;
}

// ---- places
export const listBranches = async (library: string) => items(await api<Branch[] | Page<Branch>>(`libraries/${enc(library)}/branches/`));
export const createBranch = (library: string, body: { name: string; address: string }) =>
  api<Branch>(`libraries/${enc(library)}/branches/`, { method: 'POST', body });
export const updateBranch = (id: number, body: Partial<{ name: string; address: string }>) =>
  api<Branch>(`branches/${id}/`, { method: 'PATCH', body });
export const deleteBranch = (id: number) => api<unknown>(`branches/${id}/`, { method: 'DELETE' });
export const createRoom = (branch: number, body: { name: string; capacity: number; accessibility: string }) =>
  api<Room>(`branches/${branch}/rooms/`, { method: 'POST', body });
export const updateRoom = (id: number, body: Partial<{ name: string; capacity: number; accessibility: string }>) =>
  api<Room>(`rooms/${id}/`, { method: 'PATCH', body });
export const deleteRoom = (id: number) => api<unknown>(`rooms/${id}/`, { method: 'DELETE' });

// ---- meetups
export type When = 'upcoming' | 'past';
export const listGroupMeetups = async (slug: string, when: When) =>
  items(await api<Meetup[] | Page<Meetup>>(`groups/${enc(slug)}/meetups/?when=${when}`));
export const createMeetup = (slug: string, body: MeetupInput) =>
  api<Meetup>(`groups/${enc(slug)}/meetups/`, { method: 'POST', body });
export const listLibraryMeetups = async (library: string, when: When) =>
  items(await api<Meetup[] | Page<Meetup>>(`libraries/${enc(library)}/meetups/?when=${when}`));
export const getMeetup = (id: number) => api<Meetup>(`meetups/${id}/`);
export const updateMeetup = (id: number, body: Partial<MeetupInput>) => api<Meetup>(`meetups/${id}/`, { method: 'PATCH', body });
export const publishMeetup = (id: number) => api<Meetup>(`meetups/${id}/publish/`, { method: 'POST', body: {} });
export const cancelMeetup = (id: number, reason: string) => api<Meetup>(`meetups/${id}/cancel/`, { method: 'POST', body: { reason } });
export const finishMeetup = (id: number) => api<Meetup>(`meetups/${id}/finish/`, { method: 'POST', body: {} });
export const startLive = (id: number) => api<Meetup>(`meetups/${id}/live/start/`, { method: 'POST', body: {} });
export const endLive = (id: number) => api<Meetup>(`meetups/${id}/live/end/`, { method: 'POST', body: {} });
export const requestSupport = (id: number, body: SupportInput) =>
  api<SupportRequest>(`meetups/${id}/support/`, { method: 'POST', body });
export const listSupportRequests = async (library: string, state?: SupportState) =>
  items(
    await api<SupportRequest[] | Page<SupportRequest>>(
      `libraries/${enc(library)}/support-requests/${state ? `?state=${state}` : ''}`,
    ),
  );
export const approveSupport = (id: number, body: { room?: number | null; note: string }) =>
  api<SupportRequest>(`support-requests/${id}/approve/`, { method: 'POST', body });
export const declineSupport = (id: number, note: string) =>
  api<SupportRequest>(`support-requests/${id}/decline/`, { method: 'POST', body: { note } });
export const putRsvp = (id: number, answer: RsvpAnswer, share_name: boolean) =>
  api<MyRsvp>(`meetups/${id}/rsvp/`, { method: 'PUT', body: { answer, share_name } });
export const deleteRsvp = (id: number) => api<unknown>(`meetups/${id}/rsvp/`, { method: 'DELETE' });
export const listRsvps = (id: number) => api<RsvpList>(`meetups/${id}/rsvps/`);
export const rsvpCsvUrl = (id: number) => `/api/v1/meetups/${id}/rsvps.csv`;

// ---- summaries
export const getSummary = (id: number) => api<Summary>(`meetups/${id}/summary/`);
export const patchSummary = (id: number, body: string) => api<Summary>(`meetups/${id}/summary/`, { method: 'PATCH', body: { body } });
export const publishSummary = (id: number) => api<Summary>(`meetups/${id}/summary/publish/`, { method: 'POST', body: {} });
export const listGroupSummaries = async (slug: string) =>
  items(await api<GroupSummary[] | Page<GroupSummary>>(`groups/${enc(slug)}/summaries/`));

// ---- reach
export const feedUrls = (library: string) => ({
  ics: `/api/v1/libraries/${enc(library)}/agenda.ics`,
  atom: `/api/v1/libraries/${enc(library)}/agenda.atom`,
  json: `/api/v1/libraries/${enc(library)}/agenda.json`,
  embed: `/embed/libraries/${enc(library)}/agenda`,
});
export const groupIcsUrl = (slug: string) => `/api/v1/groups/${enc(slug)}/meetups.ics`;
export const getCalendar = () => api<{ url: string }>('me/calendar/');
export const resetCalendar = () => api<{ url: string }>('me/calendar/', { method: 'POST', body: {} });
export const setEmailReminders = (on: boolean) =>
  api<{ email_reminders?: boolean }>('me/', { method: 'PATCH', body: { email_reminders: on } });
export const getEmailReminders = async () => (await api<{ email_reminders?: boolean }>('me/')).email_reminders ?? false;

/** The copyable `<iframe>` snippet for a library's own website. */
export function embedSnippet(origin: string, library: string, title: string): string {
  const src = origin + feedUrls(library).embed;
  const t = title.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return `<iframe src="${src}" title="${t}" width="100%" height="600" style="border:0" loading="lazy"></iframe>`;
}

// ---- notifications
export const listNotifications = () => api<NotificationList>('notifications/');
export const markNotificationsRead = (body: { ids: number[] } | { all: true }) =>
  api<{ unread: number }>('notifications/read/', { method: 'POST', body });

// ---- times: shown in Europe/Amsterdam, Dutch style; entered as Amsterdam local time, sent as UTC.
export const TIME_ZONE = 'Europe/Amsterdam';

function part(parts: Intl.DateTimeFormatPart[], type: Intl.DateTimeFormatPartTypes): string {
  return parts.find((p) => p.type === type)?.value ?? '';
}

/** "do 3 dec 2026, 19:30–21:00" (nl) or "Thu 3 Dec 2026, 19:30–21:00" (en); another end day is spelled out. */
export function formatRange(startIso: string, endIso: string, lang: 'nl' | 'en' = 'nl'): string {
  const locale = lang === 'nl' ? 'nl-NL' : 'en-GB';
  const dayFmt = new Intl.DateTimeFormat(locale, {
    timeZone: TIME_ZONE,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
  });
  const timeFmt = new Intl.DateTimeFormat(locale, { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit', hour12: false });
  const start = new Date(startIso);
  const end = new Date(endIso);
  const day = (d: Date) => {
    const p = dayFmt.formatToParts(d);
    const month = part(p, 'month').replace(/\.$/, '');
    return `${part(p, 'weekday').replace(/\.$/, '')} ${part(p, 'day')} ${month} ${part(p, 'year')}`;
  };
  const sameDay = day(start) === day(end);
  const startText = `${day(start)}, ${timeFmt.format(start)}`;
  return sameDay ? `${startText}–${timeFmt.format(end)}` : `${startText} – ${day(end)}, ${timeFmt.format(end)}`;
}

/** Minutes Amsterdam is ahead of UTC at that instant. */
function offsetMinutes(date: Date): number {
  const p = new Intl.DateTimeFormat('en-GB', {
    timeZone: TIME_ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(date);
  const n = (t: Intl.DateTimeFormatPartTypes) => Number(part(p, t));
  const asUtc = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return Math.round((asUtc - date.getTime()) / 60000);
}

/** A date ("2026-12-03") and a time ("19:30") in Amsterdam → UTC ISO ("2026-12-03T18:30:00.000Z"); null when invalid. */
export function amsterdamToUtc(date: string, time: string): string | null {
  const dm = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const tm = /^(\d{2}):(\d{2})$/.exec(time);
  if (!dm || !tm) return null;
  const guess = Date.UTC(+dm[1], +dm[2] - 1, +dm[3], +tm[1], +tm[2]);
  if (Number.isNaN(guess)) return null;
  // Two passes settle the offset around a DST change.
  let t = guess - offsetMinutes(new Date(guess)) * 60000;
  t = guess - offsetMinutes(new Date(t)) * 60000;
  return new Date(t).toISOString();
}

/** A UTC ISO time → its Amsterdam date and time, for the form's inputs. */
export function utcToAmsterdam(iso: string): { date: string; time: string } {
  const p = new Intl.DateTimeFormat('en-GB', {
    timeZone: TIME_ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(iso));
  return { date: `${part(p, 'year')}-${part(p, 'month')}-${part(p, 'day')}`, time: `${part(p, 'hour')}:${part(p, 'minute')}` };
}

/** Applies a `meetup.rsvps` event's counts to a meetup. */
export function withCounts(
  m: Meetup,
  ev: { going_count: number; maybe_count: number; waitlist_count: number; seats_left: number | null },
): Meetup {
  return { ...m, going_count: ev.going_count, maybe_count: ev.maybe_count, waitlist_count: ev.waitlist_count, seats_left: ev.seats_left };
}

/**
 * A `meetup.changed` event carries the meetup as any member sees it: keep the viewer's own fields
 * (RSVP, host rights, join code, support request) from what we had.
 */
export function mergeChanged(old: Meetup | null, ev: Meetup): Meetup {
  if (!old) return ev;
  const keepJoin = old.can_manage && ev.live;
  return {
    ...ev,
    my_rsvp: old.my_rsvp,
    can_manage: old.can_manage,
    support_request: old.support_request,
    join_code: ev.join_code ?? (keepJoin ? old.join_code : null),
    join_url: ev.join_url ?? (keepJoin ? old.join_url : null),
  };
}
