// Frames of docs/protocol.md as a discriminated union on `type`.
import type { Appeal, Message, Report, ResourceBrief, Suggestion, Thread, UserRef } from '../api/types';

// ---- client → server ----
// Any frame may carry a `ref` (≤ 64 characters) that an `error` frame caused by it repeats.
export type ClientFrame = (
  | { type: 'subscribe'; group: string; after_seq?: number }
  | { type: 'unsubscribe'; group: string }
  // `resources`: ids of the composer's attachments (at most 10, docs/resources.md)
  | { type: 'message.send'; thread: number; body: string; client_id: string; resources?: number[] }
  | { type: 'message.edit'; id: number; body: string }
  | { type: 'message.delete'; id: number }
  | { type: 'reaction.add'; id: number; emoji: string }
  | { type: 'reaction.remove'; id: number; emoji: string }
  | { type: 'typing'; thread: number }
  | { type: 'read'; thread: number; seq: number }
  | { type: 'ping' }
  // moderation (docs/protocol.md, "Moderation")
  | { type: 'message.hide' | 'message.remove'; id: number; reason: string }
  | { type: 'message.unhide' | 'message.pin' | 'message.unpin'; id: number }
  | { type: 'thread.lock'; thread: number; reason?: string }
  | { type: 'thread.unlock'; thread: number }
  | { type: 'group.slow_mode'; group: string; seconds: number; thread: number | null }
  | { type: 'member.mute'; group: string; member: number; minutes?: number; until?: string; reason: string }
  | { type: 'member.unmute' | 'member.unban'; group: string; member: number; reason?: string }
  | { type: 'member.ban'; group: string; member: number; reason: string; until?: string; library_wide?: boolean }
  | { type: 'member.kick'; group: string; member: number; reason: string }
  // reports and the moderators' queue (docs/protocol.md, "Reports", "Automatic moderation")
  | { type: 'message.report'; id: number; category: ReportCategory; note?: string }
  | { type: 'moderation.subscribe'; library: string }
  | { type: 'message.approve'; id: number; reason?: string }
  | { type: 'message.reject'; id: number; reason: string }
) & { ref?: string };

export const REPORT_CATEGORIES = ['spam', 'intimidation', 'discrimination', 'privacy', 'misinformation', 'other'] as const;
export type ReportCategory = (typeof REPORT_CATEGORIES)[number];

// ---- server → client: events that carry a group sequence number ----
export type MessageEventType =
  | 'message.created'
  | 'message.edited'
  | 'message.deleted'
  | 'reaction.changed'
  // moderation: each carries the message as it is now (members get a hidden one without its text)
  | 'message.hidden'
  | 'message.unhidden'
  | 'message.removed'
  | 'message.pinned'
  | 'message.unpinned'
  // automatic moderation: a held message was approved and is now shown to everyone
  | 'message.approved'
  // its attached resources changed, or a link preview arrived (docs/resources.md)
  | 'message.resources';

export interface MessageEvent<T extends MessageEventType = MessageEventType> {
  type: T;
  group: string;
  seq: number;
  message: Message;
}

export interface ThreadCreatedEvent {
  type: 'thread.created';
  group: string;
  seq: number;
  thread: Thread;
}

/** A thread was locked or unlocked: the thread as it is now (`locked: true|false`). */
export interface ThreadEvent<T extends 'thread.locked' | 'thread.unlocked' = 'thread.locked' | 'thread.unlocked'> {
  type: T;
  group: string;
  seq: number;
  thread: Thread;
}

/** Slow mode of a group (`thread: null`) or of one thread changed; `seconds: 0` is off. */
export interface SlowModeEvent {
  type: 'group.slow_mode';
  group: string;
  seq: number;
  thread: number | null;
  seconds: number;
}

export type SequencedEvent =
  | { [T in MessageEventType]: MessageEvent<T> }[MessageEventType]
  | ThreadCreatedEvent
  | ThreadEvent<'thread.locked'>
  | ThreadEvent<'thread.unlocked'>
  | SlowModeEvent
  | ThreadResourceAddedEvent
  | ThreadResourceEvent<'thread.resource_removed'>
  | SuggestionDismissedEvent
  | CollectionChangedEvent
  | MeetupChangedEvent
  | MeetupRsvpsEvent
  | MeetupSummaryEvent
  | MeetupQuestionEvent;

// ---- meetups (docs/meetups.md, "Live protocol"; types in api/meetups.ts)
import type { Meetup, Notification, SupportRequest } from '../api/meetups';

/** A meetup was published, changed, cancelled, went live or ended, or finished: the meetup as a member sees it. */
export interface MeetupChangedEvent {
  type: 'meetup.changed';
  group: string;
  seq: number;
  meetup: Meetup;
}
/** The RSVP counts of a meetup changed. */
export interface MeetupRsvpsEvent {
  type: 'meetup.rsvps';
  group: string;
  seq: number;
  meetup: number;
  going_count: number;
  maybe_count: number;
  waitlist_count: number;
  seats_left: number | null;
}
/** A meetup's summary was published. */
export interface MeetupSummaryEvent {
  type: 'meetup.summary';
  group: string;
  seq: number;
  meetup: number;
  summary: { state: string; published_at: string | null };
}
/** User event: a new notification and the unread count. */
export interface NotificationFrame {
  type: 'notification';
  notification: Notification;
  unread: number;
}
/** Librarians (after `moderation.subscribe`): a new or decided support request. */
export interface SupportRequestFrame {
  type: 'support.request';
  request: SupportRequest;
}

