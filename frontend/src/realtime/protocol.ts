// Frames of docs/protocol.md as a discriminated union on `type`.
import type { Message, Thread, UserRef } from '../api/types';

// ---- client → server ----
// Any frame may carry a `ref` (≤ 64 characters) that an `error` frame caused by it repeats.
export type ClientFrame = (
  | { type: 'subscribe'; group: string; after_seq?: number }
  | { type: 'unsubscribe'; group: string }
  | { type: 'message.send'; thread: number; body: string; client_id: string }
  | { type: 'message.edit'; id: number; body: string }
  | { type: 'message.delete'; id: number }
  | { type: 'reaction.add'; id: number; emoji: string }
  | { type: 'reaction.remove'; id: number; emoji: string }
  | { type: 'typing'; thread: number }
  | { type: 'read'; thread: number; seq: number }
  | { type: 'ping' }
) & { ref?: string };

// ---- server → client: events that carry a group sequence number ----
export type MessageEventType = 'message.created' | 'message.edited' | 'message.deleted' | 'reaction.changed';

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

export type SequencedEvent =
  | MessageEvent<'message.created'>
  | MessageEvent<'message.edited'>
  | MessageEvent<'message.deleted'>
  | MessageEvent<'reaction.changed'>
  | ThreadCreatedEvent;

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
  reason: 'requested' | 'left' | 'removed';
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
  | 'invalid_emoji';
export interface ErrorFrame {
  type: 'error';
  code: ErrorCode | (string & {});
  detail: string;
  fields?: Record<string, string[]>;
  retry_after?: number;
  /** The `client_id` of the `message.send` that failed. */
  client_id?: string;
  /** The `ref` of the frame that caused the error. */
  ref?: string;
}
export interface PongFrame {
  type: 'pong';
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
  | PongFrame;

export type ServerFrame = SequencedEvent | EphemeralFrame;

const SEQUENCED: ReadonlySet<string> = new Set([
  'message.created',
  'message.edited',
  'message.deleted',
  'reaction.changed',
  'thread.created',
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
]);

export function isSequenced(frame: ServerFrame): frame is SequencedEvent {
  return SEQUENCED.has(frame.type);
}

/** Parses a text frame; unknown or malformed frames give null (ignored, for forward compatibility). */
export function parseFrame(data: unknown): ServerFrame | null {
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
  if (SEQUENCED.has(type)) {
    const v = value as { group?: unknown; seq?: unknown };
    if (typeof v.group !== 'string' || typeof v.seq !== 'number' || !Number.isInteger(v.seq)) return null;
    return value as SequencedEvent;
  }
  if (EPHEMERAL.has(type)) return value as EphemeralFrame;
  return null;
}
