import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import * as endpoints from '../api/endpoints';
import type { Thread } from '../api/types';
import { created, fakeClient, FakeSocket, makeMessage } from '../realtime/testing';
import { ChatStore } from './chat.svelte';
import { ModerationStore } from './moderation.svelte';

vi.mock('../api/endpoints', async (original) => ({
  ...(await original<typeof import('../api/endpoints')>()),
  hideMessageRest: vi.fn(),
  pinMessageRest: vi.fn(),
  muteMemberRest: vi.fn(),
  kickMemberRest: vi.fn(),
  lockThreadRest: vi.fn(),
  setSlowModeRest: vi.fn(),
}));

const G = 'energie-en-klimaat';
const sanne = { id: 3, display_name: 'Sanne' };
const THREAD: Thread = {
  id: 12,
  group: G,
  title: 'Zonnepanelen',
  created_by: sanne,
  created_at: '2026-11-25T14:00:00Z',
  last_message_at: null,
  message_count: 0,
  locked: false,
};

function setup() {
  const { client: rt } = fakeClient();
  const chat = new ChatStore({
    rt,
    me: () => sanne,
    isMember: () => true,
    view: async () => ({ fresh: false }),
    release: () => {},
    onRead: () => {},
    knownUnread: () => undefined,
    visible: () => true,
  });
  const threadsSeen: Thread[] = [];
  const moderation = new ModerationStore({ rt, onThread: (t) => (threadsSeen.push(t), chat.onThreadEvent({ thread: t })) });
  rt.on('message.created', (e) => chat.onMessageEvent(e));
  rt.on('message.hidden', (e) => chat.onMessageEvent(e));
  rt.on('thread.locked', (e) => chat.onThreadEvent(e));
  rt.on('group.slow_mode', (e) => moderation.onSlowMode(e));
  rt.on('error', (e) => moderation.onError(e) || chat.onError(e));
  const view = chat.viewFor(12);
  view.thread = { ...THREAD };
  chat.current = 12;
  rt.subscribe(G, 41);
  rt.connect();
  const ws = FakeSocket.latest();
  ws.open();
  ws.receive(created(42, { id: 311, thread: 12 }, G));
  const message = () => view.messages.find((m) => m.id === 311)!;
  return { rt, chat, moderation, view, ws, message, threadsSeen };
}

beforeEach(() => vi.mocked(endpoints.hideMessageRest).mockReset());

describe('moderating a message', () => {
  it('hides over the socket with a ref; the event shows the result', async () => {
    const { chat, view, ws, message } = setup();
    expect(await chat.moderate(12, message(), { action: 'hide', reason: '  Persoonlijke gegevens ' })).toBe(true);
    expect(ws.framesOfType('message.hide')).toEqual([{ type: 'message.hide', id: 311, reason: 'Persoonlijke gegevens', ref: 'hide:311' }]);
    ws.receive({ ...created(43, { id: 311, seq: 42, thread: 12, moderation: { state: 'hidden', reason: 'Persoonlijke gegevens' } }, G), type: 'message.hidden' });
    expect(view.messages[0].moderation).toEqual({ state: 'hidden', reason: 'Persoonlijke gegevens' });
  });

  it('refuses an empty reason without sending anything', async () => {
    const { chat, ws, message } = setup();
    expect(await chat.moderate(12, message(), { action: 'remove', reason: '   ' })).toBe(false);
    expect(ws.framesOfType('message.remove')).toEqual([]);
  });

  it('shows a refusal with the message, through its ref', async () => {
    const { chat, view, ws, message } = setup();
    await chat.moderate(12, message(), { action: 'pin' });
    ws.receive({ type: 'error', code: 'permission_denied', detail: 'Dat mag je niet.', ref: 'pin:311' });
    expect(view.actionErrors).toEqual({ 311: 'Dat mag je niet.' });
    expect(chat.notice).toBeNull();
  });

  it('falls back to REST while the socket is down, and takes the answer', async () => {
    const { chat, view, ws, message } = setup();
    ws.serverClose(1006);
    vi.mocked(endpoints.hideMessageRest).mockResolvedValue(
      makeMessage({ id: 311, seq: 42, thread: 12, group: G, moderation: { state: 'hidden', reason: 'Spam' } }),
    );
    expect(await chat.moderate(12, message(), { action: 'hide', reason: 'Spam' })).toBe(true);
    expect(endpoints.hideMessageRest).toHaveBeenCalledWith(311, 'Spam');
    expect(view.messages[0].moderation?.state).toBe('hidden');
    vi.mocked(endpoints.pinMessageRest).mockRejectedValue(new ApiError(403, { code: 'permission_denied', detail: 'Nee.' }));
    expect(await chat.moderate(12, message(), { action: 'pin' })).toBe(false);
    expect(view.actionErrors[311]).toBe('Nee.');
  });

  it('mutes and kicks the author over REST and says so with the message', async () => {
    const { chat, view, message } = setup();
    vi.mocked(endpoints.muteMemberRest).mockResolvedValue({ id: 1, kind: 'mute' });
    expect(await chat.moderate(12, message(), { action: 'mute', reason: 'Even afkoelen', minutes: 60 })).toBe(true);
    expect(endpoints.muteMemberRest).toHaveBeenCalledWith(G, 7, 'Even afkoelen', 60);
    expect(view.actionInfo[311]).toBe('Anouk is gedempt voor 1 uur.');
    vi.mocked(endpoints.kickMemberRest).mockRejectedValue(new ApiError(403, { code: 'permission_denied', detail: 'Nee.' }));
    expect(await chat.moderate(12, message(), { action: 'kick', reason: 'x' })).toBe(false);
    expect(view.actionInfo[311]).toBeUndefined();
    expect(view.actionErrors[311]).toBe('Nee.');
  });
});

