import { describe, expect, it } from 'vitest';
import { ModerationStore } from './moderation.svelte';

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
