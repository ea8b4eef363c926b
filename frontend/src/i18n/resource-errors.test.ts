import { describe, expect, it } from 'vitest';
import { en } from './en';
import { describeError, OWN_TEXT } from './errors';
import { nl } from './nl';

const at = (iso: string) => iso;

describe('resource error codes', () => {
  it('are worded by the client in both languages', () => {
    for (const code of ['already_in_collection', 'file_too_large']) {
      expect(OWN_TEXT.has(code)).toBe(true);
      expect(describeError(nl, { code, detail: 'server' }, at)).toBe(nl.errors[code as 'file_too_large']);
      expect(describeError(en, { code, detail: 'server' }, at)).toBe(en.errors[code as 'file_too_large']);
    }
    expect(describeError(nl, { code: 'already_in_collection' }, at)).toBe('Deze titel staat al in de collectie.');
    expect(describeError(en, { code: 'file_too_large' }, at)).toBe('This file is too large.');
  });

  it('keeps what the server says is wrong with a catalogue file, with our own words as the fallback', () => {
    expect(OWN_TEXT.has('catalogue_file_invalid')).toBe(true);
    expect(describeError(nl, { code: 'catalogue_file_invalid', detail: 'Het bestand is leeg.' }, at)).toBe('Het bestand is leeg.');
    expect(describeError(en, { code: 'catalogue_file_invalid' }, at)).toBe(en.errors.catalogue_file_invalid);
  });
});
