// Texts for error codes the interface explains itself (docs/api.md, docs/protocol.md "Moderation"):
// the time a sanction ends is shown in the reader's language and time zone. Other codes show the
// server's `detail`, which already follows the language of the request or socket.
import { ApiError, NETWORK_ERROR } from '../api/client';
import { i18n } from './index.svelte';
import type { Catalogue } from './nl';

export interface ErrorLike {
  code: string;
  detail?: string;
  retry_after?: number;
  /** `banned`, `muted`: when the sanction ends (null: no end). */
  until?: string | null;
  /** `muted`: the moderator's reason. */
  reason?: string;
}

export function describeError(m: Catalogue, e: ErrorLike, dateTime: (iso: string) => string): string {
  const until = e.until ? dateTime(e.until) : null;
  switch (e.code) {
    case 'timeout':
      return m.errors.timeout;
    case 'rate_limited':
      return e.detail || (e.retry_after ? m.errors.rate_limited(e.retry_after) : e.code);
    case 'banned':
      return m.errors.banned(until);
    case 'muted':
      return e.reason ? `${m.errors.muted(until)} ${m.errors.reason(e.reason)}` : m.errors.muted(until);
    case 'thread_locked':
      return m.errors.thread_locked;
    case 'blocked_content':
    case 'already_reported':
    case 'report_closed':
    case 'appeal_not_allowed':
    case 'invalid_url':
    case 'invalid_isbn':
    case 'title_required':
    case 'too_many_resources':
    case 'already_in_collection':
    case 'file_too_large':
      return m.errors[e.code];
    case 'catalogue_file_invalid':
      // The server says what is wrong with this file (empty, unknown format), in the request's language.
      return e.detail || m.errors.catalogue_file_invalid;
    case 'slow_mode':
      return e.retry_after ? m.errors.slow_mode(e.retry_after) : e.detail || m.errors.slow_mode(1);
    default:
      return e.detail || e.code;
  }
}

/** The text for an error, in the current language. */
export function errorText(e: ErrorLike): string {
  return describeError(i18n.m, e, (iso) => i18n.dateTime(iso));
}

/** Codes `describeError` words itself (the rest use the server's detail and field messages). */
export const OWN_TEXT = new Set([
  'timeout',
  'banned',
  'muted',
  'thread_locked',
  'slow_mode',
  'blocked_content',
  'already_reported',
  'report_closed',
  'appeal_not_allowed',
  'invalid_url',
  'invalid_isbn',
  'title_required',
  'too_many_resources',
  'already_in_collection',
  'catalogue_file_invalid',
  'file_too_large',
]);

/** The text for a failed REST call: our own wording for the codes above, else the server's messages. */
export function apiErrorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === NETWORK_ERROR) return i18n.m.app.networkError;
    return OWN_TEXT.has(err.code) ? errorText(err.body) : err.messages().join(' ') || err.code;
  }
  return String(err);
}
