import { describe, expect, it } from 'vitest';
import { en } from './en';
import { nl } from './nl';

/** Flattens a catalogue to `path → kind` ("string" or "function/arity"). */
function shape(obj: Record<string, unknown>, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(obj)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'function') out[path] = `function/${value.length}`;
    else if (typeof value === 'string') out[path] = 'string';
    else if (value && typeof value === 'object') Object.assign(out, shape(value as Record<string, unknown>, path));
    else out[path] = typeof value;
  }
  return out;
}

describe('i18n catalogues', () => {
  it('nl and en have exactly the same keys, with the same kinds of value', () => {
    expect(shape(en)).toEqual(shape(nl));
  });

  it('has no empty texts', () => {
    for (const cat of [nl, en]) {
      for (const [path, kind] of Object.entries(shape(cat))) {
        if (kind !== 'string') continue;
        const value = path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], cat);
        expect(value, path).not.toBe('');
      }
    }
  });

  it('plural forms', () => {
    expect(nl.groups.unread(1)).toBe('1 ongelezen bericht');
    expect(nl.groups.unread(3)).toBe('3 ongelezen berichten');
    expect(en.groups.unread(3)).toBe('3 unread messages');
    expect(nl.chat.typing(['Anouk'])).toBe('Anouk typt…');
  });
});
