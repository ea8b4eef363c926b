// The librarian's import page with its real store: the REST calls are mocked. Its progress bar is
// determinate (bytes read of the file's size) while an import runs and its size is known.
import { flushSync, mount, tick, unmount } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { getCatalogueImport, listCatalogueImports, listLibraries } from '../../api/endpoints';
import type { CatalogueImport } from '../../api/types';
import { i18n } from '../../i18n/index.svelte';
import CatalogueImportPage from './CatalogueImportPage.svelte';

vi.mock('../../api/endpoints', async (original) => ({
  ...(await original<typeof import('../../api/endpoints')>()),
  listLibraries: vi.fn(),
  listCatalogueImports: vi.fn(),
  getCatalogueImport: vi.fn(),
  uploadCatalogue: vi.fn(),
}));

function job(over: Partial<CatalogueImport> = {}): CatalogueImport {
  return {
    id: 4,
    library: 'voorbeeldstad',
    format: 'csv',
    filename: 'catalogus.csv',
    status: 'running',
    processed: 1000,
    created: 1000,
    updated: 0,
    unchanged: 0,
    rejected: 0,
    size_bytes: 4000,
    read_bytes: 1700,
    errors: [],
    failure: '',
    created_at: '2026-11-25T10:00:00Z',
    started_at: '2026-11-25T10:00:01Z',
    finished_at: null,
    ...over,
  };
}

const mounted: Record<string, unknown>[] = [];

beforeEach(() => {
  vi.useFakeTimers();
  vi.mocked(listLibraries).mockResolvedValue([{ id: 1, name: 'Bibliotheek Voorbeeldstad', slug: 'voorbeeldstad' }]);
});

afterEach(() => {
  for (const c of mounted.splice(0)) unmount(c);
  document.body.innerHTML = '';
  i18n.set('nl');
  vi.useRealTimers();
});

async function render(first: CatalogueImport) {
  vi.mocked(listCatalogueImports).mockResolvedValue([first]);
  const target = document.createElement('div');
  document.body.append(target);
  mounted.push(mount(CatalogueImportPage, { target, props: { library: 'voorbeeldstad' } }));
  await vi.waitFor(() => expect(target.querySelector('[data-testid="import-report"]')).not.toBeNull());
  flushSync();
  const bar = () => target.querySelector<HTMLProgressElement>('[data-testid="import-progress"]');
  const percent = () => target.querySelector('[data-testid="import-percent"]')?.textContent ?? null;
  return { target, bar, percent };
}

describe('CatalogueImportPage progress', () => {
  it('shows how much of the file was read while the import runs, and follows the polls', async () => {
    vi.mocked(getCatalogueImport)
      .mockResolvedValueOnce(job({ processed: 2000, read_bytes: 3900 }))
      .mockResolvedValueOnce(job({ status: 'done', processed: 2100, read_bytes: 4000, finished_at: '2026-11-25T10:00:09Z' }));
    const { bar, percent } = await render(job());
    expect(bar()?.max).toBe(4000);
    expect(bar()?.value).toBe(1700);
    expect(bar()?.getAttribute('aria-valuetext')).toBe('42 % gelezen');
    expect(bar()?.getAttribute('aria-label')).toBe('Voortgang van de import');
    expect(percent()).toBe('42 % gelezen');

    await vi.advanceTimersByTimeAsync(1000);
    flushSync();
    expect(bar()?.value).toBe(3900);
    expect(percent()).toBe('97 % gelezen');

    await vi.advanceTimersByTimeAsync(1000);
    flushSync();
    expect(bar()).toBeNull(); // done: the counts and the report remain
  });

  it('says it in English too', async () => {
    i18n.set('en');
    const { bar, percent } = await render(job());
    await tick();
    expect(bar()?.getAttribute('aria-valuetext')).toBe('42% read');
    expect(percent()).toBe('42% read');
  });

  it.each([
    ['the size is unknown', job({ size_bytes: 0, read_bytes: 0 })],
    ['the import is still queued', job({ status: 'pending', processed: 0, read_bytes: 0 })],
  ])('stays indeterminate when %s', async (_why, first) => {
    vi.mocked(getCatalogueImport).mockResolvedValue(first);
    const { bar, percent } = await render(first);
    expect(bar()).not.toBeNull();
    expect(bar()?.hasAttribute('value')).toBe(false);
    expect(bar()?.getAttribute('aria-valuetext')).toBe(i18n.m.catalogueImport.processed(first.processed));
    expect(percent()).toBeNull();
  });
});
