import { ApiError } from '../api/client';
import { addSuggestion, dismissSuggestion, listSuggestions, listThreadSources } from '../api/endpoints';
import type { Suggestion, ThreadSource } from '../api/types';
import { apiErrorText } from '../i18n/errors';
import { i18n } from '../i18n/index.svelte';
import type { RealtimeClient } from '../realtime/client';
import type {
  MessageEvent,
  SuggestionDismissedEvent,
  ThreadResourceAddedEvent,
  ThreadResourceEvent,
  ThreadSuggestionsFrame,
} from '../realtime/protocol';
import { browserTimers, type Timers } from '../realtime/timers';

export type SourcesApi = {
  listThreadSources: typeof listThreadSources;
  listSuggestions: typeof listSuggestions;
  addSuggestion: typeof addSuggestion;
  dismissSuggestion: typeof dismissSuggestion;
};

const defaultApi: SourcesApi = { listThreadSources, listSuggestions, addSuggestion, dismissSuggestion };

/** Message events that may change what was shared in a thread (links attached, messages withdrawn). */
const MESSAGE_EVENTS = [
  'message.created',
  'message.edited',
  'message.deleted',
  'message.resources',
  'message.hidden',
  'message.unhidden',
  'message.removed',
  'message.approved',
] as const;

/** The "Bronnen" of one thread as its panel shows them. */
export class ThreadSources {
  sources = $state<ThreadSource[]>([]);
  suggestions = $state<Suggestion[]>([]);
  status = $state<'loading' | 'loaded' | 'error'>('loading');
  error = $state<ApiError | null>(null);
  /** An add or dismiss in progress, by resource id. */
  busy = $state<Record<number, 'add' | 'dismiss'>>({});
  /** Why the last add or dismiss of a suggestion failed, by resource id. */
  actionError = $state<Record<number, string>>({});
  /** Panels showing this thread; live events only update threads someone looks at. */
  viewers = 0;
  refetchTimer: unknown = null;
  /** Bumped by every full load, so an older answer never overwrites a newer one. */
  loadGeneration = 0;
  /** Bumped by every request for the sources (full loads and refetches alike). */
  sourcesGeneration = 0;
  /** Bumped by every `thread.suggestions` frame: newer than a REST answer that was on its way. */
  suggestionsVersion = 0;
  /** Something the panel should say that belongs to no item any more (a suggestion that went meanwhile). */
  notice = $state<string | null>(null);

  constructor(
    readonly thread: number,
    public group: string,
  ) {}
}

/**
 * The thread's sources ("Gedeeld in dit gesprek": `GET threads/{id}/resources/`) and the catalogue's
 * suggestions ("Uit de collectie": `GET threads/{id}/suggestions/`) for every open "Bronnen" panel,
 * kept current by the live events of docs/resources.md: `thread.resource_added|removed` and
 * `thread.suggestion_dismissed` (sequenced, so a catch-up replays them), `thread.suggestions` (the new
 * list, not sequenced: taken from REST again whenever the group is subscribed anew), and message events
 * that carry resources (links shared in the conversation: the sources are fetched again, debounced).
 */
export class SourcesStore {
  /** Whether the thread page shows the panel (kept while moving between threads). */
  panelOpen = $state(false);

  private readonly views = new Map<number, ThreadSources>();
  private readonly timers: Timers;
  private readonly refetchMs: number;

  constructor(
    rt: Pick<RealtimeClient, 'on'> | null,
    private readonly api: SourcesApi = defaultApi,
    opts: { timers?: Timers; refetchMs?: number } = {},
  ) {
    this.timers = opts.timers ?? browserTimers;
    this.refetchMs = opts.refetchMs ?? 500;
    if (!rt) return;
    rt.on('thread.resource_added', (ev) => this.onResourceAdded(ev));
    rt.on('thread.resource_removed', (ev) => this.onResourceRemoved(ev));
    rt.on('thread.suggestion_dismissed', (ev) => this.onSuggestionDismissed(ev));
    rt.on('thread.suggestions', (f) => this.onSuggestions(f));
    for (const type of MESSAGE_EVENTS) rt.on(type, (ev: MessageEvent) => this.onMessageEvent(ev));
    // Suggestions are not sequenced: a socket that was down (or a resync) may have missed some.
    rt.on('subscribed', (f) => this.reloadGroup(f.group));
  }

