/**
 * Resources in the chat between real browsers: a link shared in a message gets its preview card in
 * both windows, live, once the server's background worker has fetched it from a local test site —
 * while the message itself never waited for that fetch; the card's image comes from our own origin
 * and the browser never contacts the linked site. A book from the library catalogue is attached
 * through the composer's dialog with the keyboard alone. And axe at 360 px with cards and the dialog.
 * The author of a message already sent attaches a book to it, and removes it, and the other sees both live.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, inject, test } from 'vitest';
import { ANOUK, BRAM, LIVE, RUN, fetchesPreviewSite, gotoThread, logIn, post, startThread, useE2E } from './harness/browser';

const GROUP = 'energie-en-klimaat';
const PREVIEW = inject('previewServerUrl');
const ARTICLE_URL = `${PREVIEW}/artikel-zonnepanelen`;
const OG_TITLE = 'Zonnepanelen op je dak: zo begin je';
const SITE_NAME = 'Energieloket Voorbeeldstad';
const PHONE = { width: 360, height: 740 };

const e2e = useE2E();

/** The preview site's gate: while closed, the worker's fetch of the article waits. */
async function gate(action: 'open' | 'close'): Promise<void> {
  const response = await fetch(`${PREVIEW}/__gate/${action}`);
  expect(response.ok).toBe(true);
}
async function gateStatus(): Promise<{ closed: boolean; waiting: number; served: number }> {
  return (await fetch(`${PREVIEW}/__gate/status`)).json();
}

/** The message whose text contains `marker` (unique per test run). */
const messageWith = (page: Page, marker: string): Locator => page.getByTestId('message').filter({ hasText: marker });

async function seesOnline(page: Page, name: string): Promise<void> {
  await page.getByTestId('online-list').getByTestId('online-user').filter({ hasText: name }).waitFor({ timeout: LIVE.timeout });
}

async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
const fitsWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

/**
 * Attaches a book from the catalogue with the keyboard only: from the text box back to "Bron
 * toevoegen", the "Catalogus" tab, a search, the arrow keys to the first book, Enter. Returns its title.
 */
async function attachBookByKeyboard(page: Page, query: string): Promise<string> {
  const composer = page.getByTestId('composer');
  await composer.focus();
  await page.keyboard.press('Shift+Tab');
  expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('attach-button');
  await page.keyboard.press('Enter');
  const dialog = page.getByTestId('attach-dialog');
  await dialog.waitFor();
  const focusedTab = () => page.evaluate(() => document.activeElement?.getAttribute('data-tab'));
  expect(await focusedTab()).toBe('link');
  await page.keyboard.press('End');
  expect(await focusedTab()).toBe('catalogue');
  await page.keyboard.press('Tab');
  const search = dialog.getByTestId('attach-search');
  expect(await search.evaluate((el) => el === document.activeElement)).toBe(true);
  await page.keyboard.type(query);
  await expect.poll(() => dialog.getByTestId('attach-result-count').textContent(), LIVE).toMatch(/titels? gevonden/);
  const count = await dialog.getByTestId('attach-result').count();
  expect(count).toBeGreaterThan(0);

  const active = async () => {
    const id = await search.getAttribute('aria-activedescendant');
    return id ? page.locator(`[id="${id}"]`) : null;
  };
  for (let i = 0; i < count; i++) {
    await page.keyboard.press('ArrowDown');
    const option = await active();
    expect(option, 'an active option after ArrowDown').not.toBeNull();
    expect(await option!.getAttribute('aria-selected')).toBe('true');
    if ((await option!.getAttribute('data-kind')) === 'book') break;
  }
  const chosen = (await active())!;
  expect(await chosen.getAttribute('data-kind'), 'a book among the results').toBe('book');
  const title = (await chosen.locator('.r-title').textContent())!.trim();
  await page.keyboard.press('Enter');
  await dialog.waitFor({ state: 'detached' });
  await page.getByTestId('attachment-chip').filter({ hasText: title }).waitFor();
  // Back in the text box, ready to write.
  expect(await composer.evaluate((el) => el === document.activeElement)).toBe(true);
  return title;
}

