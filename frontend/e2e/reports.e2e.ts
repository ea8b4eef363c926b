/**
 * Reports and the word list between real browsers: Anouk reports Bram's message, the librarian's
 * open moderation panel shows the report without a reload, she resolves it as "acted" with a note
 * and Anouk is told the outcome. And: the librarian adds a "block" word in the panel, Anouk's message
 * with that word is refused with the translated error, and nothing reaches Bram.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { nl } from '../src/i18n/nl';
import { ANOUK, BRAM, LIVE, RUN, SANNE, gotoThread, logIn, messagesWithBody, post, restFromPage, startThread, useE2E } from './harness/browser';

const GROUP = 'energie-en-klimaat';
const BEHEER = { email: 'beheer@voorbeeldstad.example', name: 'Platformbeheer' };

/** A REST call from a signed-in page (same origin, its CSRF cookie), as a shortcut for a step another test covers. */
async function rest(page: Page, method: string, path: string, body?: unknown): Promise<number> {
  return (await restFromPage(page, method, path, body)).status;
}

const LIBRARY = 'voorbeeldstad';

const e2e = useE2E();

/** Opens the librarian's panel and waits until its queue follows the library live. */
async function openPanel(page: Page): Promise<void> {
  // Staff see a link per library (other test files make libraries of their own): this library's.
  await page.locator(`[data-testid="moderation-link"][data-library="${LIBRARY}"]`).click();
  await page.waitForURL((url) => url.pathname === `/moderation/${LIBRARY}`);
  await expect.poll(() => page.getByTestId('queue-live').getAttribute('data-live'), LIVE).toBe('true');
}

async function seesOnline(page: Page, name: string): Promise<void> {
  await page.getByTestId('online-list').getByTestId('online-user').filter({ hasText: name }).waitFor({ timeout: LIVE.timeout });
}

