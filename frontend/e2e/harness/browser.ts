/**
 * Chromium (Debian's, through playwright-core — never `npx playwright install`) and the per-file test
 * fixture: signed-in browser contexts, every request URL they make, uncaught page errors, and the
 * cuttable proxy for the context that goes "offline".
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, inject } from 'vitest';
import { CuttableProxy } from './proxy';

// One known upstream race is not ours: asgiref >= 3.9 (Django 6.1 requires it) can fail Django's own
// `request_started` dispatch with "CurrentThreadExecutor already quit or is broken" under daphne
// (django/asgiref#491, #526) — seen once in about ten runs, never in our code. It stays visible in
// the log and in the team's notes (issue #7); every other traceback fails the test.
const UPSTREAM_RACE = /RuntimeError: CurrentThreadExecutor already quit or is broken/;

export function serverTracebacks(log: string): string[] {
  return log
    .split(/(?=Exception inside application:|Traceback \(most recent call last\):)/)
    .filter((chunk) => chunk.includes('Traceback') && !UPSTREAM_RACE.test(chunk))
    .map((chunk) => chunk.slice(chunk.indexOf('Traceback')).slice(0, 4000));
}

export const DEMO_PASSWORD = 'kenniscloud-demo';
export const ANOUK = { email: 'anouk@voorbeeldstad.example', name: 'Anouk' };
export const BRAM = { email: 'bram@voorbeeldstad.example', name: 'Bram' };
export const FATIMA = { email: 'fatima@voorbeeldstad.example', name: 'Fatima' };
/** The library's librarian: moderates every group of Bibliotheek Voorbeeldstad. */
export const SANNE = { email: 'sanne@voorbeeldstad.example', name: 'Sanne (bibliothecaris)' };

/** How long live updates may take before a test fails (they normally arrive in milliseconds). */
export const LIVE = { timeout: 15_000, interval: 100 } as const;

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumPath(): string {
  const found = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' });
  const path = found.stdout?.trim();
  if (found.status !== 0 || !path) {
    throw new Error(
      'Chromium is not installed: `command -v chromium` found nothing. Install Debian\'s package ' +
        '(sudo apt-get install -y chromium; `make test` does it when run as root). ' +
        'Do not use `npx playwright install`.',
    );
  }
  return path;
}

/**
 * Hosts a page may talk to: the server under test and the proxy, both on 127.0.0.1. (The link-preview
 * test site is on 127.0.0.1 too, but only the server's worker may fetch it: `fetchesPreviewSite`.)
 */
export function isLocalRequest(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:' || protocol === 'about:') return true;
  return hostname === '127.0.0.1';
}

/** Whether the browser itself requested the preview test site (it must never: the server fetches previews). */
export function fetchesPreviewSite(url: string, previewServerUrl: string): boolean {
  const u = new URL(url);
  const site = new URL(previewServerUrl);
  return (u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'ws:') && u.host === site.host;
}

export interface UserOptions {
  /** Name used in failure messages. */
  label: string;
  /** Talk to the server through the cuttable proxy (for going offline). */
  viaProxy?: boolean;
  viewport?: { width: number; height: number };
  /** Ignore the page's Content-Security-Policy: shows that escaping and sanitising hold without it. */
  bypassCSP?: boolean;
}

export interface E2E {
  readonly browser: Browser;
  readonly serverUrl: string;
  readonly proxy: CuttableProxy;
  /** Every URL (HTTP requests and WebSockets) any context opened in the current test. */
  readonly requests: string[];
  /** A fresh browser context and page (nothing stored: signed out, Dutch). */
  newUser(options: UserOptions): Promise<{ context: BrowserContext; page: Page }>;
}

/**
 * Registers the hooks of a test file: one Chromium and one proxy for the file; after every test its
 * contexts are closed and the test fails if a page made a request to anything but 127.0.0.1 or threw
 * an uncaught error.
 */
