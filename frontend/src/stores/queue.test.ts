import { describe, expect, it, vi } from 'vitest';
import type { Report } from '../api/types';
import { FakeSocket, fakeClient, makeMessage } from '../realtime/testing';
import { QueueStore, type QueueApi } from './queue.svelte';

function report(over: Partial<Report> = {}): Report {
  return {
    id: 5,
    group: 'energie-klimaat',
    message: makeMessage({ id: 311 }),
    reporter: { id: 7, display_name: 'Anouk' },
    category: 'spam',
    note: 'Reclame',
    status: 'open',
    claimed_by: null,
    outcome: null,
    outcome_note: '',
    created_at: '2026-11-25T10:00:00Z',
    ...over,
  };
}

function api(over: Partial<QueueApi> = {}): QueueApi {
  return {
    listReports: vi.fn(async () => [report()]),
    listHeld: vi.fn(async () => []),
    listAppeals: vi.fn(async () => []),
    claimReport: vi.fn(async (id: number) => report({ id, status: 'claimed', claimed_by: 3 })),
    resolveReport: vi.fn(async (id: number, outcome) => report({ id, status: 'resolved', outcome })),
    approveMessage: vi.fn(async () => makeMessage()),
    rejectMessage: vi.fn(async () => makeMessage()),
    decideAppeal: vi.fn(),
    ...over,
  } as QueueApi;
}

function setup(a = api()) {
  const { client } = fakeClient();
  client.connect();
  const ws = FakeSocket.latest();
  ws.open();
  const q = new QueueStore(client, a);
  return { client, ws, q, a };
}

describe('QueueStore', () => {
  it('loads the queue, subscribes, and applies report frames live', async () => {
    const { ws, q } = setup();
    await q.open('voorbeeldstad');
    expect(ws.framesOfType('moderation.subscribe')).toEqual([{ type: 'moderation.subscribe', library: 'voorbeeldstad' }]);
    expect(q.reports.map((r) => r.id)).toEqual([5]);
    ws.receive({ type: 'moderation.subscribed', library: 'voorbeeldstad' });
    expect(q.live).toBe(true);
    ws.receive({ type: 'report.created', report: report({ id: 6, created_at: '2026-11-25T11:00:00Z' }) });
    expect(q.reports.map((r) => r.id)).toEqual([5, 6]);
    ws.receive({ type: 'report.updated', report: report({ id: 5, status: 'claimed', claimed_by: 3 }) });
    expect(q.reports[0].status).toBe('claimed');
    ws.receive({ type: 'report.updated', report: report({ id: 6, status: 'resolved', outcome: 'acted' }) });
    expect(q.reports.map((r) => r.id)).toEqual([5]);
  });

  it('claims and resolves over REST; a resolved report leaves the queue', async () => {
    const { q, a } = setup();
    await q.open('voorbeeldstad');
    await q.claim(5);
    expect(q.reports[0].status).toBe('claimed');
    await q.resolve(5, 'acted', '  Verborgen ');
    expect(a.resolveReport).toHaveBeenCalledWith(5, 'acted', 'Verborgen');
    expect(q.reports).toEqual([]);
  });

  it('subscribes again and reloads after a reconnect; ignores frames once closed', async () => {
    const { ws, q, a, client } = setup();
    await q.open('voorbeeldstad');
    ws.serverClose(1006);
    client.reconnectNow();
    const ws2 = FakeSocket.latest();
    expect(ws2).not.toBe(ws);
    ws2.open();
    expect(ws2.framesOfType('moderation.subscribe')).toHaveLength(1);
    expect(a.listReports).toHaveBeenCalledTimes(2);
    q.close();
    ws2.receive({ type: 'report.created', report: report({ id: 9 }) });
    expect(q.reports.some((r) => r.id === 9)).toBe(false);
  });
});
