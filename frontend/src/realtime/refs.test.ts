import { describe, expect, it } from 'vitest';
import { Refs, type RefTarget } from './refs';

describe('Refs', () => {
  it('names messages and threads by id and resolves them back', () => {
    const refs = new Refs();
    const targets: RefTarget[] = [
      { action: 'edit', message: 311 },
      { action: 'delete', message: 311 },
      { action: 'reaction', message: 7 },
      { action: 'read', thread: 12 },
    ];
    expect(targets.map((t) => refs.make(t))).toEqual(['edit:311', 'delete:311', 'reaction:7', 'read:12']);
    for (const t of targets) expect(refs.resolve(refs.make(t))).toEqual(t);
    // Stateless: another client's instance reads them the same way.
    expect(new Refs().resolve('edit:311')).toEqual({ action: 'edit', message: 311 });
  });

  it('numbers groups, so a ref stays within 64 characters whatever the slug', () => {
    const refs = new Refs();
    const long = 'a'.repeat(80);
    expect(refs.make({ action: 'subscribe', group: 'energie-klimaat' })).toBe('subscribe:1');
    expect(refs.make({ action: 'subscribe', group: long })).toBe('subscribe:2');
    expect(refs.make({ action: 'subscribe', group: 'energie-klimaat' })).toBe('subscribe:1');
    expect(refs.resolve('subscribe:2')).toEqual({ action: 'subscribe', group: long });
    expect(refs.resolve('subscribe:1')).toEqual({ action: 'subscribe', group: 'energie-klimaat' });
    expect(refs.resolve('subscribe:3')).toBeNull();
    expect(new Refs().resolve('subscribe:1')).toBeNull();
  });

  it('names moderation actions by their message, thread or (numbered) group', () => {
    const refs = new Refs();
    const targets: RefTarget[] = [
      { action: 'hide', message: 311 },
      { action: 'unhide', message: 311 },
      { action: 'remove', message: 311 },
      { action: 'pin', message: 311 },
      { action: 'unpin', message: 311 },
      { action: 'lock', thread: 12 },
      { action: 'unlock', thread: 12 },
      { action: 'slow_mode', thread: 12 },
      { action: 'slow_mode', group: 'energie-en-klimaat' },
    ];
    expect(targets.map((t) => refs.make(t))).toEqual([
      'hide:311',
      'unhide:311',
      'remove:311',
      'pin:311',
      'unpin:311',
      'lock:12',
      'unlock:12',
      'slowmode:12',
      'slowmodegroup:1',
    ]);
    for (const t of targets) expect(refs.resolve(refs.make(t))).toEqual(t);
    // Groups share one numbering, whatever the action.
    expect(refs.make({ action: 'subscribe', group: 'energie-en-klimaat' })).toBe('subscribe:1');
    expect(refs.resolve('slowmodegroup:2')).toBeNull();
  });

  it('ignores refs it did not make', () => {
    const refs = new Refs();
    for (const ref of [undefined, null, 311, '', 'edit', 'edit:', 'edit:0', 'edit:-1', 'edit:3.5', 'edit:311x', 'EDIT:311', 'typing:12', 'slow_mode:12', 'del-311', 'edit:99999999999999999'])
      expect(refs.resolve(ref), String(ref)).toBeNull();
  });
});

describe('Refs: reports', () => {
  it('ties a report refusal to its message', () => {
    const refs = new Refs();
    expect(refs.make({ action: 'report', message: 311 })).toBe('report:311');
    expect(refs.resolve('report:311')).toEqual({ action: 'report', message: 311 });
  });
});
