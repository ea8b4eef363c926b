export type Route =
  | { name: 'home' }
  | { name: 'login' }
  | { name: 'signup' }
  | { name: 'verifyEmail'; key: string }
  | { name: 'resetRequest' }
  | { name: 'resetKey'; key: string }
  | { name: 'group'; slug: string }
  | { name: 'invite'; slug: string; code: string }
  | { name: 'thread'; slug: string; id: number }
  | { name: 'guidelines'; library: string }
  | { name: 'moderation'; library: string }
  | { name: 'collection'; slug: string }
  | { name: 'resource'; id: number }
  | { name: 'catalogueImport'; library: string }
  | { name: 'liveJoin'; code: string }
  | { name: 'meetupLive'; id: number }
  | { name: 'meetupProjector'; id: number }
  // meetups (fe1)
  | { name: 'groupMeetups'; slug: string }
  | { name: 'meetup'; id: number }
  | { name: 'meetupSummary'; id: number }
  | { name: 'libraryAgenda'; library: string }
  | { name: 'supportRequests'; library: string }
  | { name: 'rooms'; library: string }
  | { name: 'notifications' }
  | { name: 'notFound' };

const patterns: [RegExp, (m: string[]) => Route][] = [
  [/^\/$/, () => ({ name: 'home' })],
  [/^\/login\/?$/, () => ({ name: 'login' })],
  [/^\/(?:account\/)?signup\/?$/, () => ({ name: 'signup' })],
  [/^\/account\/verify-email\/([^/]+)\/?$/, (m) => ({ name: 'verifyEmail', key: m[1] })],
  [/^\/account\/password\/reset\/?$/, () => ({ name: 'resetRequest' })],
  [/^\/account\/password\/reset\/key\/([^/]+)\/?$/, (m) => ({ name: 'resetKey', key: m[1] })],
  [/^\/groups\/([^/]+)\/?$/, (m) => ({ name: 'group', slug: m[1] })],
  [/^\/groups\/([^/]+)\/invite\/([^/]+)\/?$/, (m) => ({ name: 'invite', slug: m[1], code: m[2] })],
  [/^\/groups\/([^/]+)\/threads\/(\d+)\/?$/, (m) => ({ name: 'thread', slug: m[1], id: Number(m[2]) })],
  [/^\/libraries\/([^/]+)\/huisregels\/?$/, (m) => ({ name: 'guidelines', library: m[1] })],
  [/^\/moderation\/([^/]+)\/?$/, (m) => ({ name: 'moderation', library: m[1] })],
  [/^\/groups\/([^/]+)\/collectie\/?$/, (m) => ({ name: 'collection', slug: m[1] })],
  [/^\/resources\/(\d+)\/?$/, (m) => ({ name: 'resource', id: Number(m[1]) })],
  [/^\/libraries\/([^/]+)\/catalogus\/?$/, (m) => ({ name: 'catalogueImport', library: m[1] })],
  // live meetups (fe2): the join page, the live page, the projector wall
  [/^\/m\/?$/, () => ({ name: 'liveJoin', code: '' })],
  [/^\/m\/([^/]+)\/?$/, (m) => ({ name: 'liveJoin', code: m[1] })],
  [/^\/bijeenkomsten\/(\d+)\/live\/?$/, (m) => ({ name: 'meetupLive', id: Number(m[1]) })],
  [/^\/bijeenkomsten\/(\d+)\/projector\/?$/, (m) => ({ name: 'meetupProjector', id: Number(m[1]) })],
  // meetups (fe1): the group's meetups, the meetup page, its summary, the library's agenda, requests and rooms, notifications
  [/^\/groups\/([^/]+)\/bijeenkomsten\/?$/, (m) => ({ name: 'groupMeetups', slug: m[1] })],
  [/^\/bijeenkomsten\/(\d+)\/?$/, (m) => ({ name: 'meetup', id: Number(m[1]) })],
  [/^\/bijeenkomsten\/(\d+)\/verslag\/?$/, (m) => ({ name: 'meetupSummary', id: Number(m[1]) })],
  [/^\/libraries\/([^/]+)\/agenda\/?$/, (m) => ({ name: 'libraryAgenda', library: m[1] })],
  [/^\/libraries\/([^/]+)\/aanvragen\/?$/, (m) => ({ name: 'supportRequests', library: m[1] })],
  [/^\/libraries\/([^/]+)\/zalen\/?$/, (m) => ({ name: 'rooms', library: m[1] })],
  [/^\/meldingen\/?$/, () => ({ name: 'notifications' })],
];

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function matchRoute(pathname: string): Route {
  for (const [re, build] of patterns) {
    const m = re.exec(pathname);
    if (m) return build(m.map((part, i) => (i === 0 ? part : decode(part))));
  }
  return { name: 'notFound' };
}

export const paths = {
  home: () => '/',
  login: (next?: string) => (next && next !== '/' ? `/login?next=${encodeURIComponent(next)}` : '/login'),
  signup: () => '/signup',
  resetRequest: () => '/account/password/reset',
  group: (slug: string) => `/groups/${encodeURIComponent(slug)}`,
  invite: (slug: string, code: string) => `/groups/${encodeURIComponent(slug)}/invite/${encodeURIComponent(code)}`,
  thread: (slug: string, id: number) => `/groups/${encodeURIComponent(slug)}/threads/${id}`,
  guidelines: (library: string) => `/libraries/${encodeURIComponent(library)}/huisregels`,
  moderation: (library: string) => `/moderation/${encodeURIComponent(library)}`,
  collection: (slug: string) => `/groups/${encodeURIComponent(slug)}/collectie`,
  resource: (id: number) => `/resources/${id}`,
  catalogueImport: (library: string) => `/libraries/${encodeURIComponent(library)}/catalogus`,
  liveJoin: (code = '') => (code ? `/m/${encodeURIComponent(code)}` : '/m'),
  meetupLive: (id: number) => `/bijeenkomsten/${id}/live`,
  meetupProjector: (id: number) => `/bijeenkomsten/${id}/projector`,
  groupMeetups: (slug: string) => `/groups/${encodeURIComponent(slug)}/bijeenkomsten`,
  meetup: (id: number) => `/bijeenkomsten/${id}`,
  meetupSummary: (id: number) => `/bijeenkomsten/${id}/verslag`,
  libraryAgenda: (library: string) => `/libraries/${encodeURIComponent(library)}/agenda`,
  supportRequests: (library: string) => `/libraries/${encodeURIComponent(library)}/aanvragen`,
  rooms: (library: string) => `/libraries/${encodeURIComponent(library)}/zalen`,
  notifications: () => '/meldingen',
};

/** Only same-site paths are followed after login (no open redirect). */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  return next;
}
