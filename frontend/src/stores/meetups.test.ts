import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import { makeMeetup, makeNotification, makeSupportRequest } from '../api/meetups.fixtures';
import { FakeSocket, fakeClient } from '../realtime/testing';
import { GroupMeetupsStore, MeetupStore, type MeetupApi } from './meetups.svelte';
import { SupportRequestsStore, type RequestsApi } from './meetupsRequests.svelte';
import { NotificationsStore, type NotificationsApi } from './notifications.svelte';

function live() {
  const { client } = fakeClient();
  client.connect();
  const ws = FakeSocket.latest();
  ws.open();
  return { client, ws };
}

function subscribe(ws: FakeSocket, client: ReturnType<typeof fakeClient>['client'], group = 'energie-klimaat') {
  client.subscribe(group, 0);
  ws.receive({ type: 'subscribed', group, last_seq: 0 });
}

describe('MeetupStore', () => {
  it('loads a meetup and follows its counts, changes and summary live', async () => {
    const { client, ws } = live();
    const api = { getMeetup: vi.fn(async () => makeMeetup({ can_manage: true })) } as unknown as MeetupApi;
    const s = new MeetupStore(client, api);
    await s.open(41);
    subscribe(ws, client);
    ws.receive({ type: 'meetup.rsvps', group: 'energie-klimaat', seq: 1, meetup: 41, going_count: 5, maybe_count: 0, waitlist_count: 1, seats_left: 0 });
    expect(s.meetup?.going_count).toBe(5);
    expect(s.meetup?.seats_left).toBe(0);
    expect(s.lastLive?.kind).toBe('counts');
    // Another meetup's event leaves this one alone.
    ws.receive({ type: 'meetup.rsvps', group: 'energie-klimaat', seq: 2, meetup: 99, going_count: 1, maybe_count: 0, waitlist_count: 0, seats_left: 3 });
    expect(s.meetup?.going_count).toBe(5);
    ws.receive({ type: 'meetup.changed', group: 'energie-klimaat', seq: 3, meetup: makeMeetup({ status: 'cancelled', cancel_reason: 'Ziek' }) });
    expect(s.meetup?.status).toBe('cancelled');
    expect(s.meetup?.can_manage).toBe(true);
    ws.receive({ type: 'meetup.summary', group: 'energie-klimaat', seq: 4, meetup: 41, summary: { state: 'published', published_at: '2026-12-04T10:00:00Z' } });
    expect(s.meetup?.summary?.state).toBe('published');
  });

  it('answers the RSVP and reloads the counts; a waitlisted viewer reloads on count changes', async () => {
    const { client, ws } = live();
    let call = 0;
    const api = {
      getMeetup: vi.fn(async () =>
        call++ === 0
          ? makeMeetup()
          : makeMeetup({ going_count: 3, my_rsvp: { answer: 'going', waitlisted: true, position: 2, share_name: false } }),
      ),
      putRsvp: vi.fn(async () => ({ answer: 'going' as const, waitlisted: true, position: 2, share_name: false })),
      deleteRsvp: vi.fn(async () => undefined),
    } as unknown as MeetupApi;
    const s = new MeetupStore(client, api);
    await s.open(41);
    await s.rsvp('going', false);
    expect(api.putRsvp).toHaveBeenCalledWith(41, 'going', false);
    expect(s.meetup?.my_rsvp?.position).toBe(2);
    expect(s.meetup?.going_count).toBe(3);
    subscribe(ws, client);
    const before = vi.mocked(api.getMeetup).mock.calls.length;
    ws.receive({ type: 'meetup.rsvps', group: 'energie-klimaat', seq: 1, meetup: 41, going_count: 3, maybe_count: 0, waitlist_count: 1, seats_left: 0 });
    expect(api.getMeetup).toHaveBeenCalledTimes(before + 1);
  });

  it('keeps a load error with its code', async () => {
    const api = { getMeetup: vi.fn(async () => Promise.reject(new ApiError(404, { code: 'not_found', detail: 'Niet gevonden.' }))) } as unknown as MeetupApi;
    const s = new MeetupStore(null, api);
    await s.open(5);
    expect(s.status).toBe('error');
    expect(s.error?.status).toBe(404);
  });
});

describe('GroupMeetupsStore', () => {
  it('loads upcoming and past, applies changes and reloads for a newly published meetup', async () => {
    const { client, ws } = live();
    const listGroupMeetups = vi.fn(async (_slug: string, when: string) => (when === 'upcoming' ? [makeMeetup()] : []));
    const s = new GroupMeetupsStore(client, { listGroupMeetups } as unknown as MeetupApi);
    await s.open('energie-klimaat');
    expect(s.upcoming).toHaveLength(1);
    subscribe(ws, client);
    ws.receive({ type: 'meetup.changed', group: 'energie-klimaat', seq: 1, meetup: makeMeetup({ title: 'Anders' }) });
    expect(s.upcoming[0].title).toBe('Anders');
    ws.receive({ type: 'meetup.rsvps', group: 'energie-klimaat', seq: 2, meetup: 41, going_count: 9, maybe_count: 0, waitlist_count: 0, seats_left: 11 });
    expect(s.upcoming[0].going_count).toBe(9);
    const before = listGroupMeetups.mock.calls.length;
    ws.receive({ type: 'meetup.changed', group: 'energie-klimaat', seq: 3, meetup: makeMeetup({ id: 42 }) });
    expect(listGroupMeetups.mock.calls.length).toBe(before + 2);
  });
});

