/**
 * Moderation between real browsers: the librarian (Sanne) hides a member's message through the
 * message's menu — it turns into the moderator's reason for the author (Anouk) and a third member
 * (Bram) without a reload, while Sanne still sees the text, marked — and locks a thread, which
 * disables Bram's composer with a notice. Plus an accessibility scan of the moderator's view on a phone.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { ANOUK, BRAM, LIVE, RUN, SANNE, gotoThread, logIn, messagesWithBody, post, startThread, useE2E } from './harness/browser';

const GROUP = 'energie-en-klimaat';

const e2e = useE2E();

/** The message with this id on a page (its body may be gone). */
const messageById = (page: Page, id: string) => page.locator(`[data-testid="message"][data-message-id="${id}"]`);

/** Waits until the page's socket follows the group: the online list shows `name`. */
async function seesOnline(page: Page, name: string): Promise<void> {
  await page.getByTestId('online-list').getByTestId('online-user').filter({ hasText: name }).waitFor({ timeout: LIVE.timeout });
}

describe('moderation in the chat', () => {
  test('the librarian hides a message through its menu: members see the reason instead, live; she still sees it marked', async () => {
    const a = await e2e.newUser({ label: 'Anouk' });
    const b = await e2e.newUser({ label: 'Bram' });
    const s = await e2e.newUser({ label: 'Sanne' });
    await Promise.all([logIn(a.page, ANOUK), logIn(b.page, BRAM), logIn(s.page, SANNE)]);

    const path = await startThread(a.page, GROUP, `Bellen over de energiecoöperatie (${RUN})`);
    const body = `Bel me gerust op 06-12345678 (${RUN})`;
    await post(a.page, body);
    const mine = messagesWithBody(a.page, body);
    await expect.poll(() => mine.getAttribute('data-state'), LIVE).toBe('sent');
    const id = (await mine.getAttribute('data-message-id'))!;

    await gotoThread(b.page, path);
    await gotoThread(s.page, path);
    await seesOnline(a.page, BRAM.name);
    await seesOnline(a.page, SANNE.name);
    await seesOnline(b.page, ANOUK.name);

    // Members have no menu; the librarian has, and works it with the keyboard.
    expect(await b.page.getByTestId('moderation-menu-button').count()).toBe(0);
    expect(await a.page.getByTestId('moderation-menu-button').count()).toBe(0);
    const target = messageById(s.page, id);
    const trigger = target.getByTestId('moderation-menu-button');
    expect(await trigger.getAttribute('aria-haspopup')).toBe('menu');
    await trigger.focus();
    await s.page.keyboard.press('ArrowDown');
    const menu = target.getByRole('menu');
    await menu.waitFor();
    expect(await trigger.getAttribute('aria-expanded')).toBe('true');
    expect(await menu.getByRole('menuitem').allTextContents()).toEqual([
      'Verbergen…',
      'Verwijderen…',
      'Vastzetten',
      'Anouk dempen…',
      'Anouk uitsluiten…',
      'Verbinding van Anouk verbreken…',
    ]);
    await expect.poll(() => s.page.evaluate(() => document.activeElement?.textContent), LIVE).toBe('Verbergen…');
    await s.page.keyboard.press('Enter');

    // The reason is required.
    const form = target.getByTestId('moderation-form');
    await form.waitFor();
    const reason = form.getByTestId('moderation-reason-input');
    await expect.poll(() => reason.evaluate((el) => el === document.activeElement), LIVE).toBe(true);
    await form.getByTestId('moderation-submit').click();
    await expect.poll(() => reason.getAttribute('aria-invalid'), LIVE).toBe('true');
    await reason.fill('Persoonlijke gegevens');
    await form.getByTestId('moderation-submit').click();
    await form.waitFor({ state: 'detached' });

    // Anouk and Bram: the text is gone, the reason shows in its place — without a reload.
    for (const page of [a.page, b.page]) {
      const moderated = messageById(page, id).getByTestId('message-moderated');
      await moderated.waitFor({ timeout: LIVE.timeout });
      expect((await moderated.textContent())?.trim()).toBe('Verborgen door een moderator: Persoonlijke gegevens');
      expect(await messagesWithBody(page, body).count()).toBe(0);
      expect(await page.getByText(body).count()).toBe(0);
    }
    // Anouk is told what happened to her message, and why.
    const notice = a.page.locator('[data-testid="moderation-notice"][data-action="hide"]');
    await notice.waitFor({ timeout: LIVE.timeout });
    expect(await notice.textContent()).toContain('Reden: Persoonlijke gegevens');
    expect(await b.page.getByTestId('moderation-notice').count()).toBe(0);

    // Sanne still sees the text, marked as hidden with the reason.
    await expect.poll(() => target.getAttribute('data-moderation'), LIVE).toBe('hidden');
    expect((await target.getByTestId('message-body').textContent())?.trim()).toBe(body);
    expect((await target.getByTestId('moderation-badge').textContent())?.trim()).toBe('Verborgen');
    expect(await target.getByTestId('moderation-reason').textContent()).toContain('Reden: Persoonlijke gegevens');
    expect(await target.getByTestId('message-error').count()).toBe(0);

    // Still hidden after a reload (the server withholds it).
    await b.page.reload();
    await messageById(b.page, id).getByTestId('message-moderated').waitFor();
    expect(await b.page.getByText(body).count()).toBe(0);
  });

  test('the librarian locks a thread: a member’s composer is disabled with the notice, live', async () => {
    const b = await e2e.newUser({ label: 'Bram' });
    const s = await e2e.newUser({ label: 'Sanne' });
    await Promise.all([logIn(b.page, BRAM), logIn(s.page, SANNE)]);
    const path = await startThread(s.page, GROUP, `Afspraken voor de bijeenkomst (${RUN})`, `Wie neemt koffie mee? (${RUN})`);
    await gotoThread(b.page, path);
    await seesOnline(b.page, SANNE.name);
    await seesOnline(s.page, BRAM.name);

    const composer = b.page.getByTestId('composer');
    expect(await composer.isDisabled()).toBe(false);
    expect(await b.page.getByTestId('moderation-panel').count()).toBe(0);

    const panel = s.page.getByTestId('moderation-panel');
    await panel.getByTestId('lock-reason').fill('Afgerond');
    await panel.getByTestId('lock-button').click();

    await expect.poll(() => composer.isDisabled(), LIVE).toBe(true);
    expect(await b.page.getByTestId('send-button').isDisabled()).toBe(true);
    const locked = b.page.getByTestId('thread-locked');
    expect(await locked.textContent()).toContain('Dit gesprek is gesloten');
    expect(await b.page.getByTestId('composer-blocked').textContent()).toContain('Dit gesprek is gesloten');

    // The librarian may still post, and can reopen it.
    await expect.poll(() => panel.getByTestId('lock-button').getAttribute('data-action'), LIVE).toBe('unlock');
    expect(await s.page.getByTestId('composer').isDisabled()).toBe(false);
    expect(await s.page.getByTestId('thread-locked').textContent()).toContain('Als moderator');
    await panel.getByTestId('lock-button').click();
    await expect.poll(() => composer.isDisabled(), LIVE).toBe(false);
    expect(await b.page.getByTestId('thread-locked').count()).toBe(0);
  });

  test('the moderator’s view at 360 px, menu and form open: no serious axe violations, no sideways scrolling', async () => {
    const s = await e2e.newUser({ label: 'Sanne (phone)', viewport: { width: 360, height: 740 } });
    await logIn(s.page, SANNE);
    await startThread(s.page, GROUP, `Telefoonweergave (${RUN})`, `Een bericht om te modereren (${RUN})`);
    const message = s.page.getByTestId('message').first();
    await message.getByTestId('moderation-menu-button').click();
    await message.getByRole('menu').waitFor();
    const violations = async () => {
      const result = await new AxeBuilder({ page: s.page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
      return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    };
    const fits = () => s.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    expect(await violations()).toEqual([]);
    expect(await fits()).toBe(true);
    await message.locator('[data-testid="moderation-action"][data-action="hide"]').click();
    await message.getByTestId('moderation-form').waitFor();
    expect(await violations()).toEqual([]);
    expect(await fits()).toBe(true);
  });
});