describe('locking a thread and slow mode', () => {
  it('locks over the socket; a refusal shows on the thread’s controls', async () => {
    const { moderation, view, ws } = setup();
    expect(await moderation.lockThread(THREAD, true, 'Afgerond')).toBe(true);
    expect(ws.framesOfType('thread.lock')).toEqual([{ type: 'thread.lock', thread: 12, reason: 'Afgerond', ref: 'lock:12' }]);
    ws.receive({ type: 'thread.locked', group: G, seq: 43, thread: { ...THREAD, locked: true } });
    expect(view.thread?.locked).toBe(true);
    await moderation.lockThread(THREAD, false);
    ws.receive({ type: 'error', code: 'permission_denied', detail: 'Nee.', ref: 'unlock:12' });
    expect(moderation.errors).toEqual({ 'thread:12': 'Nee.' });
  });

  it('sets slow mode over the socket, or REST when it is down', async () => {
    const { moderation, ws } = setup();
    await moderation.setSlowMode(G, 30, null);
    expect(ws.framesOfType('group.slow_mode')).toEqual([{ type: 'group.slow_mode', group: G, seconds: 30, thread: null, ref: 'slowmodegroup:1' }]);
    ws.receive({ type: 'error', code: 'validation_error', detail: 'Ongeldig.', ref: 'slowmodegroup:1' });
    expect(moderation.errors[`group:${G}`]).toBe('Ongeldig.');
    ws.receive({ type: 'group.slow_mode', group: G, seq: 43, thread: null, seconds: 30 });
    expect(moderation.slowModeFor(G, 12)).toBe(30);

    ws.serverClose(1006);
    vi.mocked(endpoints.setSlowModeRest).mockResolvedValue({ group: G, thread: 12, seconds: 120 });
    expect(await moderation.setSlowMode(G, 120, 12)).toBe(true);
    expect(moderation.slowModeOf(G, 12)).toBe(120);
    vi.mocked(endpoints.lockThreadRest).mockResolvedValue({ ...THREAD, locked: true });
    expect(await moderation.lockThread(THREAD, true)).toBe(true);
  });

  it('uses the REST answer for the thread while the socket is down', async () => {
    const { moderation, view, ws, threadsSeen } = setup();
    ws.serverClose(1006);
    vi.mocked(endpoints.lockThreadRest).mockResolvedValue({ ...THREAD, locked: true });
    expect(await moderation.lockThread(THREAD, true, '')).toBe(true);
    expect(threadsSeen.map((t) => t.locked)).toEqual([true]);
    expect(view.thread?.locked).toBe(true);
    vi.mocked(endpoints.lockThreadRest).mockRejectedValue(new ApiError(403, { code: 'permission_denied', detail: 'Nee.' }));
    expect(await moderation.lockThread(THREAD, false)).toBe(false);
    expect(moderation.errors['thread:12']).toBe('Nee.');
  });
});
