// Live mode of a meetup: joining by code (guests), the live snapshot and questions (docs/meetups.md,
// "Live mode, guests, questions"). The full Meetup type lives in api/meetups.ts; the live screens only
// need the fields below, so any Meetup fits `LiveMeetup`.
import { api } from './client';
import type { UserRef } from './types';

const enc = encodeURIComponent;

export type QuestionState = 'open' | 'answering' | 'answered';

export interface Question {
  id: number;
  meetup: number;
  body: string;
  author: UserRef;
  votes: number;
  /** Whether the viewer voted (always false in broadcasts: the client keeps its own). */
  voted: boolean;
  state: QuestionState;
  created_at: string;
  answered_at: string | null;
  /** Only in `meetup.question` events: the question was hidden (it leaves the list). */
  hidden?: boolean;
}

/** What the live screens use of a Meetup. */
export interface LiveMeetup {
  id: number;
  title: string;
  starts_at: string;
  ends_at: string;
  status: string;
  group: { slug: string; name: string; visibility?: string };
  library?: { slug: string; name: string };
  live: boolean;
  /** Hosts only, while live. */
  join_code?: string | null;
  join_url?: string | null;
  /** The conversation (a thread of the group); null before publication. */
  thread: number | null;
  can_manage: boolean;
}

export interface LiveSnapshot {
  meetup: LiveMeetup;
  questions: Question[];
  spotlight: Question | null;
  participants: number;
}

/** `GET join/{code}/`: what the join page shows before anyone joins. */
export interface JoinInfo {
  meetup: { id: number; title: string; starts_at: string; ends_at: string; group: { slug: string; name: string } };
  live: boolean;
}

/** `POST join/{code}/`. A guest is now signed in (session cookie). */
export interface JoinResult {
  meetup: number | { id: number };
  thread: number | null;
  group: string | { slug: string };
  guest: boolean;
  can_post?: boolean;
  signup_url?: string;
}

export const DISPLAY_NAME_MAX = 60;
export const QUESTION_MAX = 500;

/** Join codes are six characters without 0/O/1/I; people type them in lower case and with spaces. */
export function normaliseCode(code: string): string {
  return code.replace(/[\s-]+/g, '').toUpperCase();
}

/** The meetup id of a join answer (a plain id or an object). */
export function joinedMeetupId(r: JoinResult): number {
  return typeof r.meetup === 'number' ? r.meetup : r.meetup.id;
}

export const getJoinInfo = (code: string) => api<JoinInfo>(`join/${enc(normaliseCode(code))}/`);
export const joinMeetup = (code: string, displayName: string) =>
  api<JoinResult>(`join/${enc(normaliseCode(code))}/`, { method: 'POST', body: { display_name: displayName.trim() } });

export const getLiveSnapshot = (meetup: number) => api<LiveSnapshot>(`meetups/${meetup}/live/`);
export const startLive = (meetup: number) => api<LiveMeetup>(`meetups/${meetup}/live/start/`, { method: 'POST' });
export const endLive = (meetup: number) => api<LiveMeetup>(`meetups/${meetup}/live/end/`, { method: 'POST' });

export const listQuestions = (meetup: number) => api<Question[]>(`meetups/${meetup}/questions/`);
export const askQuestion = (meetup: number, body: string) =>
  api<Question>(`meetups/${meetup}/questions/`, { method: 'POST', body: { body: body.trim() } });
/** Idempotent: PUT votes, DELETE takes the vote back → the question as it is now. */
export const voteQuestion = (question: number, vote: boolean) =>
  api<Question>(`questions/${question}/vote/`, { method: vote ? 'PUT' : 'DELETE' });
export const setQuestionState = (question: number, state: QuestionState) =>
  api<Question>(`questions/${question}/state/`, { method: 'POST', body: { state } });

/** The QR image of the join link (hosts, while live): an SVG made by the server. */
export const qrPath = (meetup: number) => `/api/v1/meetups/${meetup}/qr.svg`;
/** The join page on this site. */
export const joinUrl = (origin: string, code: string) => `${origin}/m/${normaliseCode(code)}`;
