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

  it('matches the live meetup screens: join by code, live page, projector', () => {
    expect(matchRoute('/m/K7P9QX')).toEqual({ name: 'liveJoin', code: 'K7P9QX' });
    expect(matchRoute('/m/')).toEqual({ name: 'liveJoin', code: '' });
    expect(matchRoute('/bijeenkomsten/12/live')).toEqual({ name: 'meetupLive', id: 12 });
    expect(matchRoute('/bijeenkomsten/12/projector/')).toEqual({ name: 'meetupProjector', id: 12 });
    expect(matchRoute('/bijeenkomsten/x/live')).toEqual({ name: 'notFound' });
    expect(matchRoute(paths.liveJoin('AB CD'))).toEqual({ name: 'liveJoin', code: 'AB CD' });
    expect(paths.meetupLive(3)).toBe('/bijeenkomsten/3/live');
    expect(paths.meetupProjector(3)).toBe('/bijeenkomsten/3/projector');
  });

  it('matches the meetup pages, the library agenda, requests and rooms, and notifications', () => {
    expect(matchRoute('/groups/energie/bijeenkomsten')).toEqual({ name: 'groupMeetups', slug: 'energie' });
    expect(matchRoute('/bijeenkomsten/41')).toEqual({ name: 'meetup', id: 41 });
    expect(matchRoute('/bijeenkomsten/41/verslag/')).toEqual({ name: 'meetupSummary', id: 41 });
    expect(matchRoute('/bijeenkomsten/abc')).toEqual({ name: 'notFound' });
    expect(matchRoute('/libraries/voorbeeldstad/agenda')).toEqual({ name: 'libraryAgenda', library: 'voorbeeldstad' });
    expect(matchRoute('/libraries/voorbeeldstad/aanvragen')).toEqual({ name: 'supportRequests', library: 'voorbeeldstad' });
    expect(matchRoute('/libraries/voorbeeldstad/zalen')).toEqual({ name: 'rooms', library: 'voorbeeldstad' });
    expect(matchRoute('/meldingen')).toEqual({ name: 'notifications' });
    expect(matchRoute(paths.groupMeetups('a b'))).toEqual({ name: 'groupMeetups', slug: 'a b' });
    expect(paths.meetup(3)).toBe('/bijeenkomsten/3');
    expect(paths.meetupSummary(3)).toBe('/bijeenkomsten/3/verslag');
    expect(paths.libraryAgenda('x')).toBe('/libraries/x/agenda');
  });

  it('only follows local next links', () => {
    expect(safeNext('/groups/x')).toBe('/groups/x');
    expect(safeNext('//evil.example')).toBe('/');
    expect(safeNext('https://evil.example')).toBe('/');
    expect(safeNext(null)).toBe('/');
  });
});