describe('resources in the chat', () => {
  test('a shared link: the message arrives at once for both, then the preview card appears in both windows, live', async () => {
    const a = await e2e.newUser({ label: 'Anouk' });
    const b = await e2e.newUser({ label: 'Bram' });
    await Promise.all([logIn(a.page, ANOUK), logIn(b.page, BRAM)]);
    const path = await startThread(a.page, GROUP, `Zonnepanelen: waar begin je? (${RUN})`, `Wie heeft er tips? (${RUN})`);
    await gotoThread(b.page, path);
    await seesOnline(a.page, BRAM.name);
    await seesOnline(b.page, ANOUK.name);

    // Hold the article back: the worker's fetch will wait at the test site until the gate opens.
    await gate('close');
    try {
      const marker = `artikel-${RUN}`;
      await post(a.page, `Handig om mee te beginnen: ${ARTICLE_URL} (${marker})`);

      // The message is there for both, sent, with a loading card — while the preview is still being fetched.
      for (const page of [a.page, b.page]) {
        const message = messageWith(page, marker);
        await expect.poll(() => message.getAttribute('data-state'), LIVE).toBe('sent');
        const pending = message.locator('[data-testid="resource-card"][data-variant="pending"]');
        await pending.waitFor({ timeout: LIVE.timeout });
        expect(await pending.getAttribute('aria-busy')).toBe('true');
        expect(await pending.getByTestId('resource-pending').textContent()).toBe('Voorbeeld wordt geladen…');
      }
      await expect.poll(async () => (await gateStatus()).waiting, LIVE).toBeGreaterThan(0);
      // Still in flight now, and the message was already delivered to both.
      for (const page of [a.page, b.page]) {
        expect(await messageWith(page, marker).locator('[data-testid="resource-card"][data-variant="pending"]').count()).toBe(1);
      }

      await gate('open');

      for (const page of [a.page, b.page]) {
        const card = messageWith(page, marker).locator('[data-testid="resource-card"][data-variant="web"]');
        await card.waitFor({ timeout: LIVE.timeout });
        expect(await card.getAttribute('aria-label')).toBe(OG_TITLE);
        const link = card.getByTestId('resource-title').getByRole('link');
        expect((await link.textContent())?.trim()).toContain(OG_TITLE);
        expect(await link.getAttribute('href')).toBe(ARTICLE_URL);
        expect(await link.getAttribute('rel')).toBe('noopener noreferrer nofollow ugc');
        expect(await link.getAttribute('target')).toBe('_blank');
        expect(await card.getByTestId('resource-site').textContent()).toContain(SITE_NAME);
        // The image comes from our own origin, and really loads from there.
        const img = card.locator('img');
        const src = (await img.getAttribute('src'))!;
        expect(src.startsWith('/api/v1/resources/')).toBe(true);
        await img.scrollIntoViewIfNeeded();
        await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth), LIVE).toBe(8);
        expect(await card.getByTestId('resource-discussed-link').getAttribute('href')).toMatch(/^\/resources\/\d+$/);
      }
      // Bram got it without reloading: still the same message element he saw arrive.
      expect(await messageWith(b.page, marker).count()).toBe(1);
    } finally {
      await gate('open');
    }

    // The server fetched the article; the browsers never did (the harness checks every test too).
    expect((await gateStatus()).served).toBeGreaterThan(0);
    expect(e2e.requests.filter((url) => fetchesPreviewSite(url, PREVIEW))).toEqual([]);
    expect(e2e.requests.some((url) => new URL(url).pathname.startsWith('/api/v1/resources/'))).toBe(true);
  });

  test('a book from the catalogue, attached with the keyboard only, shows as a book card', async () => {
    const a = await e2e.newUser({ label: 'Anouk' });
    const b = await e2e.newUser({ label: 'Bram' });
    await Promise.all([logIn(a.page, ANOUK), logIn(b.page, BRAM)]);
    const path = await startThread(a.page, GROUP, `Boeken over zonne-energie (${RUN})`, `Welk boek raden jullie aan? (${RUN})`);
    await gotoThread(b.page, path);
    await seesOnline(b.page, ANOUK.name);

    const title = await attachBookByKeyboard(a.page, 'zonne');
    const marker = `boek-${RUN}`;
    await a.page.keyboard.type(`Dit boek vond ik goed (${marker})`);
    await a.page.keyboard.press('Enter');
    // Sent: the chip is gone.
    await a.page.getByTestId('attachment-chip').waitFor({ state: 'detached' });

    for (const page of [a.page, b.page]) {
      const message = messageWith(page, marker);
      await expect.poll(() => message.getAttribute('data-state'), LIVE).toBe('sent');
      const card = message.locator('[data-testid="resource-card"][data-variant="book"]');
      await card.waitFor({ timeout: LIVE.timeout });
      expect(await card.getAttribute('aria-label')).toBe(title);
      expect((await card.getByTestId('resource-title').textContent())?.trim()).toBe(title);
      expect(await card.getByTestId('resource-creators').count()).toBe(1);
      const catalogue = card.getByTestId('resource-catalogue-link');
      expect(await catalogue.getAttribute('href')).toMatch(/^https:\/\/.*\/catalogus\//);
      // No remote image: our own cover, or the neutral placeholder.
      const img = card.locator('img');
      if (await img.count()) expect((await img.getAttribute('src'))!.startsWith('/api/v1/resources/')).toBe(true);
      else expect(await card.getByTestId('resource-cover-placeholder').count()).toBe(1);
    }
  });

  test('at 360 px: the thread with cards and the open dialog pass axe, with no sideways scrolling; Escape returns to the button', async () => {
    const a = await e2e.newUser({ label: 'Anouk (phone)', viewport: PHONE });
    await logIn(a.page, ANOUK);
    await startThread(a.page, GROUP, `Bronnen op de telefoon (${RUN})`, `Eerste bericht (${RUN})`);

    const title = await attachBookByKeyboard(a.page, 'zonnepanelen');
    const marker = `telefoon-${RUN}`;
    await a.page.keyboard.type(`Een boek en een artikel: ${ARTICLE_URL} (${marker})`);
    await a.page.keyboard.press('Enter');
    const message = messageWith(a.page, marker);
    await message.locator('[data-testid="resource-card"][data-variant="book"]').filter({ hasText: title }).waitFor({ timeout: LIVE.timeout });
    await message.locator('[data-testid="resource-card"][data-variant="web"]').waitFor({ timeout: LIVE.timeout });

    expect(await seriousViolations(a.page)).toEqual([]);
    expect(await fitsWidth(a.page)).toBe(true);
    // The cards themselves stay within the screen.
    for (const box of await message.getByTestId('resource-card').evaluateAll((els) => els.map((el) => el.getBoundingClientRect().right))) {
      expect(box).toBeLessThanOrEqual(PHONE.width);
    }

    // The dialog, with results and an active option.
    const button = a.page.getByTestId('attach-button');
    await button.click();
    const dialog = a.page.getByTestId('attach-dialog');
    await dialog.waitFor();
    expect(await seriousViolations(a.page)).toEqual([]);
    expect(await fitsWidth(a.page)).toBe(true);
    await dialog.locator('[data-testid="attach-tab"][data-tab="catalogue"]').click();
    await dialog.getByTestId('attach-search').fill('zonne');
    await expect.poll(() => dialog.getByTestId('attach-result').count(), LIVE).toBeGreaterThan(0);
    await a.page.keyboard.press('ArrowDown');
    expect(await dialog.getByTestId('attach-search').getAttribute('aria-activedescendant')).toBeTruthy();
    expect(await seriousViolations(a.page)).toEqual([]);
    expect(await fitsWidth(a.page)).toBe(true);
    const dialogBox = await dialog.boundingBox();
    expect(dialogBox!.x).toBeGreaterThanOrEqual(0);
    expect(dialogBox!.x + dialogBox!.width).toBeLessThanOrEqual(PHONE.width);

    await a.page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await button.evaluate((el) => el === document.activeElement)).toBe(true);
  });
});

