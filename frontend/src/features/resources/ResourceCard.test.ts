import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message, ResourceBrief } from '../../api/types';
import { makeMessage } from '../../realtime/testing';
import type { ChatMessage } from '../../stores/messages';
import MessageItem from '../chat/MessageItem.svelte';
import { ownImage, safeHref } from './display';
import ResourceCard from './ResourceCard.svelte';

const mounted: Record<string, unknown>[] = [];
afterEach(() => {
  for (const c of mounted.splice(0)) unmount(c);
  document.body.innerHTML = '';
});

function brief(over: Partial<ResourceBrief> = {}): ResourceBrief {
  return {
    id: 7,
    kind: 'website',
    title: 'Zonnepanelen op je dak: zo begin je',
    creators: [],
    publisher: '',
    year: null,
    site_name: 'Energieloket Voorbeeldstad',
    description: 'Alles over de eerste stappen: offertes, subsidie en de installateur.',
    url: 'https://energieloket.example/artikel-zonnepanelen',
    isbn13: null,
    catalogue_url: '',
    image: '/api/v1/resources/7/image/',
    preview_status: 'ready',
    source: 'preview',
    library: null,
    ...over,
  };
}

const book = (over: Partial<ResourceBrief> = {}) =>
  brief({
    id: 8,
    kind: 'book',
    title: 'Zonnepanelen voor iedereen',
    creators: ['Jansen, Eva', 'Bakker, Tom'],
    publisher: 'Uitgeverij Zon',
    year: 2021,
    site_name: '',
    description: '',
    url: '',
    isbn13: '9789012345672',
    catalogue_url: 'https://bibliotheek.example/catalogus/VBS-000123',
    image: null,
    preview_status: 'none',
    source: 'catalogue',
    library: 'voorbeeldstad',
    ...over,
  });

function render(resource: ResourceBrief): HTMLElement {
  const target = document.createElement('div');
  document.body.append(target);
  mounted.push(mount(ResourceCard, { target, props: { resource } }));
  flushSync();
  return target;
}

const text = (el: Element | null | undefined) => el?.textContent?.replace(/\s+/g, ' ').trim() ?? '';

