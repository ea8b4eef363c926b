import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import type { Question, QuestionState } from '../api/live';
import { compareQuestions, QuestionsStore, sortQuestions, type QuestionsApi } from './questions.svelte';

let nextId = 1;
function q(over: Partial<Question> = {}): Question {
  const id = over.id ?? nextId++;
  return {
    id,
    meetup: 7,
    body: `Vraag ${id}`,
    author: { id: 1, display_name: 'Gast Ellen' },
    votes: 0,
    voted: false,
    state: 'open',
    created_at: `2026-12-03T18:${String(id).padStart(2, '0')}:00Z`,
    answered_at: null,
    ...over,
  };
}

const meetup = { id: 7 } as Parameters<QuestionsStore['load']>[0]['meetup'];

/** An API whose answers the test decides. */
function fakeApi() {
  const calls: string[] = [];
  let fail: ApiError | null = null;
  const api: QuestionsApi = {
    async ask(m, body) {
      calls.push(`ask ${m} ${body}`);
      if (fail) throw fail;
      return q({ id: 100, body, meetup: m, voted: false });
    },
    async vote(id, vote) {
      calls.push(`vote ${id} ${vote}`);
      if (fail) throw fail;
      return { ...q({ id }), votes: vote ? 5 : 4, voted: vote };
    },
    async setState(id, state: QuestionState) {
      calls.push(`state ${id} ${state}`);
      if (fail) throw fail;
      return q({ id, state });
    },
  };
  return { api, calls, failWith: (e: ApiError | null) => (fail = e) };
}

const ids = (s: QuestionsStore) => s.list.map((x) => x.id);

describe('sorting questions', () => {
  it('puts the spotlight first, then open ones by votes and age, answered last', () => {
    const old = q({ id: 1, votes: 3 });
    const young = q({ id: 2, votes: 3 });
    const top = q({ id: 3, votes: 9 });
    const answered = q({ id: 4, votes: 20, state: 'answered' });
    const now = q({ id: 5, votes: 0, state: 'answering' });
    expect(sortQuestions([answered, young, old, top, now]).map((x) => x.id)).toEqual([5, 3, 1, 2, 4]);
    expect(compareQuestions(old, young)).toBeLessThan(0);
  });
});

describe('QuestionsStore', () => {
  it('loads a snapshot sorted without hidden questions and remembers the viewer’s own votes', () => {
    const s = new QuestionsStore(fakeApi().api);
    s.load({ meetup, questions: [q({ id: 1, votes: 1 }), q({ id: 2, votes: 2, voted: true }), q({ id: 3, votes: 9, hidden: true })], spotlight: null });
    expect(ids(s)).toEqual([2, 1]);
    expect(s.voted(2)).toBe(true);
    expect(s.voted(1)).toBe(false);
    expect(s.spotlight).toBeNull();
  });

  it('re-sorts on events, keeps its own vote though broadcasts say voted: false, and announces the move', () => {
    const s = new QuestionsStore(fakeApi().api);
    s.load({ meetup, questions: [q({ id: 1, votes: 2, voted: true }), q({ id: 2, votes: 1 })], spotlight: null });
    s.onEvent({ meetup: 7, question: q({ id: 2, votes: 3, body: 'Hoe isoleer ik mijn dak?' }) });
    expect(ids(s)).toEqual([2, 1]);
    expect(s.announcement).toContain('Hoe isoleer ik mijn dak?');
    expect(s.announcement).toContain('plaats 1');
    s.onEvent({ meetup: 7, question: q({ id: 1, votes: 4, voted: false }) });
    expect(ids(s)).toEqual([1, 2]);
    expect(s.voted(1)).toBe(true);
  });

  it('ignores other meetups’ events, adds new questions, drops hidden ones and follows the spotlight', () => {
    const s = new QuestionsStore(fakeApi().api);
    s.load({ meetup, questions: [q({ id: 1, votes: 5 })], spotlight: null });
    s.onEvent({ meetup: 8, question: q({ id: 9, meetup: 8 }) });
    expect(ids(s)).toEqual([1]);
    s.onEvent({ meetup: 7, question: q({ id: 2, body: 'Nieuw' }) });
    expect(ids(s)).toEqual([1, 2]);
    expect(s.announcement).toBe('Nieuwe vraag: Nieuw');
    s.onEvent({ meetup: 7, question: q({ id: 2, body: 'Nieuw', state: 'answering' }) });
    expect(s.spotlight?.id).toBe(2);
    expect(ids(s)).toEqual([2, 1]);
    s.onEvent({ meetup: 7, question: q({ id: 2, state: 'answered' }) });
    expect(s.spotlight).toBeNull();
    expect(ids(s)).toEqual([1, 2]);
    s.onEvent({ meetup: 7, question: { ...q({ id: 1 }), hidden: true } });
    expect(ids(s)).toEqual([2]);
  });

  it('toggles a vote at once, keeps the server’s count, and undoes it when refused', async () => {
    const f = fakeApi();
    const s = new QuestionsStore(f.api);
    s.load({ meetup, questions: [q({ id: 1, votes: 4 }), q({ id: 2, votes: 4 })], spotlight: null });
    const pending = s.toggleVote(2);
    expect(s.voted(2)).toBe(true);
    expect(s.list.find((x) => x.id === 2)?.votes).toBe(5);
    expect(ids(s)).toEqual([2, 1]);
    await pending;
    expect(f.calls).toEqual(['vote 2 true']);
    expect(s.list.find((x) => x.id === 2)).toMatchObject({ votes: 5, voted: true });

    await s.toggleVote(2);
    expect(f.calls.at(-1)).toBe('vote 2 false');
    expect(s.voted(2)).toBe(false);
    expect(ids(s)).toEqual([1, 2]);

    f.failWith(new ApiError(403, { code: 'permission_denied', detail: 'Niet toegestaan.' }));
    await s.toggleVote(1);
    expect(s.voted(1)).toBe(false);
    expect(s.list.find((x) => x.id === 1)?.votes).toBe(4);
    expect(s.errors[1]).toBe('Niet toegestaan.');
  });

  it('asks a question (trimmed) and shows a refusal', async () => {
    const f = fakeApi();
    const s = new QuestionsStore(f.api);
    s.load({ meetup, questions: [], spotlight: null });
    expect(await s.ask('   ')).toBe(false);
    expect(await s.ask('  Wat kost een warmtepomp? ')).toBe(true);
    expect(f.calls).toEqual(['ask 7 Wat kost een warmtepomp?']);
    expect(s.list.map((x) => x.body)).toEqual(['Wat kost een warmtepomp?']);
    f.failWith(new ApiError(409, { code: 'meetup_finished', detail: 'Deze bijeenkomst is afgelopen.' }));
    expect(await s.ask('Nog een')).toBe(false);
    expect(s.errors[0]).toBe('Deze bijeenkomst is afgelopen.');
  });

  it('hosts put a question in the spotlight; the one before leaves it', async () => {
    const f = fakeApi();
    const s = new QuestionsStore(f.api);
    s.load({ meetup, questions: [q({ id: 1, state: 'answering' }), q({ id: 2, votes: 3 })], spotlight: q({ id: 1, state: 'answering' }) });
    await s.setState(2, 'answering');
    expect(f.calls).toEqual(['state 2 answering']);
    expect(s.spotlight?.id).toBe(2);
    expect(s.list.filter((x) => x.state === 'answering').map((x) => x.id)).toEqual([2]);
  });
});
