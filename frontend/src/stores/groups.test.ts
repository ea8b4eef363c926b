import { describe, expect, it, vi } from 'vitest';
import { getGroup } from '../api/endpoints';
import type { Group } from '../api/types';
import { fakeClient, FakeSocket } from '../realtime/testing';
import { GroupsStore } from './groups.svelte';

vi.mock('../api/endpoints', async (original) => ({
  ...(await original<typeof import('../api/endpoints')>()),
  getGroup: vi.fn(() => Promise.reject(new Error('offline'))),
}));

function group(slug: string): Group {
  return {
    id: 1,
    slug,
    name: slug,
    description: '',
    themes: [],
    visibility: 'public',
    library: { slug: 'bieb', name: 'Bieb' },
    member_count: 3,
    last_seq: 41,
    membership: { role: 'member', state: 'active' },
    unread: 0,
  };
}

describe('GroupsStore: subscribe errors', () => {
  it('keeps the error of a refused subscribe for its group until a subscribe succeeds', () => {
    const { client: rt } = fakeClient();
    const groups = new GroupsStore(rt);
    const passedOn: string[] = [];
    rt.on('error', (e) => groups.onError(e) || passedOn.push(e.code));
    rt.on('subscribed', (f) => groups.onSubscribed(f.group));
    rt.connect();
    const ws = FakeSocket.latest();
    ws.open();
    groups.live = true;
    groups.list = [group('energie-klimaat'), group('boeken')];
    groups.syncSubscriptions();
    const refs = ws.framesOfType('subscribe').map((f) => f.ref);
    expect(refs).toEqual(['subscribe:1', 'subscribe:2']);

    ws.receive({ type: 'error', code: 'not_found', detail: 'Deze groep bestaat niet.', ref: 'subscribe:2' });
    ws.receive({ type: 'error', code: 'not_a_member', detail: 'Word eerst lid.', ref: 'read:12' });
    expect(groups.liveError).toEqual({ boeken: 'Deze groep bestaat niet.' });
    expect(passedOn).toEqual(['not_a_member']);

    ws.receive({ type: 'subscribed', group: 'boeken', last_seq: 41 });
    expect(groups.liveError).toEqual({});
  });
});

describe('GroupsStore: a refused subscribe is asked again', () => {
  it('on the next visit of the group, and stops trying when no page wants it', async () => {
    const { client: rt, timers } = fakeClient();
    const groups = new GroupsStore(rt);
    rt.on('error', (e) => groups.onError(e));
    rt.connect();
    const ws = FakeSocket.latest();
    ws.open();
    groups.live = true;
    const boeken = { ...group('boeken'), membership: null };
    groups.list = [boeken];
    vi.mocked(getGroup).mockResolvedValueOnce(boeken);
    await groups.view('boeken');
    expect(ws.framesOfType('subscribe')).toHaveLength(1);
    ws.receive({ type: 'error', code: 'rate_limited', detail: 'Te snel.', ref: 'subscribe:1' });
    expect(groups.liveError).toEqual({ boeken: 'Te snel.' });
    expect(rt.isSubscribed('boeken')).toBe(false);
    groups.release('boeken');

    // Navigating to the group again asks at once (not only after a reconnect).
    vi.mocked(getGroup).mockResolvedValueOnce({ ...boeken, last_seq: 50 });
    await groups.view('boeken');
    expect(ws.framesOfType('subscribe').at(-1)).toEqual({ type: 'subscribe', group: 'boeken', after_seq: 50, ref: 'subscribe:1' });
    expect(groups.liveError).toEqual({});
    ws.receive({ type: 'error', code: 'rate_limited', detail: 'Te snel.', ref: 'subscribe:1' });
    groups.release('boeken');
    // Nobody shows the group any more: the back-off retry is cancelled.
    timers.advance(60_000);
    expect(ws.framesOfType('subscribe')).toHaveLength(2);
  });
});

describe('GroupsStore: which groups are followed', () => {
  it('follows a closed group a moderator is looking at, though not a member', async () => {
    const { client: rt } = fakeClient();
    const closed = { ...group('mantelzorgers'), visibility: 'closed' as const, membership: null };
    const forModerator = new GroupsStore(rt, { moderates: () => true });
    const forOthers = new GroupsStore(rt, { moderates: () => false });
    for (const store of [forModerator, forOthers]) {
      store.live = true;
      store.list = [closed];
      await store.view('mantelzorgers').catch(() => {});
    }
    expect(forModerator.wanted('mantelzorgers')).toBe(true);
    expect(forOthers.wanted('mantelzorgers')).toBe(false);
    forModerator.release('mantelzorgers');
    expect(forModerator.wanted('mantelzorgers')).toBe(false);
  });
});
