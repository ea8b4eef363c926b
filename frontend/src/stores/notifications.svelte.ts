import { ApiError } from '../api/client';
import * as meetupsApi from '../api/meetups';
import type { Notification } from '../api/meetups';
import type { RealtimeClient } from '../realtime/client';
import type { NotificationFrame } from '../realtime/protocol';

export type NotificationsApi = Pick<typeof meetupsApi, 'listNotifications' | 'markNotificationsRead'>;

/**
 * The signed-in member's inbox (`/meldingen` and the header bell): newest first; the `notification`
 * user event puts a new one on top and sets the unread count. Frames are not replayed after a
 * reconnect, so an open socket loads the inbox again.
 */
export class NotificationsStore {
  items = $state<Notification[]>([]);
  unread = $state(0);
  status = $state<'idle' | 'loading' | 'loaded' | 'error'>('idle');
  error = $state<ApiError | null>(null);
  /** The latest notification that arrived live (the bell announces it). */
  latest = $state<Notification | null>(null);
  private active = false;
  private gen = 0;

  constructor(
    rt: Pick<RealtimeClient, 'on'> | null,
    private readonly api: NotificationsApi = meetupsApi,
  ) {
    if (!rt) return;
    rt.on('notification', (f) => this.onNotification(f));
    rt.on('status', ({ status }) => {
      if (status === 'open' && this.active) void this.load();
    });
  }

  /** Signed in: follow the inbox. */
  async start(): Promise<void> {
    this.active = true;
    await this.load();
  }

  /** Signed out: forget it. */
  clear(): void {
    this.active = false;
    this.gen++;
    this.items = [];
    this.unread = 0;
    this.latest = null;
    this.status = 'idle';
  }

  async load(): Promise<void> {
    if (!this.active) return;
    const gen = ++this.gen;
    if (this.status !== 'loaded') this.status = 'loading';
    try {
      const body = await this.api.listNotifications();
      if (gen !== this.gen) return;
      this.items = body.results;
      this.unread = body.unread;
      this.status = 'loaded';
      this.error = null;
    } catch (err) {
      if (gen !== this.gen) return;
      this.error = err instanceof ApiError ? err : new ApiError(0, { code: 'network_error', detail: '' });
      this.status = 'error';
    }
  }

  onNotification(f: NotificationFrame): void {
    if (!this.active) return;
    this.items = [f.notification, ...this.items.filter((n) => n.id !== f.notification.id)].slice(0, 50);
    this.unread = f.unread;
    this.latest = f.notification;
  }

  /** Marks some (or, without ids, all) as read; shown at once, the server's count wins. */
  async markRead(ids?: number[]): Promise<void> {
    const before = this.items;
    const beforeUnread = this.unread;
    const hit = (n: Notification) => ids === undefined || ids.includes(n.id);
    const newlyRead = this.items.filter((n) => !n.read && hit(n)).length;
    if (ids !== undefined && newlyRead === 0) return;
    this.items = this.items.map((n) => (hit(n) ? { ...n, read: true } : n));
    this.unread = ids === undefined ? 0 : Math.max(0, this.unread - newlyRead);
    try {
      const res = await this.api.markNotificationsRead(ids === undefined ? { all: true } : { ids });
      this.unread = res.unread;
    } catch (err) {
      this.items = before;
      this.unread = beforeUnread;
      throw err;
    }
  }
}