describe('SupportRequestsStore', () => {
  function api(over: Partial<RequestsApi> = {}): RequestsApi {
    return {
      listSupportRequests: vi.fn(async () => [makeSupportRequest(), makeSupportRequest({ id: 9, state: 'declined', decided_at: '2026-11-26T10:00:00Z' })]),
      listBranches: vi.fn(async () => [{ id: 1, name: 'Centrale bibliotheek', address: 'Plein 1', rooms: [{ id: 4, name: 'Zaal 1', capacity: 30, accessibility: '' }] }]),
      approveSupport: vi.fn(async (id: number) => makeSupportRequest({ id, state: 'approved' })),
      declineSupport: vi.fn(async (id: number, note: string) => makeSupportRequest({ id, state: 'declined', note })),
      ...over,
    } as RequestsApi;
  }

  it('subscribes, loads and takes support.request frames live', async () => {
    const { client, ws } = live();
    const s = new SupportRequestsStore(client, api());
    await s.open('voorbeeldstad');
    expect(ws.framesOfType('moderation.subscribe')).toEqual([{ type: 'moderation.subscribe', library: 'voorbeeldstad' }]);
    expect(s.pending.map((r) => r.id)).toEqual([8]);
    expect(s.decided.map((r) => r.id)).toEqual([9]);
    ws.receive({ type: 'moderation.subscribed', library: 'voorbeeldstad' });
    expect(s.live).toBe(true);
    ws.receive({ type: 'support.request', request: makeSupportRequest({ id: 10, created_at: '2026-11-24T10:00:00Z' }) });
    expect(s.pending.map((r) => r.id)).toEqual([10, 8]);
    expect(s.lastLive?.id).toBe(10);
    ws.receive({ type: 'support.request', request: makeSupportRequest({ id: 10, state: 'approved', decided_at: '2026-11-27T10:00:00Z' }) });
    expect(s.pending.map((r) => r.id)).toEqual([8]);
    expect(s.decided.map((r) => r.id)).toEqual([10, 9]);
  });

  it('approves with a room, and lets a refusal reach the form', async () => {
    const a = api({ approveSupport: vi.fn(async () => Promise.reject(new ApiError(409, { code: 'room_taken', detail: 'Bezet.' }))) });
    const s = new SupportRequestsStore(null, a);
    await s.open('voorbeeldstad');
    await expect(s.approve(8, 4, '')).rejects.toMatchObject({ code: 'room_taken' });
    expect(a.approveSupport).toHaveBeenCalledWith(8, { room: 4, note: '' });
    expect(s.pending).toHaveLength(1);
    await s.decline(8, 'Vol');
    expect(s.pending).toHaveLength(0);
  });

  it('subscribes again and reloads after a reconnect', async () => {
    const { client, ws } = live();
    const a = api();
    const s = new SupportRequestsStore(client, a);
    await s.open('voorbeeldstad');
    ws.serverClose(1006);
    client.reconnectNow();
    const ws2 = FakeSocket.latest();
    ws2.open();
    expect(ws2.framesOfType('moderation.subscribe')).toHaveLength(1);
    expect(a.listSupportRequests).toHaveBeenCalledTimes(2);
  });
});

describe('NotificationsStore', () => {
  function api(over: Partial<NotificationsApi> = {}): NotificationsApi {
    return {
      listNotifications: vi.fn(async () => ({ unread: 1, results: [makeNotification(), makeNotification({ id: 0, read: true })] })),
      markNotificationsRead: vi.fn(async () => ({ unread: 0 })),
      ...over,
    } as NotificationsApi;
  }

  it('loads, puts live notifications on top and takes the server’s unread count', async () => {
    const { client, ws } = live();
    const s = new NotificationsStore(client, api());
    ws.receive({ type: 'notification', notification: makeNotification({ id: 5 }), unread: 9 });
    expect(s.items).toEqual([]); // not signed in yet
    await s.start();
    expect(s.unread).toBe(1);
    ws.receive({ type: 'notification', notification: makeNotification({ id: 2, kind: 'meetup.cancelled' }), unread: 2 });
    expect(s.items.map((n) => n.id)).toEqual([2, 1, 0]);
    expect(s.unread).toBe(2);
    expect(s.latest?.kind).toBe('meetup.cancelled');
    s.clear();
    expect(s.items).toEqual([]);
    expect(s.unread).toBe(0);
  });

  it('marks one or all read, and rolls back when the server refuses', async () => {
    const a = api();
    const s = new NotificationsStore(null, a);
    await s.start();
    await s.markRead([1]);
    expect(a.markNotificationsRead).toHaveBeenCalledWith({ ids: [1] });
    expect(s.items[0].read).toBe(true);
    expect(s.unread).toBe(0);
    await s.markRead([1]); // nothing unread: no call
    expect(a.markNotificationsRead).toHaveBeenCalledTimes(1);
    const failing = api({ markNotificationsRead: vi.fn(async () => Promise.reject(new ApiError(0, { code: 'network_error', detail: '' }))) });
    const t = new NotificationsStore(null, failing);
    await t.start();
    await expect(t.markRead()).rejects.toBeInstanceOf(ApiError);
    expect(t.unread).toBe(1);
    expect(t.items[0].read).toBe(false);
    await s.markRead();
    expect(a.markNotificationsRead).toHaveBeenLastCalledWith({ all: true });
  });
});
