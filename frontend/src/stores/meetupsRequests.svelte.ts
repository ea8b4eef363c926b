import { ApiError } from '../api/client';
import * as meetupsApi from '../api/meetups';
import type { Branch, SupportRequest } from '../api/meetups';
import type { RealtimeClient } from '../realtime/client';
import type { SupportRequestFrame } from '../realtime/protocol';

export type RequestsApi = Pick<typeof meetupsApi, 'listSupportRequests' | 'listBranches' | 'approveSupport' | 'declineSupport'>;

/**
 * The librarians' queue of support requests of one library: loaded over REST, then kept current by
 * `support.request` frames after `moderation.subscribe` (sent again, and the queue reloaded, on every
 * reconnect: these frames are not replayed). Pending requests first (oldest first), decided ones after.
 */
export class SupportRequestsStore {
  library = $state<string | null>(null);
  requests = $state<SupportRequest[]>([]);
  branches = $state<Branch[]>([]);
  status = $state<'idle' | 'loading' | 'loaded' | 'error'>('idle');
  error = $state<ApiError | null>(null);
  /** The socket is open and the subscription was confirmed. */
  live = $state(false);
  /** The last request that arrived or changed live (announced by the page). */
  lastLive = $state<SupportRequest | null>(null);
  private gen = 0;

  constructor(
    private readonly rt: Pick<RealtimeClient, 'on' | 'moderationSubscribe'> | null,
    private readonly api: RequestsApi = meetupsApi,
  ) {
    if (!rt) return;
    rt.on('status', ({ status }) => {
      if (status === 'open' && this.library) {
        this.live = false;
        rt.moderationSubscribe(this.library);
        void this.load();
      } else if (status !== 'open') this.live = false;
    });
    rt.on('moderation.subscribed', (f) => {
      if (f.library === this.library) this.live = true;
    });
    rt.on('support.request', (f) => this.onRequest(f));
  }

  async open(library: string): Promise<void> {
    if (library !== this.library) {
      this.library = library;
      this.requests = [];
      this.branches = [];
      this.status = 'loading';
      this.error = null;
      this.live = false;
      this.lastLive = null;
    }
    this.rt?.moderationSubscribe(library);
    await this.load();
  }

  close(): void {
    this.library = null;
    this.live = false;
    this.status = 'idle';
  }

  async load(): Promise<void> {
    const library = this.library;
    if (!library) return;
    const gen = ++this.gen;
    try {
      const [requests, branches] = await Promise.all([this.api.listSupportRequests(library), this.api.listBranches(library)]);
      if (library !== this.library || gen !== this.gen) return;
      this.requests = sortRequests(requests);
      this.branches = branches;
      this.status = 'loaded';
      this.error = null;
    } catch (err) {
      if (library !== this.library || gen !== this.gen) return;
      this.error = err instanceof ApiError ? err : new ApiError(0, { code: 'network_error', detail: '' });
      this.status = 'error';
    }
  }

  get pending(): SupportRequest[] {
    return this.requests.filter((r) => r.state === 'pending');
  }
  get decided(): SupportRequest[] {
    return this.requests.filter((r) => r.state !== 'pending');
  }

  onRequest(f: SupportRequestFrame): void {
    if (!this.library) return;
    this.upsert(f.request);
    this.lastLive = f.request;
  }

  private upsert(r: SupportRequest): void {
    this.requests = sortRequests([...this.requests.filter((x) => x.id !== r.id), r]);
  }

  /** Throws the `ApiError` (`room_taken`, `room_too_small`, `room_required`) for the form to show. */
  async approve(id: number, room: number | null, note: string): Promise<SupportRequest> {
    const r = await this.api.approveSupport(id, room === null ? { note } : { room, note });
    this.upsert(r);
    return r;
  }

  async decline(id: number, note: string): Promise<SupportRequest> {
    const r = await this.api.declineSupport(id, note);
    this.upsert(r);
    return r;
  }
}

export function sortRequests(list: SupportRequest[]): SupportRequest[] {
  const rank = (r: SupportRequest) => (r.state === 'pending' ? 0 : 1);
  return [...list].sort((a, b) => {
    if (rank(a) !== rank(b)) return rank(a) - rank(b);
    // Pending: oldest first (first come, first served); decided: newest decision first.
    if (rank(a) === 0) return a.created_at.localeCompare(b.created_at);
    return (b.decided_at ?? b.created_at).localeCompare(a.decided_at ?? a.created_at);
  });
}
