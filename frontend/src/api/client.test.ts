import { afterEach, describe, expect, it, vi } from 'vitest';
import { allauthError } from './auth';
import { api, ApiError, readCookie, relativeUrl, setLanguageSource } from './client';
import { listMessages, normaliseGroup } from './endpoints';

function mockFetch(status: number, body: unknown) {
  const fn = vi.fn(async (_url: string, _init?: RequestInit) =>
    new Response(body === undefined ? null : JSON.stringify(body), { status }),
  );
  vi.stubGlobal('fetch', fn);
  return fn;
}

afterEach(() => {
  vi.unstubAllGlobals();
  document.cookie = 'csrftoken=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
});

describe('REST client', () => {
  it('sends the language, same-origin credentials and no CSRF header on GET', async () => {
    setLanguageSource(() => 'en');
    const f = mockFetch(200, { id: 1 });
    await api('me/');
    const [url, init] = f.mock.calls[0];
    expect(url).toBe('/api/v1/me/');
    expect(init?.credentials).toBe('same-origin');
    const headers = init?.headers as Record<string, string>;
    expect(headers['Accept-Language']).toBe('en');
    expect(headers['X-CSRFToken']).toBeUndefined();
    setLanguageSource(() => 'nl');
  });

  it('sends X-CSRFToken from the csrftoken cookie on unsafe methods', async () => {
    document.cookie = 'csrftoken=abc123';
    const f = mockFetch(200, {});
    await api('groups/x/join/', { method: 'POST' });
    expect((f.mock.calls[0][1]?.headers as Record<string, string>)['X-CSRFToken']).toBe('abc123');
  });

  it('parses errors into {code, detail, fields}', async () => {
    mockFetch(400, { code: 'validation_error', detail: 'Controleer de invoer.', fields: { title: ['Dit veld is verplicht.'] } });
    const err = (await api('groups/x/threads/', { method: 'POST', body: {} }).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, code: 'validation_error', fields: { title: ['Dit veld is verplicht.'] } });
    expect(err.messages()).toEqual(['Controleer de invoer.', 'Dit veld is verplicht.']);
  });

  it('gives errors without the documented shape a code too', async () => {
    mockFetch(502, undefined);
    await expect(api('groups/')).rejects.toMatchObject({ status: 502, code: 'http_502' });
  });

  it('turns a network failure into network_error', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    await expect(api('groups/')).rejects.toMatchObject({ status: 0, code: 'network_error' });
  });

  it('follows cursor links on this origin', async () => {
    const f = mockFetch(200, { next: null, previous: null, results: [] });
    await listMessages(12, 'http://127.0.0.1:8000/api/v1/threads/12/messages/?cursor=cD0y');
    expect(f.mock.calls[0][0]).toBe('/api/v1/threads/12/messages/?cursor=cD0y');
    expect(relativeUrl('/api/v1/x/?a=1')).toBe('/api/v1/x/?a=1');
  });

  it('reads cookies', () => {
    expect(readCookie('csrftoken', 'a=1; csrftoken=xyz; b=2')).toBe('xyz');
    expect(readCookie('csrftoken', 'a=1')).toBeNull();
  });
});

describe('allauth errors', () => {
  it('maps {status, errors:[{message, code, param}]} to detail and fields', () => {
    const err = allauthError(400, {
      status: 400,
      errors: [
        { message: 'Het e-mailadres en/of wachtwoord is onjuist.', code: 'email_password_mismatch', param: 'password' },
        { message: 'Te veel pogingen.', code: 'too_many_login_attempts' },
      ],
    });
    expect(err.code).toBe('email_password_mismatch');
    expect(err.detail).toBe('Te veel pogingen.');
    expect(err.fields).toEqual({ password: ['Het e-mailadres en/of wachtwoord is onjuist.'] });
    expect(err.messages()).toHaveLength(2);
  });
});

describe('normaliseGroup', () => {
  it('accepts themes as names or objects', () => {
    const g = normaliseGroup({
      id: 1,
      slug: 's',
      name: 'n',
      description: '',
      themes: ['Energie', { name: 'Klimaat', slug: 'klimaat' }],
      visibility: 'public',
      library: { slug: 'l', name: 'L' },
      member_count: 1,
      last_seq: 0,
      membership: null,
    });
    expect(g.themes).toEqual(['Energie', 'Klimaat']);
    expect(g.unread).toBe(0);
  });
});