  /** The state of a thread's panel, if one was opened. */
  get(thread: number): ThreadSources | undefined {
    return this.views.get(thread);
  }

  /**
   * A panel starts showing a thread: loads both lists (what is known already stays on screen
   * meanwhile) and follows the thread's events until `close`.
   */
  open(thread: number, group: string): ThreadSources {
    let v = this.views.get(thread);
    if (!v) {
      v = new ThreadSources(thread, group);
      this.views.set(thread, v);
    }
    v.group = group;
    v.viewers += 1;
    if (v.viewers === 1) void this.load(v);
    return v;
  }

  close(thread: number): void {
    const v = this.views.get(thread);
    if (!v) return;
    v.viewers = Math.max(0, v.viewers - 1);
    if (v.viewers === 0) this.cancelRefetch(v);
  }

  private active(thread: number): ThreadSources | null {
    const v = this.views.get(thread);
    return v && v.viewers > 0 ? v : null;
  }

  async load(v: ThreadSources): Promise<void> {
    const gen = ++v.loadGeneration;
    const sourcesGen = ++v.sourcesGeneration;
    const version = v.suggestionsVersion;
    if (!v.sources.length && !v.suggestions.length) v.status = 'loading';
    try {
      const [sources, suggestions] = await Promise.all([
        this.api.listThreadSources(v.thread),
        this.api.listSuggestions(v.thread),
      ]);
      if (gen !== v.loadGeneration) return;
      // A refetch of the sources or a suggestions frame that came meanwhile is newer: keep it.
      if (sourcesGen === v.sourcesGeneration) v.sources = sources;
      v.suggestions = withoutSources(version === v.suggestionsVersion ? suggestions : v.suggestions, v.sources);
      v.status = 'loaded';
      v.error = null;
    } catch (err) {
      if (gen !== v.loadGeneration) return;
      v.error = err instanceof ApiError ? err : new ApiError(0, { code: 'network_error', detail: '' });
      v.status = 'error';
    }
  }

  /** Fetches the sources again (only them: suggestions come live), at most once per `refetchMs`. */
  private scheduleRefetch(v: ThreadSources): void {
    if (v.refetchTimer !== null) return;
    v.refetchTimer = this.timers.setTimeout(() => {
      v.refetchTimer = null;
      void this.refetchSources(v);
    }, this.refetchMs);
  }

  private cancelRefetch(v: ThreadSources): void {
    if (v.refetchTimer === null) return;
    this.timers.clearTimeout(v.refetchTimer);
    v.refetchTimer = null;
  }

  private async refetchSources(v: ThreadSources): Promise<void> {
    if (v.viewers === 0) return;
    const gen = ++v.sourcesGeneration;
    try {
      const sources = await this.api.listThreadSources(v.thread);
      if (gen !== v.sourcesGeneration) return;
      v.sources = sources;
      v.suggestions = withoutSources(v.suggestions, sources);
    } catch {
      // The next event or opening the panel again tries again; what is shown stays.
    }
  }

  private reloadGroup(group: string): void {
    for (const v of this.views.values()) if (v.viewers > 0 && v.group === group) void this.load(v);
  }

  // ------------------------------------------------------------ live events

