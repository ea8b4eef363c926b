import { afterEach, describe, expect, it, vi } from 'vitest';
import { addSuggestion, reorderCollection, uploadCatalogue } from './endpoints';

function mockFetch(status: number, body: unknown) {
  const fn = vi.fn(async (_url: string, _init?: RequestInit) => new Response(JSON.stringify(body), { status }));
  vi.stubGlobal('fetch', fn);
  return fn;
}

afterEach(() => {
  vi.unstubAllGlobals();
  document.cookie = 'csrftoken=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
});

describe('resources endpoints', () => {
  it('uploads a catalogue as multipart with the CSRF header (and lets fetch set the boundary)', async () => {
    document.cookie = 'csrftoken=tok42';
    const f = mockFetch(202, { id: 4, status: 'pending' });
    const file = new File(['001 VBS-1\n'], 'catalogus.mrc');
    await expect(uploadCatalogue('voorbeeldstad', file, 'marc')).resolves.toMatchObject({ id: 4 });
    const [url, init] = f.mock.calls[0];
    expect(url).toBe('/api/v1/libraries/voorbeeldstad/catalogue/imports/');
    expect(init?.method).toBe('POST');
    const headers = init?.headers as Record<string, string>;
    expect(headers['X-CSRFToken']).toBe('tok42');
    expect(headers['Content-Type']).toBeUndefined();
    const body = init?.body as FormData;
    expect(body).toBeInstanceOf(FormData);
    expect((body.get('file') as File).name).toBe('catalogus.mrc');
    expect(body.get('format')).toBe('marc');
  });

  it('leaves the format out when the server should tell it', async () => {
    const f = mockFetch(202, { id: 5 });
    await uploadCatalogue('voorbeeldstad', new File(['x'], 'c.csv'));
    expect((f.mock.calls[0][1]?.body as FormData).has('format')).toBe(false);
  });

  it('sends JSON to the other resource calls', async () => {
    const f = mockFetch(200, [{ id: 2 }, { id: 1 }]);
    await reorderCollection('energie-en-klimaat', [2, 1]);
    expect(f.mock.calls[0][0]).toBe('/api/v1/groups/energie-en-klimaat/collection/order/');
    expect(f.mock.calls[0][1]?.body).toBe('{"items":[2,1]}');
    expect((f.mock.calls[0][1]?.headers as Record<string, string>)['Content-Type']).toBe('application/json');
    mockFetch(201, {});
    await addSuggestion(12, 7);
  });
});