describe('resources on a message already sent', () => {
  test('Anouk attaches a catalogue book to her sent message through its "Bron toevoegen": Bram sees the card appear live, and go when she removes it', async () => {
    // Anouk on a phone: the message's controls and the dialog must work at 360 px.
    const a = await e2e.newUser({ label: 'Anouk (phone)', viewport: PHONE });
    const b = await e2e.newUser({ label: 'Bram' });
    await Promise.all([logIn(a.page, ANOUK), logIn(b.page, BRAM)]);
    const path = await startThread(a.page, GROUP, `Achteraf een boek erbij (${RUN})`, `Eerste bericht (${RUN})`);
    await gotoThread(b.page, path);
    await seesOnline(b.page, ANOUK.name);

    const marker = `achteraf-${RUN}`;
    await post(a.page, `Hier hoort nog een boek bij (${marker})`);
    const mine = messageWith(a.page, marker);
    await expect.poll(() => mine.getAttribute('data-state'), LIVE).toBe('sent');
    const theirs = messageWith(b.page, marker);
    await theirs.waitFor({ timeout: LIVE.timeout });
    // Marks Bram's element: still there at the end means no reload and no re-render from scratch.
    await theirs.evaluate((el) => el.setAttribute('data-e2e-seen', '1'));
    expect(await theirs.getByTestId('message-attach-button').count()).toBe(0);

    // The message's own "Bron toevoegen", by keyboard: the dialog in message mode, the "Catalogus" tab, a book.
    const attach = mine.getByTestId('message-attach-button');
    expect(await attach.getAttribute('aria-haspopup')).toBe('dialog');
    await attach.focus();
    await a.page.keyboard.press('Enter');
    const dialog = a.page.getByTestId('attach-dialog');
    await dialog.waitFor();
    expect((await dialog.getByRole('heading').textContent())?.trim()).toBe('Bron toevoegen aan je bericht');
    await a.page.keyboard.press('End');
    await a.page.keyboard.press('Tab');
    const search = dialog.getByTestId('attach-search');
    expect(await search.evaluate((el) => el === document.activeElement)).toBe(true);
    await a.page.keyboard.type('zonne');
    await expect.poll(() => dialog.getByTestId('attach-result').count(), LIVE).toBeGreaterThan(0);
    const count = await dialog.getByTestId('attach-result').count();
    let kind: string | null = null;
    for (let i = 0; i < count && kind !== 'book'; i++) {
      await a.page.keyboard.press('ArrowDown');
      kind = await a.page.locator(`[id="${await search.getAttribute('aria-activedescendant')}"]`).getAttribute('data-kind');
    }
    expect(kind, 'a book among the results').toBe('book');
    const chosen = a.page.locator(`[id="${await search.getAttribute('aria-activedescendant')}"]`);
    const bookId = await chosen.getAttribute('data-resource-id');
    const title = (await chosen.locator('.r-title').textContent())!.trim();
    expect(await seriousViolations(a.page)).toEqual([]);
    expect(await fitsWidth(a.page)).toBe(true);
    await a.page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    // Back on the message's button; nothing went into the composer.
    expect(await attach.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await a.page.getByTestId('attachment-chip').count()).toBe(0);

    const bookCard = (message: Locator) => message.locator(`[data-testid="resource-card"][data-variant="book"][data-resource-id="${bookId}"]`);
    for (const message of [mine, theirs]) {
      await bookCard(message).waitFor({ timeout: LIVE.timeout });
      expect(await bookCard(message).getAttribute('aria-label')).toBe(title);
    }
    // Only the author can remove it; Bram's card has no such button.
    expect(await theirs.getByTestId('resource-remove').count()).toBe(0);
    // Its name is the action and the title ("Verwijderen uit bericht: <title>").
    const remove = bookCard(mine)
      .getByRole('button', { name: 'Verwijderen uit bericht' })
      .and(bookCard(mine).getByRole('button', { name: title }));
    expect(await remove.count()).toBe(1);
    expect(await seriousViolations(a.page)).toEqual([]);
    expect(await fitsWidth(a.page)).toBe(true);

    // Anouk removes it (keyboard): gone in both windows, her focus back on "Bron toevoegen".
    await remove.focus();
    await a.page.keyboard.press('Enter');
    for (const message of [mine, theirs]) await bookCard(message).waitFor({ state: 'detached', timeout: LIVE.timeout });
    expect(await attach.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await mine.getByTestId('message-error').count()).toBe(0);
    expect(await theirs.getAttribute('data-e2e-seen')).toBe('1');
    expect(await theirs.getByTestId('resource-card').count()).toBe(0);
  });
});