export function useE2E(): E2E {
  let browser: Browser | null = null;
  let proxy: CuttableProxy | null = null;
  const serverUrl = inject('serverUrl');
  const previewServerUrl = inject('previewServerUrl');
  const contexts: BrowserContext[] = [];
  const requests: string[] = [];
  const pageErrors: string[] = [];
  // Tracebacks daphne or the task worker log while a test runs fail that test: the server must not
  // crash on its way, nor a background task (a link preview) behind it.
  const logs = [inject('serverLog'), inject('workerLog')];
  const logOffsets = logs.map(() => 0);
  const newServerErrors = (): string[] =>
    logs.flatMap((path, i) => {
      const text = readFileSync(path, 'utf8');
      const fresh = text.slice(logOffsets[i]);
      logOffsets[i] = text.length;
      return serverTracebacks(fresh);
    });

  beforeAll(async () => {
    newServerErrors();
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 30_000,
    });
    proxy = await CuttableProxy.start(inject('serverPort'));
  });

  afterEach(async () => {
    const opened = contexts.splice(0);
    await Promise.all(opened.map((c) => c.close().catch(() => {})));
    proxy?.restore();
    const foreign = requests.filter((url) => !isLocalRequest(url));
    const toPreviewSite = requests.filter((url) => fetchesPreviewSite(url, previewServerUrl));
    const errors = pageErrors.splice(0);
    const recorded = requests.splice(0).length;
    expect(foreign, 'requests that left 127.0.0.1').toEqual([]);
    expect(toPreviewSite, 'requests from the browser to the link-preview test site').toEqual([]);
    expect(errors, 'uncaught errors in the pages').toEqual([]);
    expect(newServerErrors(), 'tracebacks in the daphne or worker log').toEqual([]);
    if (opened.length) expect(recorded, 'requests recorded').toBeGreaterThan(0);
  });

  afterAll(async () => {
    await proxy?.close();
    await browser?.close();
  });

  const fixture: E2E = {
    get browser() {
      if (!browser) throw new Error('Chromium is not running (beforeAll failed?)');
      return browser;
    },
    get proxy() {
      if (!proxy) throw new Error('the proxy is not running (beforeAll failed?)');
      return proxy;
    },
    serverUrl,
    requests,
    async newUser({ label, viaProxy = false, viewport, bypassCSP = false }) {
      const context = await fixture.browser.newContext({
        baseURL: viaProxy ? fixture.proxy.url : serverUrl,
        bypassCSP,
        viewport: viewport ?? { width: 1280, height: 800 },
        locale: 'nl-NL',
        timezoneId: 'Europe/Amsterdam',
      });
      contexts.push(context);
      context.setDefaultTimeout(15_000);
      context.setDefaultNavigationTimeout(15_000);
      const watched = new WeakSet<Page>();
      const watch = (page: Page) => {
        if (watched.has(page)) return;
        watched.add(page);
        page.on('request', (request) => requests.push(request.url()));
        page.on('websocket', (ws) => requests.push(ws.url()));
        page.on('pageerror', (error) => pageErrors.push(`${label}: ${error.message}`));
      };
      context.on('page', watch);
      const page = await context.newPage();
      watch(page);
      return { context, page };
    },
  };
  return fixture;
}

// ---- UI steps shared by the tests

/** Signs in through the login form and waits until the header shows the signed-in user. */
export async function logIn(page: Page, user: { email: string; name: string }, next = '/'): Promise<void> {
  await page.goto(next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`);
  await page.getByTestId('login-email').fill(user.email);
  await page.getByTestId('login-password').fill(DEMO_PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('current-user').filter({ hasText: user.name }).waitFor();
  await page.waitForURL((url) => url.pathname === new URL(next, 'http://x').pathname);
}

/** From the group page, opens a thread by its title; returns the thread page's path. */
export async function openThread(page: Page, slug: string, title: string): Promise<string> {
  await page.goto(`/groups/${slug}`);
  await page.getByTestId('thread-link').filter({ hasText: title }).click();
  await page.getByRole('heading', { level: 1, name: title }).waitFor();
  await page.getByTestId('message').first().waitFor();
  return new URL(page.url()).pathname;
}

/** Opens a thread page by path and waits for its messages. */
export async function gotoThread(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await page.getByTestId('message').first().waitFor();
}

/** The message items whose body is exactly `body`. */
export function messagesWithBody(page: Page, body: string): Locator {
  return page.getByTestId('message').filter({
    has: page.getByTestId('message-body').getByText(body, { exact: true }),
  });
}

/** Body texts of all messages in the thread view, in DOM (display) order. */
export async function bodies(page: Page): Promise<string[]> {
  return (await page.getByTestId('message-body').allTextContents()).map((t) => t.trim());
}

/** From the group page, starts a thread with a title (and a first message); returns the thread page's path. */
export async function startThread(page: Page, slug: string, title: string, body?: string): Promise<string> {
  await page.goto(`/groups/${slug}`);
  await page.getByTestId('new-thread-title').fill(title);
  if (body) await page.getByTestId('new-thread-body').fill(body);
  await page.getByTestId('new-thread-submit').click();
  await page.getByRole('heading', { level: 1, name: title }).waitFor();
  await page.getByTestId('composer').waitFor();
  return new URL(page.url()).pathname;
}

/** Types a message in the composer and sends it with the button. */
export async function post(page: Page, body: string): Promise<void> {
  await page.getByTestId('composer').fill(body);
  await page.getByTestId('send-button').click();
}

export async function unreadCount(item: Locator): Promise<number> {
  const badge = item.getByTestId('unread-badge');
  if ((await badge.count()) === 0) return 0;
  return Number(await badge.getAttribute('data-count'));
}

/** A short marker so this run's messages are told apart from the demo data and earlier runs. */
export const RUN = Date.now().toString(36);

/** A REST call from a signed-in page (same origin, its session and CSRF cookie), as the frontend makes
 * it: a shortcut for steps other tests cover. Answers the status and the raw body text. */
export async function restFromPage(
  page: Page,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  return page.evaluate(
    async ({ method, path, body }) => {
      const csrf = /(?:^|; )csrftoken=([^;]+)/.exec(document.cookie)?.[1] ?? '';
      const r = await fetch(`/api/v1/${path}`, {
        method,
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRFToken': decodeURIComponent(csrf), Accept: 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: r.status, text: await r.text() };
    },
    { method, path, body },
  );
}
