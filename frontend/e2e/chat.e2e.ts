/**
 * Live chat between two real browsers (Anouk and Bram, both members of `energie-en-klimaat`) against
 * daphne + Redis + PostgreSQL: delivery, echo reconciliation, going offline and catching up, typing,
 * presence, unread counts, and a server error shown with the message whose action caused it.
 */
import { describe, expect, test } from 'vitest';
import {
  ANOUK,
  BRAM,
  LIVE,
  RUN,
  bodies,
  gotoThread,
  logIn,
  messagesWithBody,
  openThread,
  post,
  unreadCount,
  useE2E,
} from './harness/browser';

const GROUP = 'energie-en-klimaat';
const SOLAR = 'Zonnepanelen op het dak van de bieb?';
const INSULATION = 'Isoleren van een jaren-30 woning';

const e2e = useE2E();

describe('live chat between two browsers', () => {
  test('a message arrives live; offline Bram catches up on missed messages exactly once, in order', async () => {
    const a = await e2e.newUser({ label: 'Anouk' });
    // Bram reaches the server through the proxy, so his WebSocket can really be cut.
    const b = await e2e.newUser({ label: 'Bram', viaProxy: true });

    await logIn(a.page, ANOUK);
    await logIn(b.page, BRAM);
    const path = await openThread(a.page, GROUP, SOLAR);
    await gotoThread(b.page, path);
    // Bram's socket is subscribed once he sees Anouk in the group's online list.
    await b.page.getByTestId('online-user').filter({ hasText: ANOUK.name }).waitFor();

    // 1. Live delivery, and Anouk's own echo turns into the stored message (once).
    const hello = `Hallo Bram, dit is een live bericht (${RUN})`;
    await post(a.page, hello);
    await expect.poll(() => messagesWithBody(b.page, hello).count(), LIVE).toBe(1);
    await expect.poll(() => messagesWithBody(a.page, hello).getAttribute('data-state'), LIVE).toBe('sent');
    expect(await messagesWithBody(a.page, hello).count()).toBe(1);
    const seq = await messagesWithBody(a.page, hello).getAttribute('data-seq');
    expect(Number(seq)).toBeGreaterThan(0);
    expect(await messagesWithBody(b.page, hello).getAttribute('data-seq')).toBe(seq);

    // 2. Bram loses the network: the banner tells him.
    const banner = b.page.getByTestId('connection-banner');
    expect(await banner.count()).toBe(0);
    await b.context.setOffline(true);
    e2e.proxy.cut();
    await banner.waitFor();
    expect(await banner.textContent()).toContain('Verbinding verbroken');

    // 3. Anouk posts three messages while Bram is away.
    const missed = [1, 2, 3].map((n) => `Gemist bericht ${n} (${RUN})`);
    for (const body of missed) await post(a.page, body);
    for (const body of missed) {
      await expect.poll(() => messagesWithBody(a.page, body).getAttribute('data-state'), LIVE).toBe('sent');
    }
    // Nothing can have reached Bram.
    for (const body of missed) expect(await messagesWithBody(b.page, body).count()).toBe(0);
    expect(await banner.count()).toBe(1);

    // 4. Bram is back: the banner goes and each missed message shows exactly once, in order.
    e2e.proxy.restore();
    await b.context.setOffline(false);
    await banner.waitFor({ state: 'detached', timeout: LIVE.timeout });
    await expect
      .poll(async () => (await bodies(b.page)).filter((t) => missed.includes(t)), LIVE)
      .toEqual(missed);
    for (const body of missed) expect(await messagesWithBody(b.page, body).count()).toBe(1);
    expect(await messagesWithBody(b.page, hello).count()).toBe(1);

    // Both views agree on the whole conversation, by seq.
    const seqs = (page: typeof a.page) =>
      page.getByTestId('message').evaluateAll((items) => items.map((i) => Number(i.getAttribute('data-seq'))));
    await expect.poll(() => seqs(b.page), LIVE).toEqual(await seqs(a.page));
    const bSeqs = await seqs(b.page);
    expect([...bSeqs].sort((x, y) => x - y)).toEqual(bSeqs);
    expect(new Set(bSeqs).size).toBe(bSeqs.length);

    // And the connection really works again: a new message still arrives live.
    const after = `Weer online? (${RUN})`;
    await post(a.page, after);
    await expect.poll(() => messagesWithBody(b.page, after).count(), LIVE).toBe(1);
  });

  test('presence and the typing indicator', async () => {
    const a = await e2e.newUser({ label: 'Anouk' });
    const b = await e2e.newUser({ label: 'Bram' });
    await logIn(a.page, ANOUK);
    await logIn(b.page, BRAM);
    const path = await openThread(b.page, GROUP, INSULATION);
    await gotoThread(a.page, path);

    // Each sees the other online.
    await b.page.getByTestId('online-list').getByTestId('online-user').filter({ hasText: ANOUK.name }).waitFor();
    await a.page.getByTestId('online-list').getByTestId('online-user').filter({ hasText: BRAM.name }).waitFor();

    const typing = b.page.getByTestId('typing-indicator');
    expect((await typing.textContent())?.trim()).toBe('');
    await a.page.getByTestId('composer').pressSequentially('Ik denk dat ', { delay: 20 });
    await expect.poll(async () => (await typing.textContent())?.trim(), LIVE).toBe('Anouk typt…');
    // Anouk does not see herself typing.
    expect((await a.page.getByTestId('typing-indicator').textContent())?.trim()).toBe('');

    // Her message ends the indicator at once (not only after its 5 s timeout).
    await a.page.getByTestId('composer').pressSequentially(`een vochtmeting verstandig is (${RUN})`);
    await a.page.getByTestId('composer').press('Enter');
    const body = `Ik denk dat een vochtmeting verstandig is (${RUN})`;
    await expect.poll(() => messagesWithBody(b.page, body).count(), LIVE).toBe(1);
    expect((await typing.textContent())?.trim()).toBe('');

    // Anouk leaves: Bram's online list drops her.
    await a.context.close();
    await expect
      .poll(() => b.page.getByTestId('online-user').filter({ hasText: ANOUK.name }).count(), LIVE)
      .toBe(0);
  });

  test('the unread badge in the group list follows messages Bram has not seen', async () => {
    const a = await e2e.newUser({ label: 'Anouk' });
    const b = await e2e.newUser({ label: 'Bram' });
    await logIn(a.page, ANOUK);
    await logIn(b.page, BRAM);

    // Bram reads both threads. Other test files may have left unread messages in other threads of
    // the group (files run in an order of Vitest's choosing): count from whatever that leaves.
    await openThread(b.page, GROUP, SOLAR);
    const path = await openThread(b.page, GROUP, INSULATION);
    await b.page.getByRole('navigation').getByRole('link', { name: 'Kennisgroepen' }).click();
    const item = b.page.locator(`[data-testid="group-item"][data-slug="${GROUP}"]`);
    await item.waitFor();
    const base = await unreadCount(item);

    // Anouk posts twice in a thread Bram is not viewing: the badge counts them live.
    await gotoThread(a.page, path);
    const first = `Nog een tip over isolatie (${RUN})`;
    const second = `En over ventilatie (${RUN})`;
    await post(a.page, first);
    await expect.poll(() => unreadCount(item), LIVE).toBe(base + 1);
    await post(a.page, second);
    await expect.poll(() => unreadCount(item), LIVE).toBe(base + 2);

    // The group page shows which thread they are in.
    await item.getByTestId('group-link').click();
    const thread = b.page.getByTestId('thread-item').filter({ hasText: INSULATION });
    await expect.poll(() => unreadCount(thread), LIVE).toBe(2);
    expect(await unreadCount(b.page.getByTestId('thread-item').filter({ hasText: SOLAR }))).toBe(0);

    // Opening the thread shows the messages after the "new messages" divider and clears the badges.
    await thread.getByTestId('thread-link').click();
    await messagesWithBody(b.page, second).waitFor();
    const divider = b.page.getByTestId('message').filter({ has: b.page.getByTestId('unread-divider') });
    expect(await divider.getByTestId('message-body').textContent()).toContain(first);
    await b.page.getByRole('navigation').getByRole('link', { name: 'Kennisgroepen' }).click();
    await item.waitFor();
    await expect.poll(() => unreadCount(item), LIVE).toBe(base);
    // The same after a full reload (the server recorded the read position).
    await b.page.reload();
    await item.waitFor();
    expect(await unreadCount(item)).toBe(base);
  });

  test("the server's error for a delete shows with that message, through the ref it echoes", async () => {
    const a = await e2e.newUser({ label: 'Anouk' });
    // Anouk's delete frames are pointed at a message that does not exist; their ref stays, so the
    // server's real `not_found` comes back carrying it.
    await a.page.routeWebSocket(/\/ws\//, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((data) => {
        const frame = JSON.parse(String(data)) as { type: string; id?: number };
        if (frame.type === 'message.delete') frame.id = 2_000_000_000;
        server.send(JSON.stringify(frame));
      });
    });
    await logIn(a.page, ANOUK);
    await openThread(a.page, GROUP, SOLAR);
    const body = `Dit bericht blijft staan (${RUN})`;
    await post(a.page, body);
    const message = messagesWithBody(a.page, body);
    await expect.poll(() => message.getAttribute('data-state'), LIVE).toBe('sent');

    await message.getByTestId('delete-button').click();
    await message.getByTestId('delete-confirm').click();
    const error = message.getByTestId('message-error');
    await error.waitFor({ timeout: LIVE.timeout });
    expect(await error.getAttribute('role')).toBe('alert');
    expect((await error.textContent())?.trim()).not.toBe('');
    expect(await a.page.getByTestId('chat-notice').count()).toBe(0);
    expect(await message.getAttribute('data-deleted')).toBeNull();

    await error.getByRole('button', { name: 'Sluiten' }).click();
    expect(await error.count()).toBe(0);
  });
});
