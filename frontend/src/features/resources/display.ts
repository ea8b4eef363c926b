// How resources are shown: only text and our own images; links only to http(s) addresses.
import type { ResourceBrief } from '../../api/types';

/** Resources one message may carry (docs/resources.md). */
export const MAX_ATTACHMENTS = 10;

/** What a shared link's anchor carries: user-generated, never passes our page or referrer on. */
export const EXTERNAL_REL = 'noopener noreferrer nofollow ugc';

/**
 * The image path when it is on our own origin (the server serves every preview image itself), else
 * null: a remote address is never put in an <img>, so the reader's browser never contacts that host.
 */
export function ownImage(src: string | null | undefined): string | null {
  if (!src || !src.startsWith('/') || src.startsWith('//') || src.startsWith('/\\')) return null;
  return src;
}

/** The address when it is an http(s) URL (no `javascript:` and the like), else null. */
export function safeHref(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

/** A readable host for a link ("www.example.nl"), or the address itself. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

/** Which card a resource gets in a message. */
export type CardVariant = 'book' | 'web' | 'pending' | 'link';

export function cardVariant(r: ResourceBrief): CardVariant {
  if (r.preview_status === 'pending') return 'pending';
  if (r.preview_status === 'failed') return 'link';
  return r.kind === 'book' ? 'book' : 'web';
}
