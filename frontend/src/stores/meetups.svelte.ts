import { ApiError } from '../api/client';
import * as meetupsApi from '../api/meetups';
import { mergeChanged, withCounts, type Meetup, type RsvpAnswer } from '../api/meetups';
import type { RealtimeClient } from '../realtime/client';
import type { MeetupChangedEvent, MeetupRsvpsEvent, MeetupSummaryEvent } from '../realtime/protocol';

export type MeetupApi = Pick<typeof meetupsApi, 'getMeetup' | 'putRsvp' | 'deleteRsvp' | 'listGroupMeetups'>;
type Rt = Pick<RealtimeClient, 'on'>;

function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError(0, { code: 'network_error', detail: '' });
}

/**
 * The meetup whose page is open. Loaded over REST; `meetup.changed`, `meetup.rsvps` and
 * `meetup.summary` of its group keep it current (the page follows the group while it is shown).
 * `announcement` is what changed live, for the page's polite live region.
 */
export class MeetupStore {
  id = $state<number | null>(null);
  meetup = $state<Meetup | null>(null);
  status = $state<'idle' | 'loading' | 'loaded' | 'error'>('idle');
  error = $state<ApiError | null>(null);
  /** The kind of the last live change: 'counts', 'changed', 'summary' (the page words it). */
  lastLive = $state<{ kind: 'counts' | 'changed' | 'summary'; at: number } | null>(null);
  private gen = 0;

  constructor(
    rt: Rt | null,
    private readonly api: MeetupApi = meetupsApi,
  ) {
    if (!rt) return;
    rt.on('meetup.changed', (ev) => this.onChanged(ev));
    rt.on('meetup.rsvps', (ev) => this.onRsvps(ev));
    rt.on('meetup.summary', (ev) => this.onSummary(ev));
    rt.on('subscribed', (f) => {
      if (this.meetup && f.group === this.meetup.group.slug && this.status === 'loaded') void this.load();
    });
  }

  async open(id: number): Promise<void> {
    if (this.id !== id) {
      this.id = id;
      this.meetup = null;
      this.status = 'loading';
      this.error = null;
      this.lastLive = null;
    }
    await this.load();
  }

  close(): void {
    this.id = null;
    this.meetup = null;
    this.status = 'idle';
  }

  async load(): Promise<void> {
    const id = this.id;
    if (id === null) return;
    const gen = ++this.gen;
    try {
      const m = await this.api.getMeetup(id);
      if (id !== this.id || gen !== this.gen) return;
      this.meetup = m;
      this.status = 'loaded';
      this.error = null;
    } catch (err) {
      if (id !== this.id || gen !== this.gen) return;
      this.error = asApiError(err);
      this.status = 'error';
    }
  }

  /** A host action's answer (publish, cancel, edit…) replaces the meetup. */
  set(m: Meetup): void {
    if (m.id === this.id) this.meetup = m;
  }

  onChanged(ev: MeetupChangedEvent): void {
    if (!this.meetup || ev.meetup.id !== this.meetup.id) return;
    this.meetup = mergeChanged(this.meetup, ev.meetup);
    this.lastLive = { kind: 'changed', at: Date.now() };
    // Our own seat may have changed with it (capacity grew: promoted off the waiting list).
    if (this.meetup.my_rsvp?.waitlisted) void this.load();
  }

  onRsvps(ev: MeetupRsvpsEvent): void {
    if (!this.meetup || ev.meetup !== this.meetup.id) return;
    this.meetup = withCounts(this.meetup, ev);
    this.lastLive = { kind: 'counts', at: Date.now() };
    // Someone ahead of us may have left the waiting list: our position is ours to ask for.
    if (this.meetup.my_rsvp?.waitlisted) void this.load();
  }

  onSummary(ev: MeetupSummaryEvent): void {
    if (!this.meetup || ev.meetup !== this.meetup.id) return;
    this.meetup = { ...this.meetup, summary: ev.summary };
    this.lastLive = { kind: 'summary', at: Date.now() };
  }

  /** Answers the RSVP; the answer and the counts are then loaded again. Throws the `ApiError`. */
  async rsvp(answer: RsvpAnswer, shareName: boolean): Promise<void> {
    const m = this.meetup;
    if (!m) return;
    const mine = await this.api.putRsvp(m.id, answer, shareName);
    if (this.meetup?.id === m.id) this.meetup = { ...this.meetup, my_rsvp: mine };
    await this.load();
  }

  async withdraw(): Promise<void> {
    const m = this.meetup;
    if (!m) return;
    await this.api.deleteRsvp(m.id);
    if (this.meetup?.id === m.id) this.meetup = { ...this.meetup, my_rsvp: null };
    await this.load();
  }
}

/** Upcoming and past meetups of one group (its "Bijeenkomsten" page), kept current by its events. */
export class GroupMeetupsStore {
  slug = $state<string | null>(null);
  upcoming = $state<Meetup[]>([]);
  past = $state<Meetup[]>([]);
  status = $state<'idle' | 'loading' | 'loaded' | 'error'>('idle');
  error = $state<ApiError | null>(null);
  private gen = 0;

  constructor(
    rt: Rt | null,
    private readonly api: Pick<MeetupApi, 'listGroupMeetups'> = meetupsApi,
  ) {
    if (!rt) return;
    rt.on('meetup.changed', (ev) => this.onChanged(ev));
    rt.on('meetup.rsvps', (ev) => this.onRsvps(ev));
    rt.on('subscribed', (f) => {
      if (f.group === this.slug && this.status === 'loaded') void this.load();
    });
  }

  async open(slug: string): Promise<void> {
    if (slug !== this.slug) {
      this.slug = slug;
      this.upcoming = [];
      this.past = [];
      this.status = 'loading';
      this.error = null;
    }
    await this.load();
  }

  close(): void {
    this.slug = null;
    this.status = 'idle';
  }

  async load(): Promise<void> {
    const slug = this.slug;
    if (!slug) return;
    const gen = ++this.gen;
    try {
      const [upcoming, past] = await Promise.all([
        this.api.listGroupMeetups(slug, 'upcoming'),
        this.api.listGroupMeetups(slug, 'past'),
      ]);
      if (slug !== this.slug || gen !== this.gen) return;
      this.upcoming = upcoming;
      this.past = past;
      this.status = 'loaded';
      this.error = null;
    } catch (err) {
      if (slug !== this.slug || gen !== this.gen) return;
      this.error = asApiError(err);
      this.status = 'error';
    }
  }

  /** A meetup just made here goes in at once (a draft has no event). */
  added(m: Meetup): void {
    if (m.group.slug !== this.slug) return;
    this.upcoming = [...this.upcoming.filter((x) => x.id !== m.id), m].sort((a, b) => a.starts_at.localeCompare(b.starts_at));
  }

  onChanged(ev: MeetupChangedEvent): void {
    if (ev.group !== this.slug) return;
    const known = [...this.upcoming, ...this.past].some((m) => m.id === ev.meetup.id);
    if (!known) {
      // Newly published: where it belongs (upcoming or past) is the server's to say.
      void this.load();
      return;
    }
    const upd = (list: Meetup[]) => list.map((m) => (m.id === ev.meetup.id ? mergeChanged(m, ev.meetup) : m));
    this.upcoming = upd(this.upcoming);
    this.past = upd(this.past);
  }

  onRsvps(ev: MeetupRsvpsEvent): void {
    if (ev.group !== this.slug) return;
    const upd = (list: Meetup[]) => list.map((m) => (m.id === ev.meetup ? withCounts(m, ev) : m));
    this.upcoming = upd(this.upcoming);
    this.past = upd(this.past);
  }
}
