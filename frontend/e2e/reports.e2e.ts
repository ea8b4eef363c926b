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
import { ANOUK, BRAM, LIVE, RUN, SANNE, gotoThread, logIn, messagesWithBody, post, startThread, useE2E } from './harness/browser';

const GROUP = 'energie-en-klimaat';
const LIBRARY = 'voorbeeldstad';

const e2e = useE2E();

/** Opens the librarian's panel and waits until its queue follows the library live. */
async function openPanel(page: Page): Promise<void> {
  await page.getByTestId('moderation-link').filter({ hasText: nl.panel.link }).click();
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
});
