import { describe, expect, it } from 'vitest';
import { amsterdamToUtc, embedSnippet, formatRange, mergeChanged, utcToAmsterdam, withCounts } from './meetups';
import { makeMeetup } from './meetups.fixtures';

describe('meetup times', () => {
  it('formats a range Dutch style in Amsterdam time', () => {
    expect(formatRange('2026-12-03T18:30:00Z', '2026-12-03T20:00:00Z')).toBe('do 3 dec 2026, 19:30–21:00');
    // Summer time: UTC+2
    expect(formatRange('2026-06-04T17:00:00Z', '2026-06-04T19:15:00Z')).toBe('do 4 jun 2026, 19:00–21:15');
  });

  it('formats in English, and spells out another end day', () => {
    expect(formatRange('2026-12-03T18:30:00Z', '2026-12-03T20:00:00Z', 'en')).toBe('Thu 3 Dec 2026, 19:30–21:00');
    expect(formatRange('2026-12-03T22:00:00Z', '2026-12-04T00:30:00Z')).toBe('do 3 dec 2026, 23:00 – vr 4 dec 2026, 01:30');
  });

  it('turns Amsterdam local time into UTC, in winter and in summer', () => {
    expect(amsterdamToUtc('2026-12-03', '19:30')).toBe('2026-12-03T18:30:00.000Z');
    expect(amsterdamToUtc('2026-06-04', '19:00')).toBe('2026-06-04T17:00:00.000Z');
    // The night of the change to winter time (25 Oct 2026) and to summer time (29 Mar 2026)
    expect(amsterdamToUtc('2026-10-25', '12:00')).toBe('2026-10-25T11:00:00.000Z');
    expect(amsterdamToUtc('2026-03-29', '12:00')).toBe('2026-03-29T10:00:00.000Z');
    expect(amsterdamToUtc('2026-12-03', '')).toBeNull();
    expect(amsterdamToUtc('3-12-2026', '19:30')).toBeNull();
  });

  it('gives the form its Amsterdam date and time back', () => {
    expect(utcToAmsterdam('2026-12-03T18:30:00Z')).toEqual({ date: '2026-12-03', time: '19:30' });
    expect(utcToAmsterdam('2026-06-04T22:30:00Z')).toEqual({ date: '2026-06-05', time: '00:30' });
  });
});

describe('meetup events', () => {
  it('applies counts', () => {
    const m = withCounts(makeMeetup(), { going_count: 20, maybe_count: 0, waitlist_count: 3, seats_left: 0 });
    expect([m.going_count, m.maybe_count, m.waitlist_count, m.seats_left]).toEqual([20, 0, 3, 0]);
  });

  it('keeps the viewer’s own fields when a member’s view of the meetup arrives', () => {
    const mine = makeMeetup({
      can_manage: true,
      live: true,
      join_code: 'ABC234',
      join_url: 'http://x/m/ABC234',
      my_rsvp: { answer: 'going', waitlisted: false, position: null, share_name: true },
    });
    const broadcast = makeMeetup({ title: 'Nieuw', live: true });
    const merged = mergeChanged(mine, broadcast);
    expect(merged.title).toBe('Nieuw');
    expect(merged.can_manage).toBe(true);
    expect(merged.my_rsvp?.answer).toBe('going');
    expect(merged.join_code).toBe('ABC234');
    // Live mode ended: the code is gone.
    expect(mergeChanged(mine, makeMeetup({ live: false })).join_code).toBeNull();
  });

  it('escapes the library name in the embed snippet', () => {
    const s = embedSnippet('https://kc.example', 'voorbeeldstad', 'Agenda "B&B"');
    expect(s).toContain('src="https://kc.example/embed/libraries/voorbeeldstad/agenda"');
    expect(s).toContain('title="Agenda &quot;B&amp;B&quot;"');
  });
});
