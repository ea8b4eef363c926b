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

  it('matches the resource screens: collection, resource page, catalogue import', () => {
    expect(matchRoute('/groups/energie-en-klimaat/collectie')).toEqual({ name: 'collection', slug: 'energie-en-klimaat' });
    expect(matchRoute('/groups/energie-en-klimaat/collectie/')).toEqual({ name: 'collection', slug: 'energie-en-klimaat' });
    expect(matchRoute('/resources/7')).toEqual({ name: 'resource', id: 7 });
    expect(matchRoute('/resources/7/')).toEqual({ name: 'resource', id: 7 });
    expect(matchRoute('/resources/abc')).toEqual({ name: 'notFound' });
    expect(matchRoute('/resources/')).toEqual({ name: 'notFound' });
    expect(matchRoute('/libraries/voorbeeldstad/catalogus')).toEqual({ name: 'catalogueImport', library: 'voorbeeldstad' });
    expect(matchRoute('/libraries/voorbeeldstad/huisregels')).toEqual({ name: 'guidelines', library: 'voorbeeldstad' });
    expect(matchRoute(paths.collection('a b'))).toEqual({ name: 'collection', slug: 'a b' });
    expect(matchRoute(paths.resource(12))).toEqual({ name: 'resource', id: 12 });
    expect(matchRoute(paths.catalogueImport('bieb x'))).toEqual({ name: 'catalogueImport', library: 'bieb x' });
    expect(paths.collection('energie-en-klimaat')).toBe('/groups/energie-en-klimaat/collectie');
    expect(paths.catalogueImport('voorbeeldstad')).toBe('/libraries/voorbeeldstad/catalogus');
  });

  it('only follows local next links', () => {
    expect(safeNext('/groups/x')).toBe('/groups/x');
    expect(safeNext('//evil.example')).toBe('/');
    expect(safeNext('https://evil.example')).toBe('/');
    expect(safeNext(null)).toBe('/');
  });
});
