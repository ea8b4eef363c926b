import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import type { ResourceBrief } from '../../api/types';
import type { ComposerRestore } from '../../stores/chat.svelte';
import { brief } from '../../stores/sources.fixtures';
import Composer from './Composer.svelte';

const mounted: Record<string, unknown>[] = [];
afterEach(() => {
  for (const c of mounted.splice(0)) unmount(c);
  document.body.innerHTML = '';
});

function render(props: {
  blocked?: string | null;
  notes?: { text: string; testid: string }[];
  restore?: ComposerRestore | null;
  onRestored?: () => void;
  group?: string;
}) {
  const target = document.createElement('div');
  document.body.append(target);
  const sent: string[] = [];
  const sentResources: number[][] = [];
  const onSend = (b: string, resources: ResourceBrief[]) => (sent.push(b), sentResources.push(resources.map((r) => r.id)), true);
  mounted.push(mount(Composer, { target, props: { threadId: 12, title: 'Zonnepanelen', onSend, onTyping: () => {}, ...props } }));
  flushSync();
  const box = target.querySelector<HTMLTextAreaElement>('[data-testid="composer"]')!;
  const button = target.querySelector<HTMLButtonElement>('[data-testid="send-button"]')!;
  return { target, box, button, sent, sentResources };
}

const chips = (target: HTMLElement) =>
  [...target.querySelectorAll<HTMLElement>('[data-testid="attachment-chip"]')].map((c) => Number(c.dataset.resourceId));

describe('Composer', () => {
  it('is disabled with its reason when the thread is locked', () => {
    const { target, box, button } = render({ blocked: 'Dit gesprek is gesloten. Er kunnen geen nieuwe berichten meer bij.' });
    expect(box.disabled).toBe(true);
    expect(button.disabled).toBe(true);
    const blocked = target.querySelector<HTMLElement>('[data-testid="composer-blocked"]')!;
    expect(blocked.textContent).toContain('Dit gesprek is gesloten');
    expect(box.getAttribute('aria-describedby')?.split(' ')).toContain(blocked.id);
  });

  it('shows hints such as slow mode, tied to the text box', () => {
    const { target, box } = render({ notes: [{ text: 'Langzame modus: je kunt één bericht per 30 seconden plaatsen.', testid: 'slow-mode-hint' }] });
    expect(box.disabled).toBe(false);
    const hint = target.querySelector<HTMLElement>('[data-testid="slow-mode-hint"]')!;
    expect(hint.textContent).toContain('30 seconden');
    expect(box.getAttribute('aria-describedby')).toContain(hint.parentElement!.id);
  });

  it('puts a refused text back into the box, once, and says so', () => {
    let restored = 0;
    const { box } = render({ restore: { body: 'Mijn tekst', resources: [], n: 1 }, onRestored: () => (restored += 1) });
    expect(box.value).toBe('Mijn tekst');
    expect(restored).toBe(1);
  });

  it('puts the refused message’s resources back as chips, and sends them again', () => {
    const resources = [brief(5), brief(6, { kind: 'website', title: 'Zon op het dak', url: 'https://example.org/zon' })];
    const { target, box, button, sent, sentResources } = render({ group: 'energie-klimaat', restore: { body: 'Lees dit', resources, n: 1 } });
    expect(box.value).toBe('Lees dit');
    expect(chips(target)).toEqual([5, 6]);
    expect(target.querySelector('[data-testid="attachment-chip"]')?.textContent).toContain('Titel 5');
    button.click();
    flushSync();
    expect(sent).toEqual(['Lees dit']);
    expect(sentResources).toEqual([[5, 6]]);
    expect(chips(target)).toEqual([]);
  });

  it('does not send more resources than a message may carry', () => {
    const resources = Array.from({ length: 11 }, (_, i) => brief(i + 1));
    const { target, button, sent } = render({ group: 'energie-klimaat', restore: { body: 'Veel', resources, n: 1 } });
    expect(chips(target)).toHaveLength(11);
    expect(button.disabled).toBe(true);
    expect(target.textContent).toContain('Je kunt maximaal 10 bronnen aan een bericht toevoegen.');
    target.querySelector<HTMLButtonElement>('[data-testid="attachment-remove"]')!.click();
    flushSync();
    expect(button.disabled).toBe(false);
    button.click();
    flushSync();
    expect(sent).toEqual(['Veel']);
  });
});
