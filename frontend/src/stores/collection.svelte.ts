import { ApiError } from '../api/client';
import {
  addCollectionItem,
  listCollection,
  removeCollectionItem,
  reorderCollection,
  updateCollectionNote,
} from '../api/endpoints';
import type { CollectionItem } from '../api/types';
import { apiErrorText } from '../i18n/errors';
import type { RealtimeClient } from '../realtime/client';
import type { CollectionChangedEvent } from '../realtime/protocol';

export type CollectionApi = {
  listCollection: typeof listCollection;
  addCollectionItem: typeof addCollectionItem;
  updateCollectionNote: typeof updateCollectionNote;
  removeCollectionItem: typeof removeCollectionItem;
  reorderCollection: typeof reorderCollection;
};

const defaultApi: CollectionApi = {
  listCollection,
  addCollectionItem,
  updateCollectionNote,
  removeCollectionItem,
  reorderCollection,
};

/**
 * The theme collection of the group whose collection page is open: the ordered items with their
 * notes. Hosts and librarians change it here; `collection.changed` (anyone's change, sequenced) makes
 * it load again. Moves show at once and are sent as the whole order, one order at a time: moves made
 * while one is on its way are sent after it, as one order (the newest), so the server keeps the last
 * order whatever order its requests would have been handled in. While orders are on their way,
 * reloads wait for the last answer (which is the collection as it is then).
 */
export class CollectionStore {
  slug = $state<string | null>(null);
  items = $state<CollectionItem[]>([]);
  status = $state<'idle' | 'loading' | 'loaded' | 'error'>('idle');
  error = $state<ApiError | null>(null);
  /** Why the last change failed (shown on the page). */
  actionError = $state<string | null>(null);

  private sendingOrders = false;
  /** The newest order not sent yet, and the items to go back to if it fails. */
  private nextOrder: { slug: string; ids: number[]; before: CollectionItem[] } | null = null;
  private reloadAfterOrder = false;
  private loadGeneration = 0;

  constructor(
    rt: Pick<RealtimeClient, 'on'> | null,
    private readonly api: CollectionApi = defaultApi,
  ) {
    if (!rt) return;
    rt.on('collection.changed', (ev) => this.onChanged(ev));
    rt.on('subscribed', (f) => {
      if (f.group === this.slug && this.status === 'loaded') void this.load();
    });
  }

  async open(slug: string): Promise<void> {
    if (this.slug !== slug) {
      this.slug = slug;
      this.items = [];
      this.status = 'loading';
      this.error = null;
      this.actionError = null;
    }
    await this.load();
  }

  close(): void {
    this.slug = null;
    this.status = 'idle';
  }

  async load(): Promise<void> {
    const slug = this.slug;
    if (!slug) return;
    if (this.sendingOrders) {
      this.reloadAfterOrder = true;
      return;
    }
    const gen = ++this.loadGeneration;
    try {
      const items = await this.api.listCollection(slug);
      if (slug !== this.slug || gen !== this.loadGeneration || this.sendingOrders) return;
      this.items = items;
      this.status = 'loaded';
      this.error = null;
    } catch (err) {
      if (slug !== this.slug || gen !== this.loadGeneration) return;
      this.error = err instanceof ApiError ? err : new ApiError(0, { code: 'network_error', detail: '' });
      this.status = 'error';
    }
  }

  onChanged(ev: CollectionChangedEvent): void {
    if (ev.group === this.slug) void this.load();
  }

  /**
   * Moves an item one place up (-1) or down (+1) and sends the new order. Returns its new place
   * (1-based) and the number of items, or null when it cannot move there.
   */
  move(id: number, delta: -1 | 1): { position: number; total: number } | null {
    const slug = this.slug;
    const from = this.items.findIndex((i) => i.id === id);
    const to = from + delta;
    if (!slug || from < 0 || to < 0 || to >= this.items.length) return null;
    const before = this.items;
    const next = [...before];
    const [item] = next.splice(from, 1);
    next.splice(to, 0, item);
    this.items = next;
    this.actionError = null;
    this.sendOrder(slug, next.map((i) => i.id), before);
    return { position: to + 1, total: next.length };
  }

  private sendOrder(slug: string, ids: number[], before: CollectionItem[]): void {
    // Moves made while an order is on its way go back, on failure, to what was shown before the
    // first of them.
    this.nextOrder = { slug, ids, before: this.nextOrder?.before ?? before };
    if (!this.sendingOrders) void this.sendOrders();
  }

  private async sendOrders(): Promise<void> {
    this.sendingOrders = true;
    try {
      while (this.nextOrder) {
        const { slug, ids, before } = this.nextOrder;
        this.nextOrder = null;
        try {
          const items = await this.api.reorderCollection(slug, ids);
          if (slug === this.slug && !this.nextOrder) this.items = items;
        } catch (err) {
          if (slug === this.slug) {
            this.items = before;
            this.actionError = apiErrorText(err);
            this.reloadAfterOrder = true;
          }
          this.nextOrder = null; // made on top of the refused one: shown no more
        }
      }
    } finally {
      this.sendingOrders = false;
      if (this.reloadAfterOrder) {
        this.reloadAfterOrder = false;
        void this.load();
      }
    }
  }

  /** Adds a resource with a note. Throws the `ApiError` (e.g. `already_in_collection`) for the form to show. */
  async add(resource: number, note: string): Promise<CollectionItem> {
    const slug = this.slug;
    if (!slug) throw new Error('no collection open');
    const item = await this.api.addCollectionItem(slug, resource, note.trim());
    if (slug === this.slug && !this.items.some((i) => i.id === item.id)) this.items = [...this.items, item];
    return item;
  }

  async updateNote(id: number, note: string): Promise<boolean> {
    const slug = this.slug;
    if (!slug) return false;
    this.actionError = null;
    try {
      const item = await this.api.updateCollectionNote(slug, id, note.trim());
      if (slug === this.slug) this.items = this.items.map((i) => (i.id === id ? item : i));
      return true;
    } catch (err) {
      this.actionError = apiErrorText(err);
      return false;
    }
  }

  async remove(id: number): Promise<boolean> {
    const slug = this.slug;
    if (!slug) return false;
    this.actionError = null;
    try {
      await this.api.removeCollectionItem(slug, id);
      if (slug === this.slug) this.items = this.items.filter((i) => i.id !== id);
      return true;
    } catch (err) {
      this.actionError = apiErrorText(err);
      return false;
    }
  }

  /** Whether a resource is in the collection already (the add form says so instead of offering it). */
  has(resource: number): boolean {
    return this.items.some((i) => i.resource.id === resource);
  }
}
