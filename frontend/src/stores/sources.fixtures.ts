// Test data for the resources stores and screens.
import type { CollectionItem, ResourceBrief, Suggestion, ThreadSource } from '../api/types';

const anouk = { id: 7, display_name: 'Anouk' };

export function brief(id: number, over: Partial<ResourceBrief> = {}): ResourceBrief {
  return {
    id,
    kind: 'book',
    title: `Titel ${id}`,
    creators: ['Jansen, Eva'],
    publisher: 'Uitgeverij Zon',
    year: 2021,
    site_name: '',
    description: '',
    url: '',
    isbn13: null,
    catalogue_url: '',
    image: null,
    preview_status: 'none',
    source: 'catalogue',
    library: 'voorbeeldstad',
    ...over,
  };
}

export function source(id: number, over: Partial<ThreadSource> = {}): ThreadSource {
  return {
    resource: brief(id),
    added_by: anouk,
    added_at: '2026-11-25T14:00:00Z',
    via: 'thread',
    message: null,
    from_suggestion: false,
    ...over,
  };
}

export const suggestion = (id: number, score = 1): Suggestion => ({ resource: brief(id), score });

export function collectionItem(id: number, over: Partial<CollectionItem> = {}): CollectionItem {
  return {
    id,
    resource: brief(100 + id, { title: `Boek ${id}` }),
    note: '',
    position: id,
    curator: { id: 3, display_name: 'Sanne (bibliothecaris)' },
    created_at: '2026-11-20T10:00:00Z',
    ...over,
  };
}
