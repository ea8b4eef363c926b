import { api, relativeUrl } from './client';
import type {
  Appeal,
  AuditRow,
  Group,
  GroupModerationState,
  Language,
  Library,
  LibrarySettings,
  Me,
  Member,
  Membership,
  Message,
  Page,
  Report,
  ResolveResourceBody,
  ResourceBrief,
  Sanction,
  Thread,
  WordAction,
  WordFilter,
} from './types';

/** Lists may come as a plain array or as a page; the UI wants the items. */
function items<T>(body: T[] | Page<T>): T[] {
  return Array.isArray(body) ? body : body.results;
}

type WireGroup = Omit<Group, 'themes' | 'unread'> & {
  themes?: (string | { name?: string; slug?: string })[];
  unread?: number;
};

/** Accepts themes as names or as `{name, slug}` objects. */
export function normaliseGroup(g: WireGroup): Group {
  return {
    ...g,
    themes: (g.themes ?? [])
      .map((t) => (typeof t === 'string' ? t : (t.name ?? t.slug ?? '')))
      .filter((t) => t !== ''),
    unread: g.unread ?? 0,
  };
}

const enc = encodeURIComponent;

export const getMe = () => api<Me>('me/');
export const patchMe = (patch: Partial<Pick<Me, 'display_name'>> & { language?: Language }) =>
  api<Me>('me/', { method: 'PATCH', body: patch });

export const listLibraries = async () => items(await api<Library[] | Page<Library>>('libraries/'));

export async function listGroups(library?: string): Promise<Group[]> {
  const q = library ? `?library=${enc(library)}` : '';
  return items(await api<WireGroup[] | Page<WireGroup>>(`groups/${q}`)).map(normaliseGroup);
}

export const getGroup = async (slug: string) => normaliseGroup(await api<WireGroup>(`groups/${enc(slug)}/`));
/** 200 with the group when joined at once; 202 `{group, membership}` for a request awaiting approval. */
export type JoinResult = { joined: Group } | { requested: Membership };

export async function joinGroup(slug: string, inviteCode?: string): Promise<JoinResult> {
  const body = await api<WireGroup | { group: string; membership: Membership }>(`groups/${enc(slug)}/join/`, {
    method: 'POST',
    body: inviteCode ? { invite_code: inviteCode } : {},
  });
  if ('slug' in body) return { joined: normaliseGroup(body) };
  return { requested: body.membership };
}

export const leaveGroup = (slug: string) => api<unknown>(`groups/${enc(slug)}/leave/`, { method: 'POST' });
export const listMembers = async (slug: string) =>
  items(await api<Member[] | Page<Member>>(`groups/${enc(slug)}/members/`));

export const listThreads = async (slug: string) =>
  items(await api<Thread[] | Page<Thread>>(`groups/${enc(slug)}/threads/`));
export const createThread = (slug: string, title: string, body?: string) =>
  api<Thread>(`groups/${enc(slug)}/threads/`, { method: 'POST', body: body ? { title, body } : { title } });
export const getThread = (id: number) => api<Thread>(`threads/${id}/`);

/** Newest first; pass the previous page's `next` link to go further back. */
export async function listMessages(thread: number, cursor?: string | null): Promise<Page<Message>> {
  const path = cursor ? relativeUrl(cursor) : `threads/${thread}/messages/`;
  const body = await api<Page<Message> | Message[]>(path);
  return Array.isArray(body) ? { next: null, previous: null, results: body } : body;
}

export const markReadRest = (thread: number, seq: number) =>
  api<unknown>(`threads/${thread}/read/`, { method: 'POST', body: { seq } });
export const editMessageRest = (id: number, body: string) =>
  api<Message>(`messages/${id}/`, { method: 'PATCH', body: { body } });
export const deleteMessageRest = (id: number) => api<unknown>(`messages/${id}/`, { method: 'DELETE' });
export const addReactionRest = (id: number, emoji: string) =>
  api<unknown>(`messages/${id}/reactions/`, { method: 'POST', body: { emoji } });
export const removeReactionRest = (id: number, emoji: string) =>
  api<unknown>(`messages/${id}/reactions/${enc(emoji)}/`, { method: 'DELETE' });

// ---- moderation (docs/api.md, "Moderation"): the REST twins of the socket frames, for when it is down.
const mod = (path: string) => `moderation/${path}`;

export const hideMessageRest = (id: number, reason: string) =>
  api<Message>(mod(`messages/${id}/hide/`), { method: 'POST', body: { reason } });