describe('reports and the word list', () => {
  test('a member reports a message; the librarian sees it live, resolves it; the member hears the outcome', async () => {
    const a = await e2e.newUser({ label: 'Anouk' });
    const b = await e2e.newUser({ label: 'Bram' });
    const s = await e2e.newUser({ label: 'Sanne' });
    await Promise.all([logIn(a.page, ANOUK), logIn(b.page, BRAM), logIn(s.page, SANNE)]);
    // Members have no way into the panel.
    expect(await a.page.getByTestId('moderation-link').count()).toBe(0);
    await openPanel(s.page);

    const path = await startThread(b.page, GROUP, `Zonnepanelen op het dak (${RUN})`);
    const body = `Koop nu goedkope panelen via mijn site (${RUN})`;
    await post(b.page, body);
    const bramsOwn = messagesWithBody(b.page, body);
    await expect.poll(() => bramsOwn.getAttribute('data-state'), LIVE).toBe('sent');
    // Nobody reports their own message.
    expect(await bramsOwn.getByTestId('report-button').count()).toBe(0);

    await gotoThread(a.page, path);
    const target = messagesWithBody(a.page, body);
    await target.getByTestId('report-button').click();
    const form = target.getByTestId('report-form');
    const category = form.getByTestId('report-category');
    await expect.poll(() => category.evaluate((el) => el === document.activeElement), LIVE).toBe(true);
    await category.selectOption('spam');
    await form.getByTestId('report-note').fill('Reclame');
    await form.getByTestId('report-submit').click();
    await form.waitFor({ state: 'detached' });
    expect((await target.getByTestId('message-info').textContent())?.trim()).toContain(nl.report.sent);

    // Sanne's panel shows it without a reload, with the message as moderators see it.
    const item = s.page.getByTestId('report-item').filter({ hasText: body });
    await item.waitFor({ timeout: LIVE.timeout });
    expect(await item.textContent()).toContain('Reclame');
    expect(await item.getByTestId('mod-thread-link').getAttribute('href')).toBe(path);

    // Reporting again is refused, with the message.
    await target.getByTestId('report-button').click();
    await target.getByTestId('report-submit').click();
    const refusal = target.getByTestId('message-error');
    await refusal.waitFor({ timeout: LIVE.timeout });
    expect((await refusal.textContent())?.trim()).toContain(nl.errors.already_reported);

    // Claim, then resolve as "acted" with a note.
    await item.getByTestId('report-claim').click();
    await expect.poll(() => item.getAttribute('data-status'), LIVE).toBe('claimed');
    await item.getByTestId('outcome-acted').check();
    await item.getByTestId('outcome-note').fill('Bericht verborgen, dank je');
    await item.getByTestId('report-resolve').click();
    await item.waitFor({ state: 'detached', timeout: LIVE.timeout });

    const outcome = a.page.locator('[data-testid="report-outcome"][data-outcome="acted"]');
    await outcome.waitFor({ timeout: LIVE.timeout });
    const text = (await outcome.textContent()) ?? '';
    expect(text).toContain('Je melding is behandeld:');
    expect(text).toContain('Bericht verborgen, dank je');
    expect(await b.page.getByTestId('report-outcome').count()).toBe(0);
  });

  test('the librarian adds a block word: a message with it is refused, and nothing reaches another member', async () => {
    const a = await e2e.newUser({ label: 'Anouk' });
    const b = await e2e.newUser({ label: 'Bram' });
    const s = await e2e.newUser({ label: 'Sanne' });
    await Promise.all([logIn(a.page, ANOUK), logIn(b.page, BRAM), logIn(s.page, SANNE)]);
    await openPanel(s.page);

    const word = `scheldwoord${RUN}`;
    const tab = s.page.locator('[data-testid="panel-tab"][data-tab="words"]');
    // Keyboard: from the first tab, End goes to the last (settings), ArrowLeft to the word list.
    await s.page.locator('[data-testid="panel-tab"][data-tab="reports"]').focus();
    await s.page.keyboard.press('End');
    await s.page.keyboard.press('ArrowLeft');
    await expect.poll(() => tab.getAttribute('aria-selected'), LIVE).toBe('true');
    await s.page.getByTestId('word-phrase').fill(word);
    await s.page.getByTestId('word-action').selectOption('block');
    await s.page.getByTestId('word-add').click();
    await s.page.locator(`[data-testid="word-item"][data-phrase="${word}"][data-action="block"]`).waitFor({ timeout: LIVE.timeout });

    // The panel at 360 px: no sideways scrolling, no serious accessibility findings.
    await s.page.setViewportSize({ width: 360, height: 740 });
    expect(await s.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    const scan = await new AxeBuilder({ page: s.page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    expect(scan.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);

    const path = await startThread(a.page, GROUP, `Woordenlijst (${RUN})`, `Eerste bericht (${RUN})`);
    await gotoThread(b.page, path);
    await seesOnline(a.page, BRAM.name);

    const blocked = `Wat een ${word.toUpperCase()} is dat (${RUN})`;
    await post(a.page, blocked);
    const failed = messagesWithBody(a.page, blocked);
    await expect.poll(() => failed.getAttribute('data-state'), LIVE).toBe('failed');
    expect(await failed.getByTestId('message-failed').textContent()).toContain(nl.errors.blocked_content);

    // A message after it arrives at Bram's; the blocked one never does.
    const after = `Sorry, ik bedoelde iets anders (${RUN})`;
    await post(a.page, after);
    await messagesWithBody(b.page, after).waitFor({ timeout: LIVE.timeout });
    expect(await b.page.getByText(blocked).count()).toBe(0);
    expect(await b.page.getByText(word, { exact: false }).count()).toBe(0);

    // Clean up so other runs against the same database start from the demo's word list.
    await s.page.locator(`[data-testid="word-item"][data-phrase="${word}"]`).getByTestId('word-remove').click();
    await s.page.locator(`[data-testid="word-item"][data-phrase="${word}"]`).waitFor({ state: 'detached' });
  });

  test('a member appeals a hide from its notice and reads the guidelines; staff overturn it in the panel; she hears the decision', async () => {
    const a = await e2e.newUser({ label: 'Anouk' });
    const s = await e2e.newUser({ label: 'Sanne' });
    const st = await e2e.newUser({ label: 'Beheer' });
    await Promise.all([logIn(a.page, ANOUK), logIn(s.page, SANNE), logIn(st.page, BEHEER)]);

    const path = await startThread(a.page, GROUP, `Bezwaar (${RUN})`);
    const body = `Mijn buurman heet Jan Jansen (${RUN})`;
    await post(a.page, body);
    const mine = messagesWithBody(a.page, body);
    await expect.poll(() => mine.getAttribute('data-state'), LIVE).toBe('sent');
    const id = Number(await mine.getAttribute('data-message-id'));

    // Sanne hides it (the menu is covered by moderation.e2e.ts).
    expect(await rest(s.page, 'POST', `moderation/messages/${id}/hide/`, { reason: 'Persoonlijke gegevens' })).toBe(200);
    const notice = a.page.locator('[data-testid="moderation-notice"][data-action="hide"]');
    await notice.waitFor({ timeout: LIVE.timeout });

    // Appeal: the text is required, then it is sent once.
    await notice.getByTestId('appeal-button').click();
    const text = notice.getByTestId('appeal-text');
    await expect.poll(() => text.evaluate((el) => el === document.activeElement), LIVE).toBe(true);
    await notice.getByTestId('appeal-submit').click();
    await expect.poll(() => text.getAttribute('aria-invalid'), LIVE).toBe('true');
    await text.fill('Jan vindt het goed dat ik zijn naam noem.');
    await notice.getByTestId('appeal-submit').click();
    await notice.getByTestId('appeal-sent').waitFor({ timeout: LIVE.timeout });
    expect(await notice.getByTestId('appeal-button').count()).toBe(0);

    // Staff decide (Sanne acted and is the only librarian): overturn, with a reason.
    await openPanel(st.page);
    await st.page.locator('[data-testid="panel-tab"][data-tab="appeals"]').click();
    const item = st.page.getByTestId('appeal-item').filter({ hasText: 'Jan vindt het goed' });
    await item.waitFor({ timeout: LIVE.timeout });
    await item.getByLabel(nl.panel.appeals.overturn).check();
    await item.getByLabel(nl.panel.appeals.reason).fill('Met toestemming mag het');
    await item.getByRole('button', { name: nl.panel.appeals.decide }).click();
    await item.waitFor({ state: 'detached', timeout: LIVE.timeout });

    const decided = a.page.locator('[data-testid="appeal-decided"][data-outcome="overturned"]');
    await decided.waitFor({ timeout: LIVE.timeout });
    expect(await decided.textContent()).toContain('Met toestemming mag het');
    // Overturning unhides it: the text is back for everyone, live.
    await expect.poll(() => messagesWithBody(a.page, body).count(), LIVE).toBe(1);
    expect(new URL(a.page.url()).pathname).toBe(path);

    // The notice links the library's community guidelines.
    await notice.getByTestId('notice-guidelines').click();
    await a.page.waitForURL((url) => url.pathname === `/libraries/${LIBRARY}/huisregels`);
    const guidelines = a.page.getByTestId('guidelines-text');
    await guidelines.waitFor();
    expect(await guidelines.textContent()).toContain('Geen reclame of spam.');
  });
});
