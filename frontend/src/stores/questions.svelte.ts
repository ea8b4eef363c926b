// The questions of one live meetup: sorted like the server (docs/meetups.md, "Questions"), kept current
// by `meetup.question` events, with the viewer's own votes (broadcasts always say `voted: false`).
import { ApiError } from '../api/client';
import {
  askQuestion,
  setQuestionState,
  voteQuestion,
  type LiveSnapshot,
  type Question,
  type QuestionState,
} from '../api/live';
import { apiErrorText } from '../i18n/errors';
import { i18n } from '../i18n/index.svelte';

const RANK: Record<QuestionState, number> = { answering: 0, open: 1, answered: 2 };

/** The spotlighted one first, then open ones by votes (then oldest first), answered ones last. */
export function compareQuestions(a: Question, b: Question): number {
  return (
    RANK[a.state] - RANK[b.state] ||
    b.votes - a.votes ||
    Date.parse(a.created_at) - Date.parse(b.created_at) ||
    a.id - b.id
  );
}

export function sortQuestions(list: readonly Question[]): Question[] {
  return [...list].sort(compareQuestions);
}

export interface QuestionEvent {
  meetup: number;
  question: Question;
}

/** The REST calls the store makes (replaceable in tests). */
export interface QuestionsApi {
  ask(meetup: number, body: string): Promise<Question>;
  vote(question: number, vote: boolean): Promise<Question>;
  setState(question: number, state: QuestionState): Promise<Question>;
}

const restApi: QuestionsApi = { ask: askQuestion, vote: voteQuestion, setState: setQuestionState };

export class QuestionsStore {
  meetup = $state<number | null>(null);
  /** Sorted. */
  list = $state.raw<Question[]>([]);
  /** Questions the viewer voted for. */
  myVotes = $state<Record<number, true>>({});
  /** Votes and state changes under way, by question. */
  busy = $state<Record<number, boolean>>({});
  /** Why the last action on a question failed, by question (0: asking). */
  errors = $state<Record<number, string>>({});
  /** A polite announcement of the last change others made (a live region shows it). */
  announcement = $state('');

  constructor(private readonly api: QuestionsApi = restApi) {}

  /** The question being answered now. */
  get spotlight(): Question | null {
    return this.list.find((q) => q.state === 'answering') ?? null;
  }

  /** Open questions by votes (the projector shows the first few). */
  get open(): Question[] {
    return this.list.filter((q) => q.state === 'open');
  }

  voted(id: number): boolean {
    return !!this.myVotes[id];
  }

  /** Starts over with a snapshot (`GET meetups/{id}/live/`). */
  load(snapshot: Pick<LiveSnapshot, 'meetup' | 'questions' | 'spotlight'>): void {
    this.meetup = snapshot.meetup.id;
    const byId = new Map<number, Question>();
    // Moderators also get hidden questions (marked); no screen here shows them.
    for (const q of snapshot.questions) if (!q.hidden) byId.set(q.id, q);
    if (snapshot.spotlight && !snapshot.spotlight.hidden && !byId.has(snapshot.spotlight.id)) byId.set(snapshot.spotlight.id, snapshot.spotlight);
    const votes: Record<number, true> = {};
    for (const q of byId.values()) if (q.voted) votes[q.id] = true;
    this.myVotes = votes;
    this.list = sortQuestions([...byId.values()]);
    this.busy = {};
    this.errors = {};
    this.announcement = '';
  }

  clear(): void {
    this.meetup = null;
    this.list = [];
    this.myVotes = {};
    this.busy = {};
    this.errors = {};
    this.announcement = '';
  }

  /** A `meetup.question` event: asked, voted, state changed or hidden. */
  onEvent(ev: QuestionEvent): void {
    if (this.meetup === null || ev.meetup !== this.meetup) return;
    const q = ev.question;
    const before = this.list.findIndex((x) => x.id === q.id);
    const prev = before >= 0 ? this.list[before] : null;
    this.upsert(q);
    if (q.hidden) return;
    const after = this.list.findIndex((x) => x.id === q.id);
    const m = i18n.m.live;
    if (!prev) this.announcement = m.announceAsked(q.body);
    else if (q.state === 'answering' && prev.state !== 'answering') this.announcement = m.announceAnswering(q.body);
    else if (q.state === 'answered' && prev.state !== 'answered') this.announcement = m.announceAnswered(q.body);
    else if (after !== before) this.announcement = m.announceMoved(q.body, after + 1, q.votes);
  }

  /** Puts a question (from an event or a REST answer) in its place; a hidden one leaves. */
  upsert(q: Question): void {
    const rest = this.list.filter((x) => x.id !== q.id);
    if (q.hidden) {
      this.list = rest;
      delete this.myVotes[q.id];
      return;
    }
    // Our own vote is ours to know: a REST answer tells it, a broadcast does not.
    const voted = 'voted' in q && q.voted ? true : !!this.myVotes[q.id];
    this.list = sortQuestions([...rest, { ...q, voted }]);
  }

  /** Asks a question; true when it was taken. */
  async ask(body: string): Promise<boolean> {
    const text = body.trim();
    if (this.meetup === null || !text) return false;
    delete this.errors[0];
    this.busy[0] = true;
    try {
      const q = await this.api.ask(this.meetup, text);
      this.upsert(q);
      return true;
    } catch (err) {
      this.errors[0] = apiErrorText(err);
      return false;
    } finally {
      delete this.busy[0];
    }
  }

  /** Votes, or takes the vote back; the count changes at once and is put back when refused. */
  async toggleVote(id: number): Promise<void> {
    const q = this.list.find((x) => x.id === id);
    if (!q || this.busy[id]) return;
    const vote = !this.myVotes[id];
    delete this.errors[id];
    this.busy[id] = true;
    this.setVote(id, vote);
    this.upsert({ ...q, votes: Math.max(0, q.votes + (vote ? 1 : -1)), voted: vote });
    try {
      const answer = await this.api.vote(id, vote);
      this.setVote(id, vote);
      this.upsert({ ...answer, voted: vote });
    } catch (err) {
      this.setVote(id, !vote);
      const now = this.list.find((x) => x.id === id);
      if (now) this.upsert({ ...now, votes: q.votes, voted: !vote });
      if (!(err instanceof ApiError && err.status === 404)) this.errors[id] = apiErrorText(err);
    } finally {
      delete this.busy[id];
    }
  }

  /** Hosts: "Nu beantwoorden" (answering) or "Beantwoord" (answered), or open again. */
  async setState(id: number, state: QuestionState): Promise<void> {
    if (this.busy[id]) return;
    delete this.errors[id];
    this.busy[id] = true;
    try {
      const answer = await this.api.setState(id, state);
      // One question at a time is answered: the one before leaves the spotlight (its event follows).
      if (state === 'answering') {
        for (const other of this.list) {
          if (other.id !== id && other.state === 'answering') this.upsert({ ...other, state: 'answered' });
        }
      }
      this.upsert(answer);
    } catch (err) {
      this.errors[id] = apiErrorText(err);
    } finally {
      delete this.busy[id];
    }
  }

  private setVote(id: number, vote: boolean): void {
    if (vote) this.myVotes[id] = true;
    else delete this.myVotes[id];
  }
}
