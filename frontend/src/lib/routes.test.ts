import { describe, expect, it } from 'vitest';
import { matchRoute, paths, safeNext } from './routes';

describe('routes', () => {
  it('matches the screens', () => {
    expect(matchRoute('/')).toEqual({ name: 'home' });
    expect(matchRoute('/login')).toEqual({ name: 'login' });
    expect(matchRoute('/account/verify-email/MQ:1v2:abc')).toEqual({ name: 'verifyEmail', key: 'MQ:1v2:abc' });
    expect(matchRoute('/account/password/reset/key/1-abc-def')).toEqual({ name: 'resetKey', key: '1-abc-def' });
    expect(matchRoute('/account/password/reset')).toEqual({ name: 'resetRequest' });
    expect(matchRoute('/groups/energie-klimaat')).toEqual({ name: 'group', slug: 'energie-klimaat' });
    expect(matchRoute('/groups/energie-klimaat/threads/12')).toEqual({ name: 'thread', slug: 'energie-klimaat', id: 12 });
    expect(matchRoute('/groups/x/threads/abc')).toEqual({ name: 'notFound' });
    expect(matchRoute('/groups/mantelzorgers/invite/Xy12')).toEqual({ name: 'invite', slug: 'mantelzorgers', code: 'Xy12' });
    expect(matchRoute('/account/signup')).toEqual({ name: 'signup' });
    expect(matchRoute('/nope')).toEqual({ name: 'notFound' });
  });

  it('round-trips paths', () => {
    expect(matchRoute(paths.thread('a b', 3))).toEqual({ name: 'thread', slug: 'a b', id: 3 });
  });

  it('only follows local next links', () => {
    expect(safeNext('/groups/x')).toBe('/groups/x');
    expect(safeNext('//evil.example')).toBe('/');
    expect(safeNext('https://evil.example')).toBe('/');
    expect(safeNext(null)).toBe('/');
  });
});