describe('ResourceCard', () => {
  it('a website: an article named by its title, the title linking out safely, site, description and our own image', () => {
    const el = render(brief());
    const card = el.querySelector('article')!;
    expect(card.getAttribute('aria-label')).toBe('Zonnepanelen op je dak: zo begin je');
    expect(card.dataset.variant).toBe('web');
    const link = el.querySelector<HTMLAnchorElement>('[data-testid="resource-title"] a')!;
    expect(link.getAttribute('href')).toBe('https://energieloket.example/artikel-zonnepanelen');
    expect(link.getAttribute('rel')).toBe('noopener noreferrer nofollow ugc');
    expect(link.getAttribute('target')).toBe('_blank');
    expect(text(link)).toContain('Zonnepanelen op je dak: zo begin je');
    expect(text(link)).toContain('(opent in een nieuw venster)');
    expect(el.querySelector('.kind')?.textContent).toBe('Website · Energieloket Voorbeeldstad');
    expect(text(el.querySelector('[data-testid="resource-description"]'))).toContain('offertes, subsidie');
    const img = el.querySelector('img')!;
    expect(img.getAttribute('src')).toBe('/api/v1/resources/7/image/');
    expect(img.getAttribute('alt')).toBe('');
    const discussed = el.querySelector<HTMLAnchorElement>('[data-testid="resource-discussed-link"]')!;
    expect(discussed.getAttribute('href')).toBe('/resources/7');
    expect(text(discussed)).toBe('Waar besproken: Zonnepanelen op je dak: zo begin je');
  });

  it('never renders a remote image address, and only text from the resource', () => {
    const el = render(
      brief({
        image: 'https://tracker.example/pixel.png',
        title: '<img src=x onerror=alert(1)>Titel',
        description: '<b>vet</b><script>alert(1)</script>',
      }),
    );
    expect(el.querySelector('img')).toBeNull();
    expect(el.querySelector('b, script')).toBeNull();
    expect(text(el.querySelector('[data-testid="resource-description"]'))).toBe('<b>vet</b><script>alert(1)</script>');
    for (const src of ['//tracker.example/x.png', '/\\tracker.example/x.png', 'data:image/png;base64,AAAA', 'http://x/y.png']) {
      expect(ownImage(src), src).toBeNull();
    }
    expect(ownImage('/api/v1/resources/7/image/')).toBe('/api/v1/resources/7/image/');
  });

  it('links out only to http(s) addresses', () => {
    const el = render(brief({ url: 'javascript:alert(1)' }));
    expect(el.querySelector('[data-testid="resource-title"] a')).toBeNull();
    expect(text(el.querySelector('[data-testid="resource-title"]'))).toBe('Zonnepanelen op je dak: zo begin je');
    expect(safeHref('https://example.nl/a b')).toBe('https://example.nl/a%20b');
    expect(safeHref('mailto:x@example.nl')).toBeNull();
  });

  it('a book: cover placeholder, creators, year and publisher, the catalogue link', () => {
    const el = render(book());
    const card = el.querySelector('article')!;
    expect(card.getAttribute('aria-label')).toBe('Zonnepanelen voor iedereen');
    expect(card.dataset.variant).toBe('book');
    expect(el.querySelector('img')).toBeNull();
    expect(el.querySelector('[data-testid="resource-cover-placeholder"]')?.getAttribute('aria-hidden')).toBe('true');
    expect(text(el.querySelector('[data-testid="resource-title"]'))).toBe('Zonnepanelen voor iedereen');
    expect(el.querySelector('[data-testid="resource-title"] a')).toBeNull();
    expect(text(el.querySelector('[data-testid="resource-creators"]'))).toBe('Jansen, Eva; Bakker, Tom');
    expect(text(el.querySelector('[data-testid="resource-publication"]'))).toBe('Uitgeverij Zon, 2021');
    const catalogue = el.querySelector<HTMLAnchorElement>('[data-testid="resource-catalogue-link"]')!;
    expect(catalogue.getAttribute('href')).toBe('https://bibliotheek.example/catalogus/VBS-000123');
    expect(catalogue.getAttribute('rel')).toBe('noopener noreferrer nofollow ugc');
    expect(text(catalogue)).toMatch(/^Bekijk in de catalogus/);
    expect(el.querySelector('[data-testid="resource-discussed-link"]')?.getAttribute('href')).toBe('/resources/8');
  });

  it('a book with a cover from our origin and no catalogue record', () => {
    const el = render(book({ image: '/api/v1/resources/8/image/', catalogue_url: '', source: 'member' }));
    expect(el.querySelector('img')?.getAttribute('src')).toBe('/api/v1/resources/8/image/');
    expect(el.querySelector('[data-testid="resource-cover-placeholder"]')).toBeNull();
    expect(el.querySelector('[data-testid="resource-catalogue-link"]')).toBeNull();
  });

  it('pending: a busy skeleton card that says the preview is loading', () => {
    const el = render(brief({ title: '', site_name: '', description: '', image: null, preview_status: 'pending' }));
    const card = el.querySelector('article')!;
    expect(card.getAttribute('aria-busy')).toBe('true');
    expect(card.getAttribute('aria-label')).toBe('Voorbeeld wordt geladen…');
    expect(text(el.querySelector('[data-testid="resource-pending"]'))).toBe('Voorbeeld wordt geladen…');
    expect(el.querySelector('img')).toBeNull();
    expect(el.querySelector('[data-testid="resource-title"]')).toBeNull();
  });

  it('failed: only the plain link, no card', () => {
    const el = render(brief({ title: '', site_name: '', description: '', image: null, preview_status: 'failed' }));
    expect(el.querySelector('article')).toBeNull();
    expect(el.querySelector('img')).toBeNull();
    const link = el.querySelector<HTMLAnchorElement>('[data-testid="resource-link"] a')!;
    expect(link.getAttribute('href')).toBe('https://energieloket.example/artikel-zonnepanelen');
    expect(link.getAttribute('rel')).toBe('noopener noreferrer nofollow ugc');
    expect(text(link)).toMatch(/^https:\/\/energieloket\.example\/artikel-zonnepanelen/);
  });
});

describe('resources in a message', () => {
  function renderMessage(over: Partial<Message>): HTMLElement {
    const target = document.createElement('ol');
    document.body.append(target);
    const message: ChatMessage = { ...makeMessage({ id: 311, seq: 42, ...over }), state: 'sent' };
    const noop = () => {};
    mounted.push(
      mount(MessageItem, {
        target,
        props: {
          message,
          myId: 9,
          canAct: true,
          showDivider: false,
          onRetry: noop,
          onDiscard: noop,
          onEdit: async () => true,
          onDelete: noop,
          onReact: noop,
          onDismissError: noop,
        },
      }),
    );
    flushSync();
    return target;
  }

  it('shows one card per resource, in a labelled list', () => {
    const el = renderMessage({ resources: [brief(), book()] });
    const list = el.querySelector('[data-testid="message-resources"]')!;
    expect(list.getAttribute('aria-label')).toBe('Bronnen bij dit bericht');
    expect([...list.querySelectorAll('article')].map((a) => a.getAttribute('aria-label'))).toEqual([
      'Zonnepanelen op je dak: zo begin je',
      'Zonnepanelen voor iedereen',
    ]);
  });

  it('shows none for a deleted or withheld message', () => {
    expect(renderMessage({ deleted: true, body: '', html: '', resources: [brief()] }).querySelector('article')).toBeNull();
    const hidden = renderMessage({ body: '', html: '', moderation: { state: 'hidden', reason: 'Spam' }, resources: [brief()] });
    expect(hidden.querySelector('article')).toBeNull();
  });
});