export const unhideMessageRest = (id: number) => api<Message>(mod(`messages/${id}/hide/`), { method: 'DELETE' });
export const removeMessageModRest = (id: number, reason: string) =>
  api<Message>(mod(`messages/${id}/remove/`), { method: 'POST', body: { reason } });
export const pinMessageRest = (id: number, pinned: boolean) =>
  api<Message>(mod(`messages/${id}/pin/`), { method: pinned ? 'POST' : 'DELETE' });
export const lockThreadRest = (id: number, locked: boolean, reason = '') =>
  api<Thread>(mod(`threads/${id}/lock/`), locked ? { method: 'POST', body: { reason } } : { method: 'DELETE' });
export const setSlowModeRest = (slug: string, seconds: number, thread: number | null) =>
  api<{ group: string; thread: number | null; seconds: number }>(mod(`groups/${enc(slug)}/slow-mode/`), {
    method: 'PUT',
    body: { seconds, thread },
  });
export const getGroupModerationState = (slug: string) => api<GroupModerationState>(mod(`groups/${enc(slug)}/state/`));
export const muteMemberRest = (slug: string, userId: number, reason: string, minutes: number) =>
  api<unknown>(mod(`groups/${enc(slug)}/members/${userId}/mute/`), { method: 'POST', body: { reason, minutes } });
export const banMemberRest = (slug: string, userId: number, reason: string) =>
  api<unknown>(mod(`groups/${enc(slug)}/members/${userId}/ban/`), { method: 'POST', body: { reason } });
export const kickMemberRest = (slug: string, userId: number, reason: string) =>
  api<unknown>(mod(`groups/${enc(slug)}/members/${userId}/kick/`), { method: 'POST', body: { reason } });

// reports, appeals, the queue and the library's settings
export const reportMessageRest = (id: number, category: string, note: string) =>
  api<{ id: number; status: string }>(mod(`messages/${id}/report/`), { method: 'POST', body: { category, note } });
export const getGuidelines = (library: string) =>
  api<{ library: string; guidelines: string }>(mod(`libraries/${enc(library)}/guidelines/`));
export const createAppeal = (audit: number, text: string) =>
  api<{ id: number }>(mod('appeals/'), { method: 'POST', body: { audit, text } });
export const listAppeals = () => api<Appeal[]>(mod('appeals/'));
export const decideAppeal = (id: number, overturn: boolean, reason: string) =>
  api<Appeal>(mod(`appeals/${id}/decide/`), { method: 'POST', body: { overturn, reason } });
export const listReports = (library: string) => api<Report[]>(mod(`libraries/${enc(library)}/reports/`));
export const claimReport = (id: number) => api<Report>(mod(`reports/${id}/claim/`), { method: 'POST' });
export const resolveReport = (id: number, outcome: 'dismissed' | 'acted', note: string) =>
  api<Report>(mod(`reports/${id}/resolve/`), { method: 'POST', body: { outcome, note } });
export const listHeld = (library: string) => api<Message[]>(mod(`libraries/${enc(library)}/held/`));
export const approveMessage = (id: number) => api<Message>(mod(`messages/${id}/approve/`), { method: 'POST', body: {} });
export const rejectMessage = (id: number, reason: string) =>
  api<Message>(mod(`messages/${id}/reject/`), { method: 'POST', body: { reason } });

export interface AuditFilters {
  group?: string;
  user?: string;
  action?: string;
  since?: string;
  until?: string;
}
/** The query string of the audit log (empty filters left out). */
export function auditQuery(f: AuditFilters, csv = false): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v) q.set(k, v);
  if (csv) q.set('format', 'csv');
  const s = q.toString();
  return s ? `?${s}` : '';
}
export const auditPath = (library: string, f: AuditFilters, csv = false) =>
  mod(`libraries/${enc(library)}/audit/${auditQuery(f, csv)}`);
export const listAudit = (library: string, f: AuditFilters) => api<AuditRow[]>(auditPath(library, f));
export const listSanctions = (group: string) => api<Sanction[]>(mod(`groups/${enc(group)}/sanctions/`));
export const liftSanction = (group: string, userId: number, kind: 'mute' | 'ban') =>
  api<unknown>(mod(`groups/${enc(group)}/members/${userId}/${kind}/`), { method: 'DELETE' });
export const listWordFilters = (library: string) => api<WordFilter[]>(mod(`libraries/${enc(library)}/word-filters/`));
export const addWordFilter = (library: string, phrase: string, action: WordAction) =>
  api<WordFilter>(mod(`libraries/${enc(library)}/word-filters/`), { method: 'POST', body: { phrase, action } });
export const removeWordFilter = (library: string, id: number) =>
  api<unknown>(mod(`libraries/${enc(library)}/word-filters/${id}/`), { method: 'DELETE' });
