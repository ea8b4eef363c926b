import type { ApiErrorBody } from './types';

/** An error in the one shape of docs/api.md: `{code, detail, fields}` plus the HTTP status. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly fields: Record<string, string[]>;
  readonly retryAfter?: number;
  /** `banned`, `muted`: when the sanction ends (null: no end). */
  readonly until?: string | null;
  /** `muted`: the moderator's reason. */
  readonly reason?: string;

  constructor(status: number, body: ApiErrorBody) {
    super(body.detail || body.code);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code;
    this.detail = body.detail;
    this.fields = body.fields ?? {};
    this.retryAfter = body.retry_after;
    this.until = body.until;
    this.reason = body.reason;
  }

  /** The fields of the wire shape that explain this error (for `errorText`). */
  get body(): ApiErrorBody {
    return { code: this.code, detail: this.detail, retry_after: this.retryAfter, until: this.until, reason: this.reason };
  }

  /** Every message to show: the detail, then each field's messages. */
  messages(): string[] {
    const out = this.detail ? [this.detail] : [];
    for (const msgs of Object.values(this.fields)) for (const m of msgs) if (!out.includes(m)) out.push(m);
    return out;
  }
}

export const NETWORK_ERROR = 'network_error';

let currentLanguage: () => string = () => 'nl';

/** The UI language for `Accept-Language` (set once by the i18n module). */
export function setLanguageSource(fn: () => string): void {
  currentLanguage = fn;
}

export function readCookie(name: string, cookie: string = typeof document === 'undefined' ? '' : document.cookie): string | null {
  for (const part of cookie.split(';')) {
    const [k, ...rest] = part.trim().split('=');
    if (k === name) return decodeURIComponent(rest.join('='));
  }
  return null;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface RawResponse {
  status: number;
  body: unknown;
}

/**
 * One HTTP exchange with the backend on this origin. Never throws on an HTTP status; throws
 * `ApiError(0, network_error)` when the server cannot be reached.
 */
export async function rawRequest(
  path: string,
  { method = 'GET', body, signal }: { method?: string; body?: unknown; signal?: AbortSignal } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'Accept-Language': currentLanguage(),
  };
  // A FormData body (a file upload) goes as multipart: fetch sets the Content-Type with its boundary.
  const multipart = typeof FormData !== 'undefined' && body instanceof FormData;
  if (body !== undefined && !multipart) headers['Content-Type'] = 'application/json';
  if (!SAFE.has(method)) {
    const token = readCookie('csrftoken');
    if (token) headers['X-CSRFToken'] = token;
  }
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : multipart ? (body as FormData) : JSON.stringify(body),
      credentials: 'same-origin',
      signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, { code: NETWORK_ERROR, detail: '' });
  }
  let parsed: unknown = null;
  if (res.status !== 204) {
    const text = await res.text();
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
    }
  }
  return { status: res.status, body: parsed };
}

/** Turns any error body into the documented shape. */
export function toApiError(status: number, body: unknown): ApiError {
  if (body && typeof body === 'object') {
    const b = body as Partial<ApiErrorBody> & { detail?: unknown };
    if (typeof b.code === 'string') {
      return new ApiError(status, {
        code: b.code,
        detail: typeof b.detail === 'string' ? b.detail : '',
        fields: b.fields,
        retry_after: b.retry_after,
        until: typeof b.until === 'string' || b.until === null ? b.until : undefined,
        reason: typeof b.reason === 'string' ? b.reason : undefined,
      });
    }
    if (typeof b.detail === 'string') return new ApiError(status, { code: `http_${status}`, detail: b.detail });
  }
  return new ApiError(status, { code: `http_${status}`, detail: '' });
}

/** A REST call under `/api/v1/`: resolves with the JSON body on 2xx, rejects with `ApiError`. */
export async function api<T>(
  path: string,
  opts: { method?: string; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  const url = path.startsWith('/') ? path : `/api/v1/${path}`;
  const { status, body } = await rawRequest(url, opts);
  if (status >= 200 && status < 300) return body as T;
  throw toApiError(status, body);
}

/** Cursor links are absolute URLs; keep only path and query so they stay on this origin. */
export function relativeUrl(link: string): string {
  const u = new URL(link, 'http://x');
  return u.pathname + u.search;
}
