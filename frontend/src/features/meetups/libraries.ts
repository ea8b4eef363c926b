// The library's name for page titles (GET libraries/).
import { listLibraries } from '../../api/endpoints';
import type { Library } from '../../api/types';

let cache: Promise<Library[]> | null = null;

export function listLinkLibraries(): Promise<Library[]> {
  cache ??= listLibraries().catch((err) => {
    cache = null;
    throw err;
  });
  return cache;
}

export async function libraryName(slug: string): Promise<string> {
  return (await listLinkLibraries()).find((l) => l.slug === slug)?.name ?? slug;
}
