import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import Composer from './Composer.svelte';

const mounted: Record<string, unknown>[] = [];
afterEach(() => {
  for (const c of mounted.splice(0)) unmount(c);
  document.body.innerHTML = '';
});

function render(props: {
  blocked?: string | null;
  notes?: { text: string; testid: string }[];
  restore?: { body: string; n: number } | null;
  onRestored?: () => void;
}) {
  const target = document.createElement('div');
  document.body.append(target);
  const sent: string[] = [];
  mounted.push(
    mount(Composer, {
      target,
      props: { threadId: 12, title: 'Zonnepanelen', onSend: (b: string) => (sent.push(b), true), onTyping: () => {}, ...props },
    }),
  );
  flushSync();
  const box = target.querySelector<HTMLTextAreaElement>('[data-testid="composer"]')!;
  const button = target.querySelector<HTMLButtonElement>('[data-testid="send-button"]')!;
  return { target, box, button, sent };
}

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
    const { box } = render({ restore: { body: 'Mijn tekst', n: 1 }, onRestored: () => (restored += 1) });
    expect(box.value).toBe('Mijn tekst');
    expect(restored).toBe(1);
  });
});
