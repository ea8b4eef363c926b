// django-allauth headless, "browser" client: /_allauth/browser/v1/
import { ApiError, rawRequest, type RawResponse } from './client';

const BASE = '/_allauth/browser/v1/';

interface AllauthError {
  message: string;
  code?: string;
  param?: string;
}

/** Outcome of an auth step that succeeded (or was accepted but needs a further step). */
export interface AuthOutcome {
  authenticated: boolean;
  /** e.g. `verify_email` when signup needs the e-mail confirmed first. */
  pendingFlow: string | null;
}

function outcome({ status, body }: RawResponse): AuthOutcome {
  const b = (body ?? {}) as {
    meta?: { is_authenticated?: boolean };
    data?: { flows?: { id: string; is_pending?: boolean }[] };
  };
  const pending = b.data?.flows?.find((f) => f.is_pending)?.id ?? null;
  return { authenticated: status === 200 && b.meta?.is_authenticated !== false, pendingFlow: pending };
}

/** allauth answers `{status, errors: [{message, code, param}]}`; map it to `{code, detail, fields}`. */
export function allauthError(status: number, body: unknown): ApiError {
  const errors = ((body as { errors?: AllauthError[] } | null)?.errors ?? []).filter((e) => e && e.message);
  const general = errors.filter((e) => !e.param).map((e) => e.message);
  const fields: Record<string, string[]> = {};
  for (const e of errors) if (e.param) (fields[e.param] ??= []).push(e.message);
  return new ApiError(status, {
    code: errors[0]?.code ?? `http_${status}`,
    detail: general.join(' '),
    fields,
  });
}

async function call(path: string, method: string, body?: unknown): Promise<RawResponse> {
  return rawRequest(BASE + path, { method, body });
}

/** True when signed in (200), false when not (401, or 410 for an expired session). */
export async function getSession(): Promise<boolean> {
  const res = await call('auth/session', 'GET');
  if (res.status === 200) return true;
  if (res.status === 401 || res.status === 410) return false;
  throw allauthError(res.status, res.body);
}

export async function login(email: string, password: string): Promise<AuthOutcome> {
  const res = await call('auth/login', 'POST', { email, password });
  if (res.status === 200 || res.status === 401) return outcome(res);
  // 409: already signed in (another tab logged in meanwhile).
  if (res.status === 409) return { authenticated: true, pendingFlow: null };
  throw allauthError(res.status, res.body);
}

export async function signup(email: string, password: string, displayName: string): Promise<AuthOutcome> {
  const res = await call('auth/signup', 'POST', { email, password, display_name: displayName });
  if (res.status === 200 || res.status === 401) return outcome(res);
  throw allauthError(res.status, res.body);
}

export async function logout(): Promise<void> {
  const res = await call('auth/session', 'DELETE');
  // 401 is the normal answer: the session is now anonymous.
  if (res.status !== 200 && res.status !== 401) throw allauthError(res.status, res.body);
}

export async function verifyEmail(key: string): Promise<AuthOutcome> {
  const res = await call('auth/email/verify', 'POST', { key });
  // 401: verified, but not signed in by it.
  if (res.status === 200 || res.status === 401) return outcome(res);
  throw allauthError(res.status, res.body);
}

export async function requestPasswordReset(email: string): Promise<void> {
  const res = await call('auth/password/request', 'POST', { email });
  if (res.status !== 200 && res.status !== 401) throw allauthError(res.status, res.body);
}

export async function resetPassword(key: string, password: string): Promise<AuthOutcome> {
  const res = await call('auth/password/reset', 'POST', { key, password });
  if (res.status === 200 || res.status === 401) return outcome(res);
  throw allauthError(res.status, res.body);
}
