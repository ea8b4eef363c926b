/**
 * The "Bronnen" of a conversation, the group's collection and the resource page between real
 * browsers: Anouk asks about solar panels in a new thread; the server's background worker matches
 * the conversation against the library's catalogue and a fitting title appears under "Uit de
 * collectie" live (in Bram's open panel too); she adds it with a click, it moves to the thread's
 * sources in both windows, and its page shows the thread under "Besproken in". Sanne (the librarian)
 * adds a title to the group's collection and reorders it with the keyboard, the new place announced,
 * while Anouk's open collection page follows live; she imports a small catalogue file and reads the
 * report. Plus axe at 360 px for the panel and the resource page.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { ANOUK, BRAM, LIVE, RUN, SANNE, logIn, openThread, post, startThread, useE2E } from './harness/browser';

const GROUP = 'energie-en-klimaat';
const GROUP_NAME = 'Energie & Klimaat';
const DEMO_THREAD = 'Zonnepanelen op het dak van de bieb?';
const PHONE = { width: 360, height: 740 };
const QUESTION = 'We willen zonnepanelen op ons dak, hoe begin je?';

const e2e = useE2E();

async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
const fitsWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

/** Opens the thread's "Bronnen" panel with its toggle button; returns the panel. */
async function openSources(page: Page): Promise<Locator> {
  const toggle = page.getByTestId('sources-toggle');
  expect(await toggle.getAttribute('aria-expanded')).toBe('false');
  await toggle.click();
  expect(await toggle.getAttribute('aria-expanded')).toBe('true');
  const panel = page.getByTestId('sources-panel');
  await panel.waitFor();
  expect(await toggle.getAttribute('aria-controls')).toBe(await panel.getAttribute('id'));
  return panel;
}

/** A suggestion about solar energy, as soon as the worker has suggested one. */
const solarSuggestion = (panel: Locator) =>
  panel.getByTestId('suggestion-item').filter({ has: panel.page().getByTestId('suggestion-link').getByText(/zonne/i) }).first();

const itemOrder = (page: Page) =>
  page.getByTestId('collection-item').evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.itemId!));
const activeTestId = (page: Page) =>
  page.evaluate(() => [document.activeElement?.getAttribute('data-testid'), document.activeElement?.closest('[data-item-id]')?.getAttribute('data-item-id')]);