/** Live mode (fe2): a question was asked, voted on, changed state or was hidden (`question.hidden`). */
export interface MeetupQuestionEvent {
  type: 'meetup.question';
  group: string;
  seq: number;
  meetup: number;
  question: import('../api/live').Question;
}

// ---- resources (docs/resources.md, "Live events")

/** A resource joined or left a thread's sources ("Bronnen"). */
export interface ThreadResourceEvent<
  T extends 'thread.resource_added' | 'thread.resource_removed' = 'thread.resource_added' | 'thread.resource_removed',
> {
  type: T;
  group: string;
  seq: number;
  thread: number;
  resource: ResourceBrief;
  by: UserRef | null;
}

/**
 * `thread.resource_added` carries the whole entry as `GET threads/{id}/resources/` lists it. The entry's
 * fields are optional: events stored by an older server (a catch-up may replay them) have only the above.
 */
export interface ThreadResourceAddedEvent extends ThreadResourceEvent<'thread.resource_added'> {
  added_at?: string;
  via?: 'thread';
  message?: null;
  from_suggestion?: boolean;
}

/** Someone marked a suggestion "Niet relevant": it leaves the thread's suggestions for good. */
export interface SuggestionDismissedEvent {
  type: 'thread.suggestion_dismissed';
  group: string;
  seq: number;
  thread: number;
  resource: number;
}

/** The group's collection changed: reload it. `item` is the item's id (null for a reorder). */
export interface CollectionChangedEvent {
  type: 'collection.changed';
  group: string;
  seq: number;
  action: 'added' | 'updated' | 'removed' | 'reordered';
  item: number | null;
}

/** Not sequenced (derived state): the new suggestions of a thread, for its open "Bronnen" panel. */
export interface ThreadSuggestionsFrame {
  type: 'thread.suggestions';
  group: string;
  thread: number;
  suggestions: Suggestion[];
}

/**
 * A frame with a `group` and a `seq` whose type this client does not know (a newer server). It takes
 * its place in the group's sequence — so the next known event is not mistaken for a gap — and is
 * otherwise ignored.
 */
export interface UnknownSequencedEvent {
  type: string;
  group: string;
  seq: number;
  unknown: true;
}

/** What the sequencer orders: every frame that carries a group sequence number. */
export type SequencedFrame = SequencedEvent | UnknownSequencedEvent;

// ---- server → client: ephemeral frames (no seq) ----
export interface AckFrame {
  type: 'ack';
  client_id: string;
  id: number;
  seq: number;
}
export interface TypingFrame {
  type: 'typing';
  group: string;
  thread: number;
  user: UserRef;
}
export interface PresenceFrame {
  type: 'presence';
  group: string;
  online: UserRef[];
}
export interface UnreadFrame {
  type: 'unread';
  group: string;
  thread: number;
  count: number;
}
export interface SubscribedFrame {
  type: 'subscribed';
  group: string;
  last_seq: number;
}
export interface UnsubscribedFrame {
  type: 'unsubscribed';
  group: string;
  reason: 'requested' | 'left' | 'removed' | 'banned';
}
export interface ResyncRequiredFrame {
  type: 'resync_required';
  group: string;
  last_seq?: number;
}
export type ErrorCode =
  | 'invalid_json'
  | 'frame_too_large'
  | 'unknown_type'
  | 'validation_error'
  | 'body_too_long'
  | 'body_empty'
  | 'rate_limited'
  | 'not_found'
  | 'not_a_member'
  | 'permission_denied'
  | 'message_deleted'
  | 'invalid_emoji'
  | 'banned'
  | 'muted'
  | 'thread_locked'
  | 'slow_mode'
  | 'already_reported'
  | 'report_closed'
  | 'blocked_content'
  | 'appeal_not_allowed'
  // resources (docs/resources.md)
  | 'invalid_url'
  | 'invalid_isbn'
  | 'title_required'
  | 'too_many_resources'
  // the database or Redis could not be reached (carries `retriable: true`)
  | 'unavailable';
