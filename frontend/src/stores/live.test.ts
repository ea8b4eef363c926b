// The live store with a real realtime client on a fake socket and REST mocked at fetch: a guest
// cannot see the meetup's group over REST, so the socket follows the group itself (from now), and
// its events reach the conversation and the questions.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LiveSnapshot, Question } from '../api/live';
import { created, FakeSocket, fakeClient } from '../realtime/testing';
import { GroupsStore } from './groups.svelte';
import { LiveStore, wireLive } from './live.svelte';
import type { SessionStore } from './session.svelte';

const GROUP = 'energie-en-klimaat';

function question(over: Partial<Question> = {}): Question {
  return {
    id: 1,
    meetup: 5,
    body: 'Wat kost isoleren?',
    author: { id: 50, display_name: 'Gast Ellen' },
    votes: 0,
    voted: false,
    state: 'open',
    created_at: '2026-12-03T18:40:00Z',
    answered_at: null,
    ...over,
  };
}

const SNAPSHOT: LiveSnapshot = {
  meetup: {
    id: 5,
    title: 'Samen besparen',
    starts_at: '2026-12-03T18:30:00Z',
    ends_at: '2026-12-03T20:00:00Z',
    status: 'published',
    group: { slug: GROUP, name: 'Energie & Klimaat' },
    live: true,
    thread: 12,
    can_manage: false,
  },
  questions: [question()],
  spotlight: null,
  participants: 3,
};

function stubRest() {
  const calls: string[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string) => {
      calls.push(url);
      const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });
      if (url === '/api/v1/meetups/5/live/') return json(200, SNAPSHOT);
      if (url === '/api/v1/threads/12/')
        return json(200, { id: 12, group: GROUP, title: 'Samen besparen', created_by: { id: 1, display_name: 'Sanne' }, created_at: '', last_message_at: null, message_count: 0, locked: false });
      if (url === '/api/v1/threads/12/messages/') return json(200, { next: null, previous: null, results: [] });
      if (url === `/api/v1/groups/${GROUP}/`) return json(403, { code: 'guest_not_allowed', detail: 'Niet voor gasten.' });
      return json(404, { code: 'not_found', detail: '' });
    }),
  );
  return calls;
}

afterEach(() => vi.unstubAllGlobals());

describe('LiveStore (guest)', () => {
  it('follows the meetup group directly, applies its events, and lets go on close', async () => {
    stubRest();
    const { client: rt } = fakeClient();
    rt.connect();
    const ws = FakeSocket.latest();
    ws.open();
    const groups = new GroupsStore(rt);
    groups.live = true;
    const session = { status: 'authenticated', me: { id: 50, display_name: 'Gast Ellen' } } as unknown as SessionStore;
    const live = new LiveStore({ rt, groups, session });
    wireLive(rt, live);

    await live.open(5);
    expect(live.status).toBe('loaded');
    expect(live.direct).toBe(true);
    expect(live.view?.status).toBe('loaded');
    // Subscribed without after_seq: from the group's current seq (a guest has no REST last_seq).
    const subs = ws.framesOfType('subscribe');
    expect(subs).toHaveLength(1);
    expect(subs[0]).toMatchObject({ group: GROUP });
    expect(subs[0]).not.toHaveProperty('after_seq');
    ws.receive({ type: 'subscribed', group: GROUP, last_seq: 40 });

    ws.receive(created(41, { id: 311, thread: 12, body: 'Hallo zaal', author: { id: 7, display_name: 'Anouk' } }, GROUP));
    expect(live.view?.messages.map((m) => m.body)).toEqual(['Hallo zaal']);

    ws.receive({ type: 'meetup.question', group: GROUP, seq: 42, meetup: 5, question: question({ id: 2, body: 'Tweede', votes: 2 }) });
    expect(live.questions.list.map((q) => q.id)).toEqual([2, 1]);
    // Another meetup's question in the same group is not ours.
    ws.receive({ type: 'meetup.question', group: GROUP, seq: 43, meetup: 6, question: question({ id: 9, meetup: 6 }) });
    expect(live.questions.list.map((q) => q.id)).toEqual([2, 1]);

    expect(live.send('Goedenavond')).toBe(true);
    expect(ws.framesOfType('message.send')[0]).toMatchObject({ thread: 12, body: 'Goedenavond' });

    ws.receive({ type: 'meetup.changed', group: GROUP, seq: 44, meetup: { ...SNAPSHOT.meetup, live: false, status: 'finished' } });
    expect(live.meetup).toMatchObject({ live: false, status: 'finished', join_code: null });

    ws.receive({ type: 'unsubscribed', group: GROUP, reason: 'expired' });
    expect(live.accessEnded).toBe(true);

    live.close(5);
    expect(live.direct).toBe(false);
    expect(live.view).toBeNull();
  });

  it('shows a meetup it cannot see as an error (404)', async () => {
    stubRest();
    const { client: rt } = fakeClient();
    const live = new LiveStore({ rt, groups: new GroupsStore(rt), session: { status: 'anonymous', me: null } as unknown as SessionStore });
    await live.open(99);
    expect(live.status).toBe('error');
    expect(live.error?.status).toBe(404);
  });
});
