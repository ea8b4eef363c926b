import {
  claimReport,
  listAppeals,
  listHeld,
  listReports,
  resolveReport,
  approveMessage,
  rejectMessage,
  decideAppeal,
} from '../api/endpoints';
import type { Appeal, Message, Report } from '../api/types';
import type { RealtimeClient } from '../realtime/client';
import type { AppealCreatedFrame, MessageHeldFrame, ReportFrame } from '../realtime/protocol';

export type QueueApi = {
  listReports: typeof listReports;
  listHeld: typeof listHeld;
  listAppeals: typeof listAppeals;
  claimReport: typeof claimReport;
  resolveReport: typeof resolveReport;
  approveMessage: typeof approveMessage;
  rejectMessage: typeof rejectMessage;
  decideAppeal: typeof decideAppeal;
};

const defaultApi: QueueApi = {
  listReports,
  listHeld,
  listAppeals,
  claimReport,
  resolveReport,
  approveMessage,
  rejectMessage,
  decideAppeal,
};

/**
 * The moderation queue of one library for its librarians (docs/protocol.md, "Reports"): the open
 * reports, the held messages and the appeals assigned to the viewer, loaded over REST and then kept
 * current by the frames of `moderation.subscribe` (sent again on every reconnect).
 */
export class QueueStore {
  library = $state<string | null>(null);
  reports = $state<Report[]>([]);
  held = $state<Message[]>([]);
  appeals = $state<Appeal[]>([]);
  status = $state<'idle' | 'loading' | 'loaded' | 'error'>('idle');
  error = $state<unknown>(null);
  /** The server confirmed the live subscription. */
  live = $state(false);

  constructor(
    private readonly rt: Pick<RealtimeClient, 'moderationSubscribe' | 'on'>,
    private readonly api: QueueApi = defaultApi,
  ) {
    rt.on('status', ({ status }) => {
      if (status === 'open' && this.library) {
        this.live = false;
        this.rt.moderationSubscribe(this.library);
        // Frames missed while down are not replayed: take the queue from REST again.
        void this.reload();
      } else if (status !== 'open') this.live = false;
    });
    rt.on('moderation.subscribed', (f) => {
      if (f.library === this.library) this.live = true;
    });
    rt.on('report.created', (f) => this.onReport(f));
    rt.on('report.updated', (f) => this.onReport(f));
    rt.on('message.held', (f) => this.onHeld(f));
    rt.on('appeal.created', (f) => this.onAppeal(f));
  }

  /** Opens a library's queue (the panel's page); subscribes on the socket. */
  async open(library: string): Promise<void> {
    if (this.library !== library) {
      this.library = library;
      this.reports = [];
      this.held = [];
      this.appeals = [];
      this.live = false;
      this.status = 'loading';
    }
    this.rt.moderationSubscribe(library);
    await this.reload();
  }

  /** Stops following (the socket keeps the subscription until it closes; frames are then ignored). */
  close(): void {
    this.library = null;
    this.live = false;
    this.status = 'idle';
  }

  async reload(): Promise<void> {
    const library = this.library;
    if (!library) return;
    try {
      const [reports, held, appeals] = await Promise.all([
        this.api.listReports(library),
        this.api.listHeld(library),
        this.api.listAppeals(),
      ]);
      if (this.library !== library) return;
      this.reports = sortReports(mergeReports(reports, this.reports));
      this.held = held;
      this.appeals = appeals;
      this.status = 'loaded';
      this.error = null;
    } catch (err) {
      if (this.library !== library) return;
      this.error = err;
      this.status = 'error';
    }
  }

  onReport(f: ReportFrame): void {
    if (!this.library) return;
    this.upsert(f.report);
  }

  private upsert(report: Report): void {
    const rest = this.reports.filter((r) => r.id !== report.id);
    // Resolved reports leave the queue (it lists those not resolved).
    this.reports = report.status === 'resolved' ? rest : sortReports([...rest, report]);
  }

  onHeld(_f: MessageHeldFrame): void {
    const library = this.library;
    if (!library) return;
    this.api.listHeld(library).then(
      (held) => {
        if (this.library === library) this.held = held;
      },
      () => {},
    );
  }

  onAppeal(_f: AppealCreatedFrame): void {
    if (!this.library) return;
    this.api.listAppeals().then(
      (a) => (this.appeals = a),
      () => {},
    );
  }

  async claim(id: number): Promise<void> {
    this.upsert(await this.api.claimReport(id));
  }

  async resolve(id: number, outcome: 'dismissed' | 'acted', note: string): Promise<void> {
    this.upsert(await this.api.resolveReport(id, outcome, note.trim()));
  }

  async approve(id: number): Promise<void> {
    await this.api.approveMessage(id);
    this.held = this.held.filter((m) => m.id !== id);
  }

  async reject(id: number, reason: string): Promise<void> {
    await this.api.rejectMessage(id, reason.trim());
    this.held = this.held.filter((m) => m.id !== id);
  }

  async decide(id: number, overturn: boolean, reason: string): Promise<void> {
    await this.api.decideAppeal(id, overturn, reason.trim());
    this.appeals = this.appeals.filter((a) => a.id !== id);
  }
}

/** REST answers and live frames may cross: keep, per id, the report furthest along. */
function mergeReports(fresh: Report[], known: Report[]): Report[] {
  const rank = { open: 0, claimed: 1, resolved: 2 } as const;
  const byId = new Map(fresh.map((r) => [r.id, r]));
  for (const r of known) {
    const f = byId.get(r.id);
    if (f && rank[r.status] > rank[f.status]) byId.set(r.id, r);
  }
  return [...byId.values()].filter((r) => r.status !== 'resolved');
}

/** Oldest first: the queue is worked through in order. */
function sortReports(list: Report[]): Report[] {
  return [...list].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id - b.id);
}