describe('Bronnen: the thread’s sources and the collection’s suggestions', () => {
  test('a suggestion from the catalogue appears live; Anouk adds it with a click; its page shows the thread', async () => {
    const a = await e2e.newUser({ label: 'Anouk' });
    const b = await e2e.newUser({ label: 'Bram' });
    await Promise.all([logIn(a.page, ANOUK), logIn(b.page, BRAM)]);

    const title = `Overleg ${RUN}`;
    const path = await startThread(a.page, GROUP, title);
    await gotoThreadWithoutMessages(b.page, path, title);

    // The panel before anything was said: both lists say they are empty (no blank panel).
    const panel = await openSources(a.page);
    await panel.getByTestId('sources-empty').waitFor();
    await panel.getByTestId('suggestions-empty').waitFor();
    expect(await panel.textContent()).toContain('Titels uit de collectie van de bibliotheek die passen bij dit gesprek');
    const bPanel = await openSources(b.page);
    await bPanel.getByTestId('suggestions-empty').waitFor();

    await post(a.page, QUESTION);
    // The worker computes suggestions (debounced by a second in the test server) and pushes them.
    const suggestion = solarSuggestion(panel);
    await suggestion.waitFor({ timeout: LIVE.timeout });
    const resourceId = (await suggestion.getAttribute('data-resource-id'))!;
    const resourceTitle = (await suggestion.getByTestId('suggestion-link').textContent())!.trim();
    await bPanel.locator(`[data-testid="suggestion-item"][data-resource-id="${resourceId}"]`).waitFor({ timeout: LIVE.timeout });

    // "Toevoegen": it moves to the sources and leaves the suggestions — in both windows.
    await suggestion.getByTestId('suggestion-add').click();
    for (const p of [panel, bPanel]) {
      const added = p.locator(`[data-testid="source-item"][data-resource-id="${resourceId}"]`);
      await added.waitFor({ timeout: LIVE.timeout });
      expect(await added.textContent()).toContain('Toegevoegd door Anouk');
      await p.locator(`[data-testid="suggestion-item"][data-resource-id="${resourceId}"]`).waitFor({ state: 'detached', timeout: LIVE.timeout });
    }
    expect(await panel.getByTestId('sources-status').textContent()).toContain(resourceTitle);

    // "Niet relevant" on another suggestion, if there is one: gone for both.
    const other = panel.getByTestId('suggestion-item').first();
    if ((await other.count()) > 0) {
      const otherId = (await other.getAttribute('data-resource-id'))!;
      await other.getByTestId('suggestion-dismiss').click();
      for (const p of [panel, bPanel]) {
        await p.locator(`[data-testid="suggestion-item"][data-resource-id="${otherId}"]`).waitFor({ state: 'detached', timeout: LIVE.timeout });
      }
    }

    // After a reload the source is still there (and the added title is not suggested again).
    await a.page.reload();
    await a.page.getByRole('heading', { level: 1, name: title }).waitFor();
    const panelAgain = await openSources(a.page);
    await panelAgain.locator(`[data-testid="source-item"][data-resource-id="${resourceId}"]`).waitFor();
    expect(await panelAgain.locator(`[data-testid="suggestion-item"][data-resource-id="${resourceId}"]`).count()).toBe(0);

    // Its page: everything about it, and this thread under "Besproken in".
    await panelAgain.locator(`[data-testid="source-item"][data-resource-id="${resourceId}"]`).getByTestId('source-link').click();
    await a.page.getByRole('heading', { level: 1, name: resourceTitle }).waitFor();
    expect(new URL(a.page.url()).pathname).toBe(`/resources/${resourceId}`);
    const discussions = a.page.getByTestId('resource-discussions');
    const here = discussions.locator(`[data-testid="resource-discussion"][data-thread-id="${path.split('/').pop()}"]`);
    await here.waitFor();
    expect(await here.getByRole('link').textContent()).toBe(title);
    expect(await here.getByRole('link').getAttribute('href')).toBe(path);
  });

  test('at 360 px the panel is a full-width section and passes axe; so does the resource page', async () => {
    const a = await e2e.newUser({ label: 'Anouk (phone)', viewport: PHONE });
    await logIn(a.page, ANOUK);
    await openThread(a.page, GROUP, DEMO_THREAD);
    const panel = await openSources(a.page);
    await panel.locator('[data-testid="suggestion-item"], [data-testid="suggestions-empty"]').first().waitFor({ timeout: LIVE.timeout });
    const box = (await panel.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
    expect(box.width).toBeGreaterThan(PHONE.width * 0.8);
    expect(await seriousViolations(a.page)).toEqual([]);
    expect(await fitsWidth(a.page)).toBe(true);

    // Closing it with its own button returns the keyboard to the toggle.
    await panel.getByTestId('sources-close').click();
    await panel.waitFor({ state: 'detached' });
    expect(await a.page.getByTestId('sources-toggle').evaluate((el) => el === document.activeElement)).toBe(true);

    // A resource page (a title from the library's catalogue), at 360 px.
    await a.page.getByTestId('sources-toggle').click();
    const link = a.page.getByTestId('sources-panel').locator('[data-testid="suggestion-link"], [data-testid="source-link"]').first();
    await link.waitFor({ timeout: LIVE.timeout });
    const name = (await link.textContent())!.trim();
    await link.click();
    await a.page.getByRole('heading', { level: 1, name }).waitFor();
    await a.page.getByTestId('resource-page').waitFor();
    expect(await seriousViolations(a.page)).toEqual([]);
    expect(await fitsWidth(a.page)).toBe(true);

    // A resource nobody may see is the app's "not found" page.
    await a.page.goto('/resources/999999999');
    await a.page.getByRole('heading', { level: 1, name: 'Deze pagina bestaat niet.' }).waitFor();
  });
});

describe('the group’s collection', () => {
  test('Sanne adds a title and reorders with the keyboard, the new place announced; Anouk’s open page follows live', async () => {
    const s = await e2e.newUser({ label: 'Sanne' });
    const a = await e2e.newUser({ label: 'Anouk' });
    await Promise.all([logIn(s.page, SANNE), logIn(a.page, ANOUK)]);

    // From the group page, by its "Collectie" link.
    await s.page.goto(`/groups/${GROUP}`);
    await s.page.getByTestId('collection-link').click();
    await s.page.getByRole('heading', { level: 1, name: `Collectie van ${GROUP_NAME}` }).waitFor();
    await a.page.goto(`/groups/${GROUP}/collectie`);
    await a.page.getByRole('heading', { level: 1, name: `Collectie van ${GROUP_NAME}` }).waitFor();
    // Members read it; they have no tools.
    await a.page.locator('[data-testid="collection-list"], [data-testid="collection-empty"]').first().waitFor();
    expect(await a.page.getByTestId('collection-up').count()).toBe(0);
    expect(await a.page.getByTestId('collection-add').count()).toBe(0);

    // Sanne finds titles in the catalogue and adds them with a note: each comes last. (At least
    // three items, so there is room to move.)
    const before = await itemOrder(s.page);
    await s.page.getByTestId('catalogue-search').fill('zonne');
    await s.page.getByTestId('catalogue-search').press('Enter');
    await s.page.getByTestId('catalogue-result').first().waitFor();
    const addedIds: string[] = [];
    while (addedIds.length === 0 || before.length + addedIds.length < 3) {
      const result = s.page.getByTestId('catalogue-result').filter({ has: s.page.getByTestId('catalogue-add') }).first();
      const resource = (await result.getAttribute('data-resource-id'))!;
      await s.page.getByTestId('collection-new-note').fill(`Gekozen in de test (${RUN})`);
      await result.getByTestId('catalogue-add').click();
      const item = s.page.locator(`[data-testid="collection-item"][data-resource-id="${resource}"]`);
      await item.waitFor();
      expect(await item.getByTestId('collection-note').textContent()).toBe(`Gekozen in de test (${RUN})`);
      // Offered no more: it is in the collection now.
      expect(await s.page.locator(`[data-testid="catalogue-result"][data-resource-id="${resource}"] [data-testid="catalogue-add"]`).count()).toBe(0);
      addedIds.push((await item.getAttribute('data-item-id'))!);
      expect(await itemOrder(s.page)).toEqual([...before, ...addedIds]);
    }
    const id = addedIds.at(-1)!;
    const newItem = s.page.locator(`[data-testid="collection-item"][data-item-id="${id}"]`);
    const start = [...before, ...addedIds];
    // Anouk's page reloads on `collection.changed`.
    await expect.poll(() => itemOrder(a.page), LIVE).toEqual(start);

    // The keyboard: "Omhoog" with Enter, then with Space; Tab to "Omlaag" and back down once.
    const n = start.length;
    const status = s.page.getByTestId('collection-status');
    await newItem.getByTestId('collection-up').focus();
    const order1 = s.page.waitForResponse((r) => r.url().endsWith('/collection/order/') && r.request().method() === 'POST');
    await s.page.keyboard.press('Enter');
    expect((await order1).status()).toBe(200);
    await expect.poll(() => status.textContent(), LIVE).toContain(`staat nu op plaats ${n - 1} van ${n}`);
    expect(await activeTestId(s.page)).toEqual(['collection-up', id]);
    const expected1 = [...start.slice(0, -2), id, start.at(-2)!];
    expect(await itemOrder(s.page)).toEqual(expected1);

    {
      await s.page.keyboard.press(' ');
      await expect.poll(() => status.textContent(), LIVE).toContain(`staat nu op plaats ${n - 2} van ${n}`);
      expect(await activeTestId(s.page)).toEqual(['collection-up', id]);
      await s.page.keyboard.press('Tab');
      expect(await activeTestId(s.page)).toEqual(['collection-down', id]);
      const order3 = s.page.waitForResponse((r) => r.url().endsWith('/collection/order/') && r.request().method() === 'POST');
      await s.page.keyboard.press('Enter');
      await order3;
      await expect.poll(() => status.textContent(), LIVE).toContain(`staat nu op plaats ${n - 1} van ${n}`);
      expect(await activeTestId(s.page)).toEqual(['collection-down', id]);
    }
    expect(await itemOrder(s.page)).toEqual(expected1);
    await expect.poll(() => itemOrder(a.page), LIVE).toEqual(expected1);

    // The server keeps the order.
    await s.page.reload();
    await s.page.getByTestId('collection-list').waitFor();
    expect(await itemOrder(s.page)).toEqual(expected1);

    // Cleanup through the UI: remove what was added (after confirming); Anouk's page follows.
    for (const added of addedIds) {
      await s.page.locator(`[data-testid="collection-item"][data-item-id="${added}"]`).getByTestId('collection-remove').click();
      await s.page.getByTestId('collection-remove-confirm').click();
      await s.page.locator(`[data-testid="collection-item"][data-item-id="${added}"]`).waitFor({ state: 'detached' });
    }
    await expect.poll(() => itemOrder(a.page), LIVE).toEqual(before);
  });
});

describe('catalogue import', () => {
  test('Sanne uploads a CSV file from the header link; the progress and the report with a rejected record show', async () => {
    const s = await e2e.newUser({ label: 'Sanne' });
    await logIn(s.page, SANNE);
    await s.page.locator('[data-testid="catalogue-link"][data-library="voorbeeldstad"]').click();
    await s.page.getByRole('heading', { level: 1, name: 'Catalogus importeren' }).waitFor();
    await s.page.getByTestId('import-list').or(s.page.getByText('Er zijn nog geen imports.')).first().waitFor();

    // Sent without a file: the field says so.
    await s.page.getByTestId('catalogue-submit').click();
    expect(await s.page.getByTestId('catalogue-file').getAttribute('aria-invalid')).toBe('true');

    const csv = [
      'record_id,title,creators,publisher,year,language,isbn,subjects,description,kind,catalogue_url,image_url',
      `E2E-${RUN}-1,Zonnepanelen in de test (${RUN}),"Tester, Tess",Uitgeverij Test,2024,nl,,zonnepanelen,Een testtitel.,book,,`,
      `E2E-${RUN}-2,,"Tester, Tess",Uitgeverij Test,2024,nl,,,Zonder titel.,book,,`,
    ].join('\n');
    await s.page.getByTestId('catalogue-file').setInputFiles({ name: `test-${RUN}.csv`, mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
    await s.page.getByTestId('catalogue-format').selectOption('csv');
    await s.page.getByTestId('catalogue-submit').click();

    const report = s.page.getByTestId('import-report');
    await report.waitFor();
    await expect.poll(() => report.getAttribute('data-status'), LIVE).toBe('done');
    expect(await report.getByTestId('import-created').textContent()).toBe('1');
    expect(await report.getByTestId('import-rejected').textContent()).toBe('1');
    const rows = report.getByTestId('import-error');
    expect(await rows.count()).toBe(1);
    const cells = (await rows.first().locator('td').allTextContents()).map((c) => c.trim());
    expect(cells[0]).toBe('3'); // CSV: the line number (the header is line 1)
    expect(cells[1]).toBe(`E2E-${RUN}-2`);
    expect(cells[2].length).toBeGreaterThan(0);
    await s.page.locator('[data-testid="import-row"][data-status="done"]').first().waitFor();
    expect(await seriousViolations(s.page)).toEqual([]);
  });
});

/** A new thread has no messages yet: wait for its title instead. */
async function gotoThreadWithoutMessages(page: Page, path: string, title: string): Promise<void> {
  await page.goto(path);
  await page.getByRole('heading', { level: 1, name: title }).waitFor();
  await page.getByTestId('composer').waitFor();
}