  onResourceAdded(ev: ThreadResourceAddedEvent): void {
    const v = this.active(ev.thread);
    if (!v) return;
    const existing = v.sources.find((s) => s.resource.id === ev.resource.id);
    const suggested = v.suggestions.some((s) => s.resource.id === ev.resource.id);
    v.suggestions = v.suggestions.filter((s) => s.resource.id !== ev.resource.id);
    if (existing?.via === 'thread') {
      // Our own add's answer came first: keep it in its place, with the newest data.
      v.sources = v.sources.map((s) =>
        s === existing
          ? {
              ...s,
              resource: ev.resource,
              added_at: ev.added_at ?? s.added_at,
              from_suggestion: ev.from_suggestion ?? s.from_suggestion,
            }
          : s,
      );
      return;
    }
    // The event carries the entry. One stored by an older server has no time or origin of its own:
    // then it happened just now, and came from the suggestions if it was one. A thread source
    // outranks a message's.
    const entry: ThreadSource = {
      resource: ev.resource,
      added_by: ev.by,
      added_at: ev.added_at ?? new Date(this.timers.now()).toISOString(),
      via: 'thread',
      message: null,
      from_suggestion: ev.from_suggestion ?? suggested,
    };
    v.sources = [entry, ...v.sources.filter((s) => s.resource.id !== ev.resource.id)];
    v.status = v.status === 'error' ? 'error' : 'loaded';
  }

  onResourceRemoved(ev: ThreadResourceEvent<'thread.resource_removed'>): void {
    const v = this.active(ev.thread);
    if (!v) return;
    const before = v.sources.length;
    v.sources = v.sources.filter((s) => !(s.resource.id === ev.resource.id && s.via === 'thread'));
    // It may still have been shared in a message, which then shows instead: ask the server.
    if (v.sources.length !== before) this.scheduleRefetch(v);
  }

  onSuggestionDismissed(ev: SuggestionDismissedEvent): void {
    const v = this.active(ev.thread);
    if (!v) return;
    v.suggestions = v.suggestions.filter((s) => s.resource.id !== ev.resource);
  }

  onSuggestions(f: ThreadSuggestionsFrame): void {
    const v = this.active(f.thread);
    if (!v) return;
    v.suggestionsVersion += 1;
    v.suggestions = withoutSources(f.suggestions, v.sources);
  }

  /** A message with resources came or changed (or one that shared some was withdrawn): refetch, debounced. */
  onMessageEvent(ev: MessageEvent): void {
    const v = this.active(ev.message.thread);
    if (!v) return;
    const shares = (ev.message.resources?.length ?? 0) > 0;
    const shared = v.sources.some((s) => s.message === ev.message.id);
    if (ev.type === 'message.resources' || shares || shared) this.scheduleRefetch(v);
  }

  // ------------------------------------------------------------ actions

  /** "Toevoegen": the suggestion becomes one of the thread's sources. False when refused. */
  async add(thread: number, resource: number): Promise<boolean> {
    return this.act(thread, resource, 'add', async (v) => {
      const entry = await this.api.addSuggestion(thread, resource);
      v.suggestions = v.suggestions.filter((s) => s.resource.id !== resource);
      v.sources = [entry, ...v.sources.filter((s) => s.resource.id !== resource)];
    });
  }

  /** "Niet relevant": the suggestion goes, for good. False when refused. */
  async dismiss(thread: number, resource: number): Promise<boolean> {
    return this.act(thread, resource, 'dismiss', async (v) => {
      await this.api.dismissSuggestion(thread, resource);
      v.suggestions = v.suggestions.filter((s) => s.resource.id !== resource);
    });
  }

  private async act(
    thread: number,
    resource: number,
    kind: 'add' | 'dismiss',
    run: (v: ThreadSources) => Promise<void>,
  ): Promise<boolean> {
    const v = this.views.get(thread);
    if (!v || v.busy[resource]) return false;
    v.busy[resource] = kind;
    delete v.actionError[resource];
    v.notice = null;
    try {
      await run(v);
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        // Someone else added or dismissed it meanwhile, or it left the catalogue: it is no suggestion any more.
        v.suggestions = v.suggestions.filter((s) => s.resource.id !== resource);
        v.notice = i18n.m.sources.gone;
        this.scheduleRefetch(v);
        return false;
      }
      v.actionError[resource] = apiErrorText(err);
      return false;
    } finally {
      delete v.busy[resource];
    }
  }

  clear(): void {
    for (const v of this.views.values()) this.cancelRefetch(v);
    this.views.clear();
  }
}

function withoutSources(suggestions: Suggestion[], sources: ThreadSource[]): Suggestion[] {
  const known = new Set(sources.map((s) => s.resource.id));
  return suggestions.filter((s) => !known.has(s.resource.id));
}
