import { describe, expect, it, vi } from 'vitest';
import { getGroupModerationState } from '../api/endpoints';
import { ModerationStore } from './moderation.svelte';

vi.mock('../api/endpoints', async (original) => ({
  ...(await original<typeof import('../api/endpoints')>()),
  getGroupModerationState: vi.fn(() => Promise.reject(new Error('offline'))),
}));

const G = 'energie-en-klimaat';

describe('ModerationStore: slow mode', () => {
  it('keeps slow mode per group and per thread; the strictest applies to a thread', () => {
    const m = new ModerationStore();
    expect(m.slowModeOf(G, null)).toBeUndefined();
    expect(m.slowModeFor(G, 12)).toBe(0);
    m.onSlowMode({ group: G, thread: null, seconds: 30 });
    m.onSlowMode({ group: G, thread: 12, seconds: 120 });
    m.onSlowMode({ group: 'boeken', thread: 7, seconds: 10 });
    expect(m.slowModeOf(G, null)).toBe(30);
    expect(m.slowModeOf(G, 12)).toBe(120);
    expect(m.slowModeFor(G, 12)).toBe(120);
    expect(m.slowModeFor(G, 13)).toBe(30);
    expect(m.slowModeFor('boeken', 7)).toBe(10);
    m.onSlowMode({ group: G, thread: 12, seconds: 0 });
    expect(m.slowModeFor(G, 12)).toBe(30);
    m.onSlowMode({ group: G, thread: null, seconds: 0 });
    expect(m.slowModeFor(G, 12)).toBe(0);
    m.clear();
    expect(m.slowModeOf('boeken', 7)).toBeUndefined();
  });
});

describe('ModerationStore: notices and mutes', () => {
  it('keeps the latest notices until dismissed, and the mute they announce', () => {
    const m = new ModerationStore();
    m.onNotice({ type: 'moderation.notice', action: 'hide', group: G, reason: 'Spam', message: 311, thread: 12 });
    m.onNotice({ type: 'moderation.notice', action: 'mute', group: G, reason: 'Even afkoelen', until: '2026-11-25T16:00:00Z' });
    expect(m.notices.map((n) => n.frame.action)).toEqual(['hide', 'mute']);
    expect(m.mutedIn(G, Date.parse('2026-11-25T15:00:00Z'))).toEqual({ until: '2026-11-25T16:00:00Z' });
    expect(m.mutedIn(G, Date.parse('2026-11-25T16:00:01Z'))).toBeNull();
    m.dismissNotice(m.notices[0].id);
    expect(m.notices.map((n) => n.frame.action)).toEqual(['mute']);
    m.onNotice({ type: 'moderation.notice', action: 'unmute', group: G, reason: '' });
    expect(m.mutedIn(G)).toBeNull();
    m.onNotice({ type: 'moderation.notice', action: 'mute', group: 'boeken', reason: 'x', until: null });
    expect(m.mutedIn('boeken')).toEqual({ until: null });
    for (let i = 0; i < 10; i++) m.onNotice({ type: 'moderation.notice', action: 'kick', group: G, reason: `${i}` });
    expect(m.notices).toHaveLength(5);
    expect(m.notices.at(-1)?.frame.reason).toBe('9');
  });
});

describe('ModerationStore: outcomes of reports and appeals', () => {
  it('shows report outcomes and appeal decisions until dismissed', () => {
    const m = new ModerationStore();
    m.onOutcome({ type: 'report.outcome', report: 5, group: G, outcome: 'acted', note: 'Verborgen' });
    m.onOutcome({ type: 'appeal.decided', appeal: 4, status: 'overturned', reason: 'Terecht' });
    expect(m.outcomes.map((o) => o.frame.type)).toEqual(['report.outcome', 'appeal.decided']);
    m.dismissNotice(m.outcomes[0].id);
    expect(m.outcomes.map((o) => o.frame.type)).toEqual(['appeal.decided']);
    m.clear();
    expect(m.outcomes).toEqual([]);
  });
});

describe('ModerationStore: the group state on page load', () => {
  const state = {
    group: G,
    slow_mode: { group: 30, threads: { '12': 120 } },
    moderator: false,
    muted: true,
    muted_until: '2026-11-25T18:00:00Z',
    banned: false,
  };

  it('knows slow mode and the own mute and ban from GET …/state/, without any live event', async () => {
    const m = new ModerationStore();
    vi.mocked(getGroupModerationState).mockResolvedValueOnce(state);
    await m.loadGroupState(G);
    expect(vi.mocked(getGroupModerationState)).toHaveBeenCalledWith(G);
    expect(m.slowModeOf(G, null)).toBe(30);
    expect(m.slowModeOf(G, 12)).toBe(120);
    expect(m.slowModeFor(G, 12)).toBe(120);
    expect(m.slowModeFor(G, 13)).toBe(30);
    expect(m.mutedIn(G, Date.parse('2026-11-25T17:00:00Z'))).toEqual({ until: '2026-11-25T18:00:00Z' });
    expect(m.bannedFrom(G)).toBe(false);
  });

  it('replaces what it knew: slow mode turned off, a mute lifted, a ban', () => {
    const m = new ModerationStore();
    m.onSlowMode({ group: G, thread: 12, seconds: 60 });
    m.onNotice({ type: 'moderation.notice', action: 'mute', group: G, until: null } as never);
    m.applyGroupState({ ...state, slow_mode: { group: 0, threads: {} }, muted: false, muted_until: null, banned: true });
    expect(m.slowModeOf(G, null)).toBe(0);
    expect(m.slowModeFor(G, 12)).toBe(0);
    expect(m.mutedIn(G)).toBeNull();
    expect(m.bannedFrom(G)).toBe(true);
    m.clear();
    expect(m.bannedFrom(G)).toBe(false);
  });

  it('keeps what it knows when the state cannot be loaded', async () => {
    const m = new ModerationStore();
    m.onSlowMode({ group: G, thread: null, seconds: 10 });
    await m.loadGroupState(G);
    expect(m.slowModeOf(G, null)).toBe(10);
  });
});
