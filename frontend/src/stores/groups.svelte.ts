import { ApiError } from '../api/client';
import { getGroup, joinGroup, leaveGroup, listGroups } from '../api/endpoints';
import type { Group } from '../api/types';
import { apiErrorText, errorText } from '../i18n/errors';
import type { RealtimeClient, RealtimeError } from '../realtime/client';

export type LoadStatus = 'idle' | 'loading' | 'loaded' | 'error';

/**
 * The groups the caller may see, their membership and unread counts, and which groups the socket
 * follows: every group the user is an active member of, plus public groups a page is showing.
 */
export class GroupsStore {
  list = $state<Group[]>([]);
  status = $state<LoadStatus>('idle');
  error = $state<ApiError | null>(null);
  /** Join/leave in progress, per slug. */
  busy = $state<Record<string, boolean>>({});
  /** Last join/leave error, per slug: its code and the server's text. */
  actionError = $state<Record<string, { code: string; text: string }>>({});
  /** Groups that turned invisible to us while we had them (left or removed from a closed group). */
  gone = $state<Record<string, true>>({});
  /** Why the socket refused to follow a group (the server's text), until a subscribe succeeds. */
  liveError = $state<Record<string, string>>({});
  /** Whether the socket may be used (signed in). */
  live = false;

  private readonly viewers = new Map<string, number>();

  /**
   * `moderates(group)`: the viewer moderates the group (a librarian of its library, staff), so may
   * follow it while looking at it even when it is closed and they are not a member.
   */
  constructor(
    private readonly rt: RealtimeClient,
    private readonly opts: { moderates?: (group: Group) => boolean } = {},
  ) {}

  get(slug: string): Group | undefined {
    return this.list.find((g) => g.slug === slug);
  }

  isMember(slug: string): boolean {
    return this.get(slug)?.membership?.state === 'active';
  }

  /** Followed live: members always, viewers of public groups (and moderators of closed ones) while they look. */
  wanted(slug: string): boolean {
    if (!this.live) return false;
    const g = this.get(slug);
    if (!g) return false;
    if (g.membership?.state === 'active') return true;
    const viewed = (this.viewers.get(slug) ?? 0) > 0;
    return viewed && (g.visibility === 'public' || !!this.opts.moderates?.(g));
  }

  async load(): Promise<void> {
    this.status = 'loading';
    this.error = null;
    try {
      this.list = await listGroups();
      this.status = 'loaded';
      this.syncSubscriptions();
    } catch (err) {
      this.error = err instanceof ApiError ? err : null;
      this.status = 'error';
    }
  }

  upsert(group: Group): void {
    const i = this.list.findIndex((g) => g.slug === group.slug);
    if (i >= 0) this.list[i] = group;
    else this.list.push(group);
  }

  async refresh(slug: string): Promise<Group> {
    try {
      const group = await getGroup(slug);
      this.upsert(group);
      delete this.gone[slug];
      return group;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404 && this.get(slug)) {
        this.remove(slug);
        this.gone[slug] = true;
      }
      throw err;
    }
  }

  /** Subscribes every wanted group not yet followed, from the `last_seq` its REST data reflects. */
  syncSubscriptions(): void {
    if (!this.live) return;
    for (const g of this.list) if (this.wanted(g.slug) && !this.rt.isSubscribed(g.slug)) this.follow(g.slug, g.last_seq);
  }

  private follow(slug: string, lastSeq: number | null): void {
    delete this.liveError[slug];
    this.rt.subscribe(slug, lastSeq);
  }

  /** Takes the `error` frames that answer a subscribe (the pages of the group show them); false for others. */
  onError(e: RealtimeError): boolean {
    if (e.target?.action !== 'subscribe') return false;
    this.liveError[e.target.group] = errorText(e);
    return true;
  }

  /** The socket follows the group (again). */
  onSubscribed(slug: string): void {
    delete this.liveError[slug];
  }

  /**
   * A page starts showing a group. Returns its data and whether it just started being followed
   * (so cached thread data of that group may be stale).
   */
  async view(slug: string): Promise<{ group: Group; fresh: boolean }> {
    this.viewers.set(slug, (this.viewers.get(slug) ?? 0) + 1);
    if (this.live && this.rt.isSubscribed(slug)) {
      const known = this.get(slug);
      if (known) return { group: known, fresh: false };
    }
    // Fresh detail, so `last_seq` is current when we subscribe from it.
    const group = await this.refresh(slug);
    if (this.wanted(slug) && !this.rt.isSubscribed(slug)) {
      this.follow(slug, group.last_seq);
      return { group, fresh: true };
    }
    return { group, fresh: false };
  }

  release(slug: string): void {
    const n = (this.viewers.get(slug) ?? 1) - 1;
    if (n > 0) this.viewers.set(slug, n);
    else this.viewers.delete(slug);
    if (this.wanted(slug)) return;
    if (this.rt.isSubscribed(slug)) this.rt.unsubscribe(slug);
    else this.rt.cancelSubscribeRetry(slug);
  }

  isViewed(slug: string): boolean {
    return (this.viewers.get(slug) ?? 0) > 0;
  }

  /**
   * Joins a public group, or asks to join a closed one (with its invite code). Returns the new
   * membership state, or null on failure (the message is in `actionError[slug]`).
   */
  async join(slug: string, inviteCode?: string): Promise<'active' | 'pending' | null> {
    return this.membershipAction(slug, async () => {
      const result = await joinGroup(slug, inviteCode);
      if ('joined' in result) {
        this.upsert(result.joined);
        return result.joined.membership?.state ?? 'active';
      }
      const g = this.get(slug);
      if (g) g.membership = result.requested;
      return result.requested.state;
    });
  }

  async leave(slug: string): Promise<void> {
    await this.membershipAction(slug, async () => {
      await leaveGroup(slug);
      try {
        await this.refresh(slug);
      } catch (err) {
        // A closed group is invisible once we are out of it (refresh() dropped it).
        if (!(err instanceof ApiError && err.status === 404)) throw err;
      }
      return null;
    });
  }

  private async membershipAction<T>(slug: string, action: () => Promise<T>): Promise<T | null> {
    this.busy[slug] = true;
    delete this.actionError[slug];
    try {
      const result = await action();
      if (this.wanted(slug)) {
        if (!this.rt.isSubscribed(slug)) this.follow(slug, this.get(slug)?.last_seq ?? null);
      } else if (this.rt.isSubscribed(slug)) {
        this.rt.unsubscribe(slug);
      }
      return result;
    } catch (err) {
      this.actionError[slug] = err instanceof ApiError ? { code: err.code, text: apiErrorText(err) } : { code: 'error', text: String(err) };
      return null;
    } finally {
      delete this.busy[slug];
    }
  }

  remove(slug: string): void {
    this.list = this.list.filter((g) => g.slug !== slug);
  }

  addUnread(slug: string, n: number): void {
    const g = this.get(slug);
    if (g) g.unread = Math.max(0, g.unread + n);
  }

  clear(): void {
    this.list = [];
    this.status = 'idle';
    this.error = null;
    this.busy = {};
    this.actionError = {};
    this.gone = {};
    this.liveError = {};
    this.live = false;
  }
}
