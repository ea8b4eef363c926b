/**
 * The rest of the app in a real browser: language switch (saved to the account), signing up and
 * joining a public group, and an accessibility scan on a phone-sized screen.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { BRAM, FATIMA, LIVE, RUN, logIn, openThread, useE2E } from './harness/browser';

const e2e = useE2E();

const heading = (page: Page) => page.getByRole('heading', { level: 1 });

describe('language', () => {
  test('switching to English changes the interface, is saved to the account, and switches back', async () => {
    const { page } = await e2e.newUser({ label: 'Fatima' });
    await logIn(page, FATIMA);
    expect(await page.locator('html').getAttribute('lang')).toBe('nl');
    expect(await heading(page).textContent()).toBe('Kennisgroepen');
    expect(await page.getByTestId('lang-nl').getAttribute('aria-pressed')).toBe('true');

    await page.getByTestId('lang-en').click();
    await expect.poll(() => heading(page).textContent(), LIVE).toBe('Knowledge groups');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.getByTestId('lang-en').getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByTestId('current-user').textContent()).toContain(FATIMA.name);
    expect(await page.getByTestId('logout').textContent()).toBe('Log out');
    expect(await page.title()).toBe('KennisCloud');

    // The account remembers it: a new browser (nothing in localStorage) follows it after login.
    const other = await e2e.newUser({ label: 'Fatima (second browser)' });
    await logIn(other.page, FATIMA);
    await expect.poll(() => heading(other.page).textContent(), LIVE).toBe('Knowledge groups');
    expect(await other.page.locator('html').getAttribute('lang')).toBe('en');

    // And back to Dutch.
    await page.getByTestId('lang-nl').click();
    await expect.poll(() => heading(page).textContent(), LIVE).toBe('Kennisgroepen');
    expect(await page.locator('html').getAttribute('lang')).toBe('nl');
    expect(await page.getByTestId('logout').textContent()).toBe('Uitloggen');
    await page.reload();
    expect(await heading(page).textContent()).toBe('Kennisgroepen');
  });
});

describe('signing up', () => {
  test('a new account signs up through the form, is signed in, and joins a public group', async () => {
    const { page } = await e2e.newUser({ label: 'new user' });
    const name = `Nieuwe lezer ${RUN}`;
    await page.goto('/');
    await page.getByTestId('login-link').click();
    await page.getByTestId('signup-link').click();
    await heading(page).filter({ hasText: 'Account aanmaken' }).waitFor();
    await page.getByTestId('signup-display-name').fill(name);
    await page.getByTestId('signup-email').fill(`lezer-${RUN}@voorbeeldstad.example`);
    await page.getByTestId('signup-password').fill('Boekenkast-op-zolder-42');
    await page.getByTestId('signup-submit').click();

    // Signed in, on the group list.
    await page.getByTestId('current-user').filter({ hasText: name }).waitFor();
    await page.waitForURL((url) => url.pathname === '/');
    await page.getByTestId('group-list').waitFor();

    const item = page.locator('[data-testid="group-item"][data-slug="lokale-geschiedenis"]');
    expect(await item.getByTestId('membership').getAttribute('data-membership')).toBe('none');
    const join = item.getByTestId('join-button');
    expect(await join.getAttribute('data-action')).toBe('join');
    await join.click();
    await expect.poll(() => item.getByTestId('membership').getAttribute('data-membership'), LIVE).toBe('active');
    await item.getByTestId('leave-button').waitFor();

    // The server has it: after a reload the group is still joined, and members may start a thread.
    await page.reload();
    await item.getByTestId('leave-button').waitFor();
    await item.getByTestId('group-link').click();
    await page.getByTestId('new-thread-title').waitFor();
  });
});

describe('accessibility', () => {
  const PHONE = { width: 360, height: 740 };

  async function seriousViolations(page: Page): Promise<string[]> {
    const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }

  async function fitsWidth(page: Page): Promise<boolean> {
    return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  }

  test('login, group list and a thread at 360 px: no serious axe violations, no sideways scrolling', async () => {
    const { page } = await e2e.newUser({ label: 'Bram (phone)', viewport: PHONE });
    await page.goto('/login');
    await page.getByTestId('login-form').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    expect(await fitsWidth(page)).toBe(true);

    await logIn(page, BRAM);
    await page.getByTestId('group-list').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    expect(await fitsWidth(page)).toBe(true);

    await openThread(page, 'energie-en-klimaat', 'Zonnepanelen op het dak van de bieb?');
    await page.getByTestId('composer').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    expect(await fitsWidth(page)).toBe(true);
  });
});
