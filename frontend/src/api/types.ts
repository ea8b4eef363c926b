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
  /** A meetup guest: a display name and access to that meetup's conversation only. */
  is_guest?: boolean;
  email_reminders?: boolean;
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
  /** Books, articles, websites… attached to the message (empty when its text is withheld). */
  resources: ResourceBrief[];
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

// ---- resources (docs/resources.md)

export type ResourceKind = 'book' | 'article' | 'website' | 'video' | 'podcast' | 'other';
/** `none`: not a link; `pending`: the preview is being fetched; `failed`: show a plain link. */
export type PreviewStatus = 'none' | 'pending' | 'ready' | 'failed';

/** The wire shape of a resource everywhere it appears (messages, threads, collections, search). */
export interface ResourceBrief {
  id: number;
  kind: ResourceKind;
  title: string;
  creators: string[];
  publisher: string;
  year: number | null;
  site_name: string;
  description: string;
  url: string;
  /** Null when the resource has no ISBN. */
  isbn13: string | null;
  catalogue_url: string;
  /** Always a path on our own origin (`/api/v1/resources/7/image/`), or null. */
  image: string | null;
  preview_status: PreviewStatus;
  source: 'catalogue' | 'member' | 'preview';
  library: string | null;
}

/** The body of `POST resources/resolve/` (and of attaching to a message or a thread). */
export type ResolveResourceBody = { url: string } | { isbn: string; title?: string; creators?: string[] } | { resource: number };

// ---- thread sources, suggestions, collections, the resource page, catalogue imports (docs/resources.md)

/** One entry of `GET threads/{id}/resources/`: a thread source (`via: thread`) or a resource shared in a message. */
export interface ThreadSource {
  resource: ResourceBrief;
  added_by: UserRef | null;
  added_at: string;
  via: 'thread' | 'message';
  /** The message it was shared in (`via: message`), else null. */
  message: number | null;
  from_suggestion: boolean;
}

/** A catalogue title that fits the conversation ("Uit de collectie"), best first. */
export interface Suggestion {
  resource: ResourceBrief;
  score: number;
}

export interface CollectionItem {
  id: number;
  resource: ResourceBrief;
  note: string;
  position: number;
  curator: UserRef | null;
  created_at: string;
}

export interface GroupRef {
  slug: string;
  name: string;
}

/** `GET resources/{id}/`: everything about a resource, and where the viewer may see it used. */
export interface ResourceDetail extends ResourceBrief {
  language: string;
  subjects: string[];
  record_id: string;
  created_at: string;
  updated_at: string;
  collections: { group: GroupRef; note: string }[];
  discussions: { group: GroupRef; thread: { id: number; title: string }; message: number | null; seq: number; at: string }[];
  jsonld: Record<string, unknown>;
}

export type CatalogueImportStatus = 'pending' | 'running' | 'done' | 'failed';
export type CatalogueFormat = '' | 'marc' | 'marcxml' | 'csv';

export interface CatalogueImportError {
  position: number;
  record_id: string;
  code: string;
  reason: string;
}

export interface CatalogueImport {
  id: number;
  library: string;
  format: string;
  filename: string;
  status: CatalogueImportStatus;
  processed: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  /** The file's size in bytes; 0 when unknown. */
  size_bytes: number;
  /** How much of the file has been read (after every batch; equal to size_bytes when done). */
  read_bytes: number;
  errors: CatalogueImportError[];
  failure: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}
