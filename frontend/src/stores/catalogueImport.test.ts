import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import type { CatalogueImport } from '../api/types';
import { FakeTimers } from '../realtime/testing';
import { CatalogueImportStore, readPercent, type CatalogueImportApi } from './catalogueImport.svelte';

function job(over: Partial<CatalogueImport> = {}): CatalogueImport {
  return {
    id: 4,
    library: 'voorbeeldstad',
    format: 'csv',
    filename: 'catalogus.csv',
    status: 'pending',
    processed: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    rejected: 0,
    size_bytes: 0,
    read_bytes: 0,
    errors: [],
    failure: '',
    created_at: '2026-11-25T10:00:00Z',
    started_at: null,
    finished_at: null,
    ...over,
  };
}

const file = () => new File(['titel;isbn\n'], 'catalogus.csv', { type: 'text/csv' });

describe('CatalogueImportStore', () => {
  it('uploads, polls every second while the import runs, and stops when it is done', async () => {
    const timers = new FakeTimers();
    const answers = [
      job({ status: 'running', processed: 50, created: 50, size_bytes: 4000, read_bytes: 1700 }),
      job({
        status: 'done',
        size_bytes: 4000,
        read_bytes: 4000,
        processed: 120,
        created: 100,
        updated: 10,
        unchanged: 8,
        rejected: 2,
        errors: [{ position: 7, record_id: 'VBS-7', code: 'title_missing', reason: 'Geen titel' }],
      }),
    ];
    const api: CatalogueImportApi = {
      uploadCatalogue: vi.fn(async () => job()),
      listCatalogueImports: vi.fn(async () => [job({ id: 3, status: 'done', created_at: '2026-11-24T10:00:00Z' })]),
      getCatalogueImport: vi.fn(async () => answers.shift()!),
    };
    const store = new CatalogueImportStore(api, { timers, pollMs: 1000 });
    await store.open('voorbeeldstad');
    expect(timers.pendingCount()).toBe(0);
    expect(await store.upload(file(), 'csv')).toBe(true);
    expect(api.uploadCatalogue).toHaveBeenCalledWith('voorbeeldstad', expect.any(File), 'csv');
    expect(store.current?.status).toBe('pending');
    expect(store.imports.map((j) => j.id)).toEqual([4, 3]);
    expect(timers.delays()).toEqual([1000]);

    timers.advance(1000);
    await vi.waitFor(() => expect(store.current?.processed).toBe(50));
    expect(readPercent(store.current!)).toBe(42);
    expect(api.getCatalogueImport).toHaveBeenCalledWith('voorbeeldstad', 4);
    expect(timers.delays()).toEqual([1000]);
    timers.advance(1000);
    await vi.waitFor(() => expect(store.current?.status).toBe('done'));
    expect(store.current?.errors).toHaveLength(1);
    expect(store.imports[0]).toMatchObject({ id: 4, status: 'done', created: 100 });
    expect(readPercent(store.current!)).toBeNull(); // done: no bar
    expect(timers.pendingCount()).toBe(0);
  });

  it('reads the progress of a running import in whole percents; none while waiting or when the size is unknown', () => {
    expect(readPercent(job({ status: 'running', size_bytes: 1000, read_bytes: 0 }))).toBe(0);
    expect(readPercent(job({ status: 'running', size_bytes: 1000, read_bytes: 426 }))).toBe(42);
    expect(readPercent(job({ status: 'running', size_bytes: 1000, read_bytes: 999 }))).toBe(99);
    expect(readPercent(job({ status: 'running', size_bytes: 1000, read_bytes: 1000 }))).toBe(100);
    expect(readPercent(job({ status: 'running', size_bytes: 1000, read_bytes: 1200 }))).toBe(100);
    expect(readPercent(job({ status: 'running', size_bytes: 0, read_bytes: 1200 }))).toBeNull();
    expect(readPercent(job({ status: 'pending', size_bytes: 1000 }))).toBeNull();
    expect(readPercent(job({ status: 'done', size_bytes: 1000, read_bytes: 1000 }))).toBeNull();
  });

  it('keeps the refusal of an upload (translated by code) and polls nothing', async () => {
    const timers = new FakeTimers();
    const api: CatalogueImportApi = {
      uploadCatalogue: vi.fn(async () => {
        throw new ApiError(413, { code: 'file_too_large', detail: 'x' });
      }),
      listCatalogueImports: vi.fn(async () => []),
      getCatalogueImport: vi.fn(),
    };
    const store = new CatalogueImportStore(api, { timers });
    await store.open('voorbeeldstad');
    expect(await store.upload(file())).toBe(false);
    expect(store.uploadError?.code).toBe('file_too_large');
    expect(timers.pendingCount()).toBe(0);
  });

  it('follows an import that was still running when the page opened; stops when the page closes', async () => {
    const timers = new FakeTimers();
    const api: CatalogueImportApi = {
      uploadCatalogue: vi.fn(),
      listCatalogueImports: vi.fn(async () => [job({ status: 'running', processed: 10 })]),
      getCatalogueImport: vi.fn(async () => job({ status: 'running', processed: 20 })),
    };
    const store = new CatalogueImportStore(api, { timers });
    await store.open('voorbeeldstad');
    expect(store.current?.processed).toBe(10);
    expect(timers.pendingCount()).toBe(1);
    store.close();
    expect(timers.pendingCount()).toBe(0);
  });
});
