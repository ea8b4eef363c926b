import { ApiError } from '../api/client';
import { getCatalogueImport, listCatalogueImports, uploadCatalogue } from '../api/endpoints';
import type { CatalogueFormat, CatalogueImport } from '../api/types';
import { browserTimers, type Timers } from '../realtime/timers';

export type CatalogueImportApi = {
  uploadCatalogue: typeof uploadCatalogue;
  listCatalogueImports: typeof listCatalogueImports;
  getCatalogueImport: typeof getCatalogueImport;
};

const defaultApi: CatalogueImportApi = { uploadCatalogue, listCatalogueImports, getCatalogueImport };

export const isRunning = (job: Pick<CatalogueImport, 'status'>) => job.status === 'pending' || job.status === 'running';

/**
 * How much of the file a running import has read, as a whole percentage (rounded down, so 100 only
 * once all of it is read); null while it waits or when the server does not know the file's size —
 * the page then shows an indeterminate progress bar.
 */
export function readPercent(job: Pick<CatalogueImport, 'status' | 'size_bytes' | 'read_bytes'>): number | null {
  if (job.status !== 'running' || !(job.size_bytes > 0)) return null;
  const share = Math.max(0, job.read_bytes) / job.size_bytes;
  return Math.min(100, Math.floor(share * 100));
}

const asError = (err: unknown) => (err instanceof ApiError ? err : new ApiError(0, { code: 'network_error', detail: '' }));

/**
 * A library's catalogue imports for its librarians: the earlier imports, and the one on screen (just
 * uploaded, or picked from the list), polled every `pollMs` while it is pending or running — the
 * import runs in the background and the server tells its progress only when asked.
 */
export class CatalogueImportStore {
  library = $state<string | null>(null);
  imports = $state<CatalogueImport[]>([]);
  current = $state<CatalogueImport | null>(null);
  status = $state<'idle' | 'loading' | 'loaded' | 'error'>('idle');
  error = $state<ApiError | null>(null);
  uploading = $state(false);
  uploadError = $state<ApiError | null>(null);

  private timer: unknown = null;
  private readonly timers: Timers;
  private readonly pollMs: number;

  constructor(
    private readonly api: CatalogueImportApi = defaultApi,
    opts: { timers?: Timers; pollMs?: number } = {},
  ) {
    this.timers = opts.timers ?? browserTimers;
    this.pollMs = opts.pollMs ?? 1000;
  }

  async open(library: string): Promise<void> {
    this.close();
    this.library = library;
    this.imports = [];
    this.current = null;
    this.status = 'loading';
    this.error = null;
    try {
      const list = await this.api.listCatalogueImports(library);
      if (this.library !== library) return;
      this.imports = list;
      this.status = 'loaded';
      // An import still running (started in another tab, or before a reload): show its progress.
      const running = list.find(isRunning);
      if (running && !this.current) this.show(running);
    } catch (err) {
      if (this.library !== library) return;
      this.error = asError(err);
      this.status = 'error';
    }
  }

  /** Stops polling (the page is left). */
  close(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.library = null;
  }

  async upload(file: File, format: CatalogueFormat = ''): Promise<boolean> {
    const library = this.library;
    if (!library || this.uploading) return false;
    this.uploading = true;
    this.uploadError = null;
    try {
      const job = await this.api.uploadCatalogue(library, file, format);
      if (this.library !== library) return false;
      this.show(job);
      return true;
    } catch (err) {
      this.uploadError = asError(err);
      return false;
    } finally {
      this.uploading = false;
    }
  }

  /** Shows an import's report (polling it while it runs). */
  show(job: CatalogueImport): void {
    this.current = job;
    this.remember(job);
    this.schedule();
  }

  private remember(job: CatalogueImport): void {
    const rest = this.imports.filter((j) => j.id !== job.id);
    this.imports = [job, ...rest].sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id - a.id);
  }

  private schedule(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    const job = this.current;
    if (!job || !isRunning(job) || !this.library) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      void this.poll(job.id);
    }, this.pollMs);
  }

  private async poll(id: number): Promise<void> {
    const library = this.library;
    if (!library) return;
    try {
      const job = await this.api.getCatalogueImport(library, id);
      if (this.library !== library || this.current?.id !== id) return;
      this.current = job;
      this.remember(job);
    } catch (err) {
      // Refused or gone: stop asking. Otherwise (network, server) try again on the next tick; the
      // last known progress stays on screen.
      if (err instanceof ApiError && err.status >= 400 && err.status < 500) {
        this.error = err;
        return;
      }
    }
    if (this.library === library && this.current?.id === id) this.schedule();
  }
}