export interface ErrorFrame {
  type: 'error';
  code: ErrorCode | (string & {});
  detail: string;
  fields?: Record<string, string[]>;
  retry_after?: number;
  /** `banned`, `muted`: when the sanction ends (null: no end). */
  until?: string | null;
  /** `muted`: the moderator's reason. */
  reason?: string;
  /** The `client_id` of the `message.send` that failed. */
  client_id?: string;
  /** The `ref` of the frame that caused the error. */
  ref?: string;
  /** A passing fault (`unavailable`): the same frame may simply be sent again. */
  retriable?: boolean;
}
export interface PongFrame {
  type: 'pong';
}
/** To the affected member's sockets: what a moderator did and why. */
export interface ModerationNoticeFrame {
  type: 'moderation.notice';
  /** hide, unhide, remove, mute, unmute, ban, unban, kick — or a newer one. */
  action: string;
  group: string;
  reason: string;
  message?: number;
  thread?: number;
  until?: string | null;
  library_wide?: boolean;
  /** The library whose community guidelines apply. */
  library?: string;
  /** The audit entry to appeal against. */
  audit?: number;
  /** Whether the member may contest it (once). */
  appealable?: boolean;
}
/** To the reporter: how a report was handled. */
export interface ReportOutcomeFrame {
  type: 'report.outcome';
  report: number;
  group: string;
  outcome: 'dismissed' | 'acted';
  note: string;
}
/** To the member who appealed: the decision. */
export interface AppealDecidedFrame {
  type: 'appeal.decided';
  appeal: number;
  status: 'upheld' | 'overturned';
  reason: string;
}
/** The moderators' queue of a library (after `moderation.subscribe`). */
export interface ModerationSubscribedFrame {
  type: 'moderation.subscribed';
  library: string;
}
export interface ReportFrame {
  type: 'report.created' | 'report.updated';
  report: Report;
}
export interface MessageHeldFrame {
  type: 'message.held';
  group: string;
  message: number;
}
export interface AppealCreatedFrame {
  type: 'appeal.created';
  appeal: Appeal;
}

export type EphemeralFrame =
  | AckFrame
  | TypingFrame
  | PresenceFrame
  | UnreadFrame
  | SubscribedFrame
  | UnsubscribedFrame
  | ResyncRequiredFrame
  | ErrorFrame
  | PongFrame
  | ModerationNoticeFrame
  | ReportOutcomeFrame
  | AppealDecidedFrame
  | ModerationSubscribedFrame
  | ReportFrame
  | MessageHeldFrame
  | AppealCreatedFrame
  | ThreadSuggestionsFrame
  | NotificationFrame
  | SupportRequestFrame;

export type ServerFrame = SequencedEvent | EphemeralFrame;
/** What `parseFrame` gives: a frame this client knows, or an unknown one that still has its place in a group's sequence. */
export type ParsedFrame = ServerFrame | UnknownSequencedEvent;

/** Message events after `message.created`: each carries the message as it is now (moderation ones included). */
export const MESSAGE_UPDATE_TYPES = [
  'message.edited',
  'message.deleted',
  'reaction.changed',
  'message.hidden',
  'message.unhidden',
  'message.removed',
  'message.pinned',
  'message.unpinned',
  'message.approved',
  'message.resources',
] as const;

const SEQUENCED: ReadonlySet<string> = new Set([
  'message.created',
  ...MESSAGE_UPDATE_TYPES,
  'thread.created',
  'thread.locked',
  'thread.unlocked',
  'group.slow_mode',
  'thread.resource_added',
  'thread.resource_removed',
  'thread.suggestion_dismissed',
  'collection.changed',
  'meetup.changed',
  'meetup.rsvps',
  'meetup.summary',
  'meetup.question',
]);

const EPHEMERAL: ReadonlySet<string> = new Set([
  'ack',
  'typing',
  'presence',
  'unread',
  'subscribed',
  'unsubscribed',
  'resync_required',
  'error',
  'pong',
  'moderation.notice',
  'report.outcome',
  'appeal.decided',
  'moderation.subscribed',
  'report.created',
  'report.updated',
  'message.held',
  'appeal.created',
  'thread.suggestions',
  'notification',
  'support.request',
]);

/** Has a group sequence number (known or not): goes through the sequencer. */
export function isSequenced(frame: ParsedFrame): frame is SequencedFrame {
  return 'unknown' in frame || SEQUENCED.has(frame.type);
}

/** A sequenced event of a type this client handles. */
export function isKnownSequenced(frame: SequencedFrame): frame is SequencedEvent {
  return !('unknown' in frame) && SEQUENCED.has(frame.type);
}

function hasSeq(v: { group?: unknown; seq?: unknown }): v is { group: string; seq: number } {
  return typeof v.group === 'string' && typeof v.seq === 'number' && Number.isInteger(v.seq) && v.seq > 0;
}

/**
 * Parses a text frame. Known frames are returned as they are (a known sequenced type without a
 * valid `group` and `seq` is malformed: null). A frame of an unknown type that carries `group` and
 * `seq` becomes an `UnknownSequencedEvent`, so the sequencer still advances past it; other unknown
 * or malformed frames give null (ignored, for forward compatibility).
 */
export function parseFrame(data: unknown): ParsedFrame | null {
  if (typeof data !== 'string') return null;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string') return null;
  const v = value as { group?: unknown; seq?: unknown };
  if (SEQUENCED.has(type)) return hasSeq(v) ? (value as SequencedEvent) : null;
  if (EPHEMERAL.has(type)) return value as EphemeralFrame;
  if (hasSeq(v)) return { type, group: v.group, seq: v.seq, unknown: true };
  return null;
}