export const getLibrarySettings = (library: string) => api<LibrarySettings>(mod(`libraries/${enc(library)}/settings/`));
export const putLibrarySettings = (library: string, s: LibrarySettings) =>
  api<LibrarySettings>(mod(`libraries/${enc(library)}/settings/`), { method: 'PUT', body: s });

// ---- resources (docs/resources.md)

/** Finds or creates the resource for a link, an ISBN (+ title) or a catalogue record. */
export const resolveResource = (body: ResolveResourceBody, signal?: AbortSignal) =>
  api<ResourceBrief>('resources/resolve/', { method: 'POST', body, signal });
/** The group's library catalogue: an ISBN, or words matched as prefixes (at most 20). */
export const searchCatalogue = async (groupSlug: string, q: string, signal?: AbortSignal) =>
  items(await api<ResourceBrief[] | Page<ResourceBrief>>(`groups/${enc(groupSlug)}/catalogue/?q=${enc(q)}`, { signal }));
/** Attaches a resource to one's own message → the message as the viewer sees it. */
export const attachToMessage = (messageId: number, body: ResolveResourceBody) =>
  api<Message>(`messages/${messageId}/resources/`, { method: 'POST', body });
export const detachFromMessage = (messageId: number, resourceId: number) =>
  api<unknown>(`messages/${messageId}/resources/${resourceId}/`, { method: 'DELETE' });

// ---- thread sources and suggestions, group collections, the resource page, catalogue imports
import type {
  CatalogueFormat,
  CatalogueImport,
  CollectionItem,
  ResourceDetail,
  Suggestion,
  ThreadSource,
} from './types';

/** The thread's sources and what was shared in its messages, newest first, one per resource. */
export const listThreadSources = async (thread: number, signal?: AbortSignal) =>
  items(await api<ThreadSource[] | Page<ThreadSource>>(`threads/${thread}/resources/`, { signal }));
export const removeThreadSource = (thread: number, resource: number) =>
  api<unknown>(`threads/${thread}/resources/${resource}/`, { method: 'DELETE' });
/** Catalogue titles that fit the conversation, best first. */
export const listSuggestions = async (thread: number, signal?: AbortSignal) =>
  items(await api<Suggestion[] | Page<Suggestion>>(`threads/${thread}/suggestions/`, { signal }));
/** Moves a suggestion into the thread's sources → the new source entry. */
export const addSuggestion = (thread: number, resource: number) =>
  api<ThreadSource>(`threads/${thread}/suggestions/${resource}/add/`, { method: 'POST' });
/** "Niet relevant": it never comes back for this thread. */
export const dismissSuggestion = (thread: number, resource: number) =>
  api<unknown>(`threads/${thread}/suggestions/${resource}/dismiss/`, { method: 'POST' });

const coll = (slug: string) => `groups/${enc(slug)}/collection/`;
export const listCollection = async (slug: string) => items(await api<CollectionItem[] | Page<CollectionItem>>(coll(slug)));
export const addCollectionItem = (slug: string, resource: number, note: string) =>
  api<CollectionItem>(coll(slug), { method: 'POST', body: { resource, note } });
export const updateCollectionNote = (slug: string, item: number, note: string) =>
  api<CollectionItem>(`${coll(slug)}${item}/`, { method: 'PATCH', body: { note } });
export const removeCollectionItem = (slug: string, item: number) =>
  api<unknown>(`${coll(slug)}${item}/`, { method: 'DELETE' });
/** Every item exactly once, in the new order → the collection as it is now. */
export const reorderCollection = async (slug: string, ids: number[]) =>
  items(await api<CollectionItem[] | Page<CollectionItem>>(`${coll(slug)}order/`, { method: 'POST', body: { items: ids } }));

export const getResource = (id: number) => api<ResourceDetail>(`resources/${id}/`);

const imports = (library: string) => `libraries/${enc(library)}/catalogue/imports/`;
/** Uploads a catalogue file (multipart) → 202 the pending import; an empty format lets the server tell. */
export function uploadCatalogue(library: string, file: File, format: CatalogueFormat = ''): Promise<CatalogueImport> {
  const form = new FormData();
  form.append('file', file);
  if (format) form.append('format', format);
  return api<CatalogueImport>(imports(library), { method: 'POST', body: form });
}
export const listCatalogueImports = async (library: string) =>
  items(await api<CatalogueImport[] | Page<CatalogueImport>>(imports(library)));
export const getCatalogueImport = (library: string, id: number) => api<CatalogueImport>(`${imports(library)}${id}/`);
