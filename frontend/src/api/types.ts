// Resource shapes of docs/api.md and docs/protocol.md. Message objects are the same on REST and WS.

export type Language = 'nl' | 'en';

export interface UserRef {
  id: number;
  display_name: string;
}

export interface Me {
  id: number;
  email: string;
  display_name: string;
  language: Language;
  is_staff: boolean;
  librarian_of: string[];
}

export interface Library {
  id: number;
  name: string;
  slug: string;
}

export type Visibility = 'public' | 'closed';
export type MembershipState = 'active' | 'pending';

export interface Membership {
  role: string;
  state: MembershipState;
}

export interface Group {
  id: number;
  slug: string;
  name: string;
  description: string;
  /** Theme names; see `normaliseGroup` for the tolerated wire shapes. */
  themes: string[];
  visibility: Visibility;
  library: { slug: string; name: string };
  member_count: number;
  last_seq: number;
  membership: Membership | null;
  unread: number;
  /** Only for those who manage a closed group: the code to share with people who may ask to join. */
  invite_code?: string | null;
}

export interface Thread {
  id: number;
  group: string;
  title: string;
  created_by: UserRef;
  created_at: string;
  last_message_at: string | null;
  message_count: number;
  /** A locked thread takes new messages only from moderators. */
  locked: boolean;
  /** Present on REST thread lists; absent in `thread.created` events. */
  unread?: number;
}

export const REACTION_EMOJI = ['👍', '❤️', '😂', '🎉', '🤔', '👀', '🙏', '💡'] as const;
export type ReactionEmoji = (typeof REACTION_EMOJI)[number];

export interface Reaction {
  emoji: string;
  count: number;
  users: number[];
}

export interface Message {
  id: number;
  group: string;
  thread: number;
  seq: number;
  author: UserRef;
  body: string;
  /** Sanitised server-side; safe for {@html}. */
  html: string;
  created_at: string;
  edited_at: string | null;
  deleted: boolean;
  reactions: Reaction[];
  client_id: string | null;
  pinned: boolean;
  /**
   * Set when a moderator hid or removed the message. Members then get it without its text (a
   * removed one as a tombstone, `deleted: true`); moderators get the text, marked by this.
   */
  moderation: MessageModeration | null;
}

export interface MessageModeration {
  /** `held`: automatic moderation keeps it for review; only its author and moderators see the text. */
  state: 'hidden' | 'removed' | 'held';
  reason: string;
}

export interface Page<T> {
  next: string | null;
  previous: string | null;
  results: T[];
}

export interface Member {
  user: UserRef;
  role: string;
  state: MembershipState;
  joined_at: string;
}

/** The one error shape of REST and WS (`fields` only on validation errors). */
export interface ApiErrorBody {
  code: string;
  detail: string;
  fields?: Record<string, string[]>;
  retry_after?: number;
  /** `banned`, `muted`: when the sanction ends (null: no end). */
  until?: string | null;
  /** `muted`: the moderator's reason. */
  reason?: string;
}

// ---- moderation (docs/api.md, "Moderation")

export type ReportStatus = 'open' | 'claimed' | 'resolved';

/** A report as the library's moderators see it (with the message as they see it). */
export interface Report {
  id: number;
  group: string;
  message: Message;
  /** null: opened by the word list. */
  reporter: UserRef | null;
  category: string;
  note: string;
  status: ReportStatus;
  claimed_by: number | null;
  outcome: 'dismissed' | 'acted' | null;
  outcome_note: string;
  created_at: string;
}

export interface Appeal {
  id: number;
  action: string;
  group: string | null;
  reason: string;
  message: number | null;
  text: string;
  status: string;
  decision_reason: string;
  assigned_to: number | null;
  created_at: string;
}

export interface AuditRow {
  time: string;
  action: string;
  actor: string;
  target: string;
  group: string;
  message: number | null;
  thread: number | null;
  reason: string;
  before: unknown;
  after: unknown;
}

export interface Sanction {
  id: number;
  kind: 'mute' | 'ban';
  user: UserRef;
  group: number | null;
  library_wide: boolean;
  reason: string;
  ends_at: string | null;
  created_at: string;
}

export type WordAction = 'block' | 'hold' | 'flag';
export interface WordFilter {
  id: number;
  phrase: string;
  action: WordAction;
}

export interface LibrarySettings {
  guidelines: string;
  new_member_messages: number;
  new_member_days: number;
}

/** `GET moderation/groups/{slug}/state/`: slow modes in force, and the caller's own standing in the group. */
export interface GroupModerationState {
  group: string;
  /** Seconds (0: off); threads without slow mode are not listed. */
  slow_mode: { group: number; threads: Record<string, number> };
  moderator: boolean;
  muted: boolean;
  muted_until: string | null;
  banned: boolean;
}
