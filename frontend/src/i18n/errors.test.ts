import { describe, expect, it } from 'vitest';
import { en } from './en';
import { describeError } from './errors';
import { nl } from './nl';

const at = (iso: string) => `[${iso}]`;

describe('describeError', () => {
  it('words the moderation codes in the reader’s language', () => {
    expect(describeError(nl, { code: 'banned', detail: 'x', until: null }, at)).toBe('Je bent uitgesloten van deze groep.');
    expect(describeError(en, { code: 'banned', until: '2026-12-24T00:00:00Z' }, at)).toBe(
      'You have been banned from this group until [2026-12-24T00:00:00Z].',
    );
    expect(describeError(nl, { code: 'muted', until: '2026-11-25T16:00:00Z', retry_after: 60, reason: 'Even afkoelen' }, at)).toBe(
      'Je bent gedempt in deze groep: je kunt tot [2026-11-25T16:00:00Z] geen berichten plaatsen. Reden: Even afkoelen',
    );
    expect(describeError(nl, { code: 'thread_locked', detail: 'This conversation is locked' }, at)).toBe(
      'Dit gesprek is gesloten: er kunnen geen nieuwe berichten meer bij.',
    );
    expect(describeError(nl, { code: 'slow_mode', retry_after: 12 }, at)).toBe(
      'Langzame modus: je kunt over 12 seconden weer een bericht plaatsen.',
    );
    expect(describeError(en, { code: 'slow_mode', retry_after: 1 }, at)).toBe('Slow mode: you can post again in 1 second.');
  });

  it('keeps the server’s detail for other codes', () => {
    expect(describeError(nl, { code: 'permission_denied', detail: 'Dat mag je niet.' }, at)).toBe('Dat mag je niet.');
    expect(describeError(nl, { code: 'rate_limited', detail: '', retry_after: 4 }, at)).toBe(
      'Je stuurt te veel berichten. Probeer het over 4 seconden opnieuw.',
    );
    expect(describeError(nl, { code: 'iets_nieuws' }, at)).toBe('iets_nieuws');
    expect(describeError(nl, { code: 'timeout' }, at)).toBe('De server antwoordde niet op tijd.');
  });

  it('words durations', () => {
    expect([1, 30, 60, 120, 90, 3600, 7200].map(nl.moderation.duration)).toEqual([
      '1 seconde',
      '30 seconden',
      '1 minuut',
      '2 minuten',
      '90 seconden',
      '1 uur',
      '2 uur',
    ]);
    expect([1, 60, 7200].map(en.moderation.duration)).toEqual(['1 second', '1 minute', '2 hours']);
  });
});

describe('describeError: moderation codes worded by the client', () => {
  it('words blocked_content and already_reported in both languages', () => {
    const dt = (s: string) => s;
    expect(describeError(nl, { code: 'blocked_content', detail: 'x' }, dt)).toBe(nl.errors.blocked_content);
    expect(describeError(en, { code: 'already_reported', detail: 'x' }, dt)).toBe(en.errors.already_reported);
  });
});

describe('describeError: resource codes worded by the client', () => {
  it('words invalid_url, invalid_isbn, title_required and too_many_resources in both languages', () => {
    const dt = (s: string) => s;
    for (const code of ['invalid_url', 'invalid_isbn', 'title_required', 'too_many_resources'] as const) {
      expect(describeError(nl, { code, detail: 'server text' }, dt), code).toBe(nl.errors[code]);
      expect(describeError(en, { code, detail: 'server text' }, dt), code).toBe(en.errors[code]);
      expect(nl.errors[code]).not.toBe(en.errors[code]);
    }
    expect(nl.errors.title_required).toBe('Dit ISBN kennen we niet. Vul ook de titel van het boek in.');
  });
});
