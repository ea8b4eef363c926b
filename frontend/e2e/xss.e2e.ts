/**
 * Hostile input through every field people write that others see (issue #7, part 2): an XSS corpus
 * in the style of the OWASP filter-evasion cheat sheet — script tags, event-handler attributes,
 * `javascript:` / `data:` / `vbscript:` links (entity- and whitespace-obfuscated too), markdown links
 * and images with those schemes, SVG and MathML mutation (mXSS) payloads, `<iframe srcdoc>`,
 * template-injection strings and attribute breakouts — seeded through the REST API and the sign-up
 * form as real users would: message bodies (server-side markdown → sanitised HTML), display names,
 * a library's and a group's name, description and themes, thread titles, resource titles and
 * creators, a collection note, a report note, a meetup's title, description, place and link, and the
 * metadata of a linked web page (its preview card). The Atom feed's HTML summary is rendered too.
 *
 * Every page where they show is then opened twice: once with the page's CSP bypassed (escaping and
 * sanitising must hold on their own) and once with it (the header is there and strict, and nothing
 * trips it). Each payload reports to a trap if it ever runs — `alert()`, `top.__xss`, or a request
 * to a local trap server (an injected `<img>` or `<style>` reaches it even without script). None may
 * fire; the text must be shown as text; no link may have another scheme than http(s) or mailto.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { DEMO_PASSWORD, LIVE, RUN, logIn, restFromPage, useE2E } from './harness/browser';
import { HOSTILE, HOSTILE_PATH } from './harness/preview-server';

const e2e = useE2E();
const STAFF = { email: 'beheer@voorbeeldstad.example', name: 'Platformbeheer' };

// ---- the trap: a local server every payload would call if it ran (or if its markup got through)

let trap: Server | null = null;
let trapOrigin = '';
const trapHits: string[] = [];

beforeAll(async () => {
  trap = createServer((req, res) => {
    trapHits.push(req.url ?? '');
    res.writeHead(204, { 'Access-Control-Allow-Origin': '*' });
    res.end();
  });
  const server = trap;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  trapOrigin = `//127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  const server = trap;
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

// ---- the corpus

interface Payload {
  /** Unique tag, also written next to the payload so its message can be found. */
  id: string;
  text: string;
  /** What the reader must see as text (default: the payload itself). */
  shows?: string;
}

/** The message-body corpus; `T` is the trap's origin (`//127.0.0.1:<port>`). */
function messagePayloads(T: string): Payload[] {
  const p = (id: string, text: string, shows?: string): Payload => ({ id, text, shows });
  return [
    p('script', `<script>top.__xss=1;fetch('${T}/script')</script>`),
    p('script-upper', `<SCRIPT SRC=${T}/xss.js></SCRIPT>`),
    p('img-onerror', `<img src=${T}/img onerror="alert(1)">`),
    p('img-quotes', `<IMG """><SCRIPT>alert(1)</SCRIPT>">`),
    p('img-js-src', `<IMG SRC=JaVaScRiPt:alert(1)>`),
    p('svg-onload', `<svg/onload=alert(1)>`),
    p('body-onload', `<body onload=alert(1)>`),
    p('autofocus', `<input autofocus onfocus=alert(1)>`),
    p('details', `<details open ontoggle=alert(1)>`),
    p('custom-tag', `<x-y onclick=alert(1) style=display:block>klik</x-y>`),
    p('video', `<video><source onerror="alert(1)"></video>`),
    p('md-js', `[klik](javascript:alert(1))`),
    p('md-js-case', `[klik](JaVaScRiPt:alert(1))`),
    p('md-js-entity', `[klik](&#106;avascript:alert(1))`, '[klik](javascript:alert(1))'),
    p('md-js-hex', `[klik](&#x6A;&#x61;vascript:alert(1))`, '[klik](javascript:alert(1))'),
    p('md-js-colon', `[klik](javascript&colon;alert(1))`, '[klik](javascript:alert(1))'),
    p('md-js-tab-entity', `[klik](java&#09;script:alert(1))`, 'klik'),
    p('md-js-newline', `[klik](java%0Ascript:alert(1))`, 'klik'),
    p('md-js-space', `[klik]( javascript:alert(1))`),
    p('md-js-angle', `[klik](<javascript:alert(1)>)`),
    p('md-js-comment', `[klik](javascript://%0Aalert(1))`),
    p('md-data', `[klik](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`),
    p('md-vbscript', `[klik](vbscript:msgbox(1))`),
    p('md-ref', `[ref]: javascript:alert(1)\n\n[klik][ref]`, 'javascript:alert(1)'),
    p('md-autolink', `<javascript:alert(1)>`),
    p('md-img-js', `![plaatje](javascript:alert(1))`),
    p('md-img-trap', `![plaatje](${T}/md-img "x\\" onerror=\\"alert(1)")`, ''),
    p('md-img-data', `![plaatje](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)`),
    p('md-title', `[klik](https://example.org "\\" onmouseover=\\"alert(1)")`, 'klik'),
    p('md-linkify', `www.example.org/"onmouseover="alert(1)`),
    p('md-bold', `**<img src=${T}/bold onerror=alert(1)>**`, `<img src=${T}/bold onerror=alert(1)>`),
    p('md-code', '`<script>alert(1)</script>`', '<script>alert(1)</script>'),
    p('md-table', `| <img src=${T}/table onerror=alert(1)> |\n|---|\n| x |`, `<img src=${T}/table onerror=alert(1)>`),
    p('a-entity', `<a href="&#106;avascript:alert(1)">klik</a>`, '<a href="javascript:alert(1)">klik</a>'),
    p('a-newline', `<a href="jav&#x0A;ascript:alert(1)">klik</a>`, 'ascript:alert(1)">klik</a>'),
    p('svg-style-mxss', `<svg><style><img src=${T}/svg-style onerror=alert(1)></style></svg>`),
    p('math-mxss', `<math><mtext><table><mglyph><style><img src=${T}/math onerror=alert(1)>`),
    p('noscript-mxss', `<noscript><p title="</noscript><img src=${T}/noscript onerror=alert(1)>">`),
    p('svg-xlink', `<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">klik</text></a></svg>`),
    p('svg-animate', `<svg><animate onbegin=alert(1) attributeName=x dur=1s>`),
    p('iframe-srcdoc', `<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>`),
    p('iframe-js', `<iframe src="javascript:alert(1)"></iframe>`),
    p('object', `<object data="javascript:alert(1)"></object><embed src="${T}/embed">`),
    p('base', `<base href="javascript:/">`),
    p('formaction', `<form><button formaction=javascript:alert(1)>klik</button></form>`),
    p('style-import', `<style>@import '${T}/style';</style>`),
    p('meta-refresh', `<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`),
    p('template', `{{constructor.constructor('alert(1)')()}}`),
    p('template-svelte', `{@html '<img src=${T}/svelte onerror=alert(1)>'}`),
    p('breakout-double', `"><img src=${T}/breakout onerror=alert(1)>`),
    p('breakout-single', `'><svg/onload=alert(1)>`),
    p('plain-js', `javascript:alert(1)`),
  ];
}

// Valid ISBN-13s no catalogue knows (979-12…): a member may then enter the title themselves.
let isbnCounter = 0;
function newIsbn(): string {
  const digits = `97912${(Date.now() % 1e6).toString().padStart(6, '0')}${(isbnCounter++ % 100).toString().padStart(2, '0')}`.slice(0, 12);
  const sum = [...digits].reduce((acc, d, i) => acc + Number(d) * (i % 2 ? 3 : 1), 0);
  return digits + String((10 - (sum % 10)) % 10);
}

// ---- REST from a signed-in page (its session and CSRF cookie), as the frontend itself does

async function rest<T = Record<string, unknown>>(page: Page, method: string, path: string, body?: unknown): Promise<T> {
  const result = await restFromPage(page, method, path, body);
  if (result.status >= 300) throw new Error(`${method} /api/v1/${path} → ${result.status}: ${result.text}`);
  return (result.text ? JSON.parse(result.text) : null) as T;
}

const MEMBER_PASSWORD = 'Boekenkast-op-zolder-42';

async function signUp(page: Page, displayName: string, email: string): Promise<void> {
  await page.goto('/signup');
  await page.getByTestId('signup-display-name').fill(displayName);
  await page.getByTestId('signup-email').fill(email);
  await page.getByTestId('signup-password').fill(MEMBER_PASSWORD);
  await page.getByTestId('signup-submit').click();
  await page.getByTestId('current-user').filter({ hasText: displayName }).waitFor();
}

/** Signs a member who signed up here in through the login form, then opens the thread. */
async function signInToThread(page: Page, member: { email: string; name: string }, threadPath: string): Promise<void> {
  await page.goto('/login');
  await page.getByTestId('login-email').fill(member.email);
  await page.getByTestId('login-password').fill(MEMBER_PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('current-user').filter({ hasText: member.name }).waitFor();
  await page.goto(threadPath);
  await page.getByTestId('composer').waitFor();
}

// ---- what a page must (not) contain

/**
 * Runs in the page: everything that could execute or load something from the markup. The app's own
 * markup has none of these (Svelte binds events with addEventListener, and uses no frames or MathML).
 */
function auditDom(): string[] {
  const problems: string[] = [];
  const show = (el: Element) => el.outerHTML.slice(0, 160);
  const dangerousAttributes = new Set(['srcdoc', 'formaction', 'xlink:href', 'action', 'background', 'poster', 'dynsrc', 'lowsrc', 'ping']);
  for (const el of document.querySelectorAll('*')) {
    for (const name of el.getAttributeNames()) {
      const lower = name.toLowerCase();
      if (lower.startsWith('on')) problems.push(`event-handler attribute ${name}: ${show(el)}`);
      if (dangerousAttributes.has(lower)) problems.push(`attribute ${name}: ${show(el)}`);
      if (lower === 'style' && /url\(|expression\(|javascript:/i.test(el.getAttribute(name) ?? '')) problems.push(`style: ${show(el)}`);
    }
  }
  const forbidden = 'iframe, frame, frameset, object, embed, applet, base, math, form[action], meta[http-equiv], body style, body link, ' +
    'svg script, svg style, svg foreignObject, svg image, svg a, svg animate, svg set, svg use, video, audio, source, x-y, details, input[autofocus]';
  for (const el of document.querySelectorAll(forbidden)) problems.push(`element: ${show(el)}`);
  for (const script of document.querySelectorAll('script')) {
    const src = script.getAttribute('src');
    const ownModule = src !== null && new URL(script.src).origin === location.origin && new URL(script.src).pathname.startsWith('/assets/');
    const data = script.type === 'application/ld+json' && src === null;
    if (!ownModule && !data) problems.push(`script: ${show(script)}`);
  }
  for (const a of document.querySelectorAll<HTMLAnchorElement | HTMLAreaElement>('a[href], area[href]')) {
    if (!['http:', 'https:', 'mailto:'].includes(new URL(a.href, location.href).protocol)) problems.push(`link: ${show(a)}`);
  }
  for (const img of document.querySelectorAll('img')) {
    const src = img.getAttribute('src') ?? '';
    if (!src.startsWith('data:') && new URL(img.src, location.href).origin !== location.origin) problems.push(`remote image: ${show(img)}`);
  }
  return problems;
}

interface Watch {
  dialogs: string[];
}

async function watch(page: Page): Promise<Watch> {
  const w: Watch = { dialogs: [] };
  page.on('dialog', (dialog) => {
    w.dialogs.push(`${dialog.type()}: ${dialog.message()} on ${page.url()}`);
    void dialog.dismiss().catch(() => {});
  });
  // Collected before any page script runs: a payload blocked by the CSP still shows up here.
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`));
  });
  return w;
}

/** After a page has rendered: nothing ran, nothing loaded, nothing dangerous in the DOM, the texts shown as text. */
async function expectInert(page: Page, w: Watch, where: string, shown: string[], withCsp: boolean): Promise<void> {
  // Handlers that wait for a pointer or focus (onmouseover, onfocus) are found by the DOM audit below.
  const state = await page.evaluate(() => ({
    xss: (window as unknown as { __xss?: unknown }).__xss ?? null,
    violations: (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? [],
    text: document.body.textContent ?? '',
  }));
  expect(state.xss, `${where}: window.__xss set by a payload`).toBeNull();
  expect(w.dialogs, `${where}: dialogs`).toEqual([]);
  expect(trapHits, `${where}: requests that reached the trap`).toEqual([]);
  expect(await page.evaluate(auditDom), `${where}: dangerous markup in the DOM`).toEqual([]);
  if (withCsp) expect(state.violations, `${where}: CSP violations`).toEqual([]);
  const normalise = (s: string) => s.replace(/\s+/g, ' ');
  const missing = shown.filter((s) => s && !normalise(state.text).includes(normalise(s)));
  expect(missing, `${where}: texts not shown as text`).toEqual([]);
}

/** The CSP the server sends with every page. */
function expectStrictCsp(header: string | undefined, where: string): void {
  expect(header, `${where}: Content-Security-Policy header`).toBeTruthy();
  const directives = new Map(
    header!.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...values]) => [name, values]),
  );
  const scripts = directives.get('script-src') ?? directives.get('default-src') ?? [];
  expect(scripts, `${where}: script-src`).toContain("'self'");
  expect(scripts.filter((v) => v === "'unsafe-inline'" || v === "'unsafe-eval'" || v === '*' || v.endsWith(':')), `${where}: script-src`).toEqual([]);
  expect(directives.get('object-src'), `${where}: object-src`).toEqual(["'none'"]);
  expect(directives.get('base-uri'), `${where}: base-uri`).toEqual(["'self'"]);
  expect(directives.get('frame-ancestors'), `${where}: frame-ancestors`).toEqual(["'none'"]);
}

// ---- the tests

interface PageCheck {
  path: string;
  what: string;
  /** Waits until the page shows what it must; `typist` is a member's page on the same thread. */
  ready: (page: Page, typist: Page) => Promise<void>;
  /** Texts the reader must see, as text. */
  shown: string[];
}

interface Seeded {
  pages: PageCheck[];
  threadPath: string;
  members: { email: string; name: string }[];
  librarySlug: string;
  groupSlug: string;
  meetupTitle: string;
  meetupTexts: string[];
  /** Bearer token of the staff member, to close the group again after the tests. */
  staffToken: string;
}

describe('XSS corpus: nothing a user writes runs in anyone’s browser', () => {
  let seeded: Seeded | null = null;
  const the = (): Seeded => {
    if (!seeded) throw new Error('seeding failed (see beforeAll)');
    return seeded;
  };

  // Seeded once, through the sign-up form and the REST API, as the people themselves would.
  beforeAll(async () => {
    const T = trapOrigin;
    const t0 = Date.now();
    const js = (tag: string) => `alert(1);top.__xss=1;fetch('${T}/${tag}')`;

    const staff = await e2e.newUser({ label: 'Platformbeheer' });
    const m1 = await e2e.newUser({ label: 'Mallory' });
    const m2 = await e2e.newUser({ label: 'Trudy' });
    const watched = await Promise.all([staff, m1, m2].map(({ page }) => watch(page)));
    // Display names (max. 60): one typed into the sign-up form, one set later through PATCH /me.
    const name1 = `<img src=${T}/n1 onerror=alert(1)>{{7*7}}`;
    const name2 = `"><svg/onload=top.__xss=1>'-alert(1)-'`;
    await Promise.all([
      logIn(staff.page, STAFF),
      signUp(m1.page, name1, `mallory-${RUN}@voorbeeldstad.example`),
      signUp(m2.page, `Trudy ${RUN}`, `trudy-${RUN}@voorbeeldstad.example`),
    ]);
    const me2 = await rest<{ id: number; display_name: string }>(m2.page, 'PATCH', 'me/', { display_name: name2 });
    expect(me2.display_name).toBe(name2);
    const me1 = await rest<{ id: number; display_name: string }>(m1.page, 'GET', 'me/');
    expect(me1.display_name).toBe(name1);

    // A library and a closed group of their own: nothing here shows in the other tests' pages.
    const library = { slug: `xss-${RUN}`, name: `Bibliotheek <script>alert(1)</script> ${RUN}` };
    await rest(staff.page, 'POST', 'libraries/', library);
    const slug = `xss-groep-${RUN}`;
    const group = {
      library: library.slug,
      slug,
      name: `Groep <img src=${T}/g1 onerror=${js('g1')}> ${RUN}`,
      description: `"><svg onload=${js('g2')}><a href="javascript:alert(1)">klik</a> [klik](javascript:alert(1)) {{constructor.constructor('alert(1)')()}}`,
      themes: ['<script>alert(1)</script>', `"><img src=${T}/g3>`],
      visibility: 'closed',
    };
    const created = await rest<{ invite_code: string }>(staff.page, 'POST', 'groups/', group);
    for (const { page } of [m1, m2]) await rest(page, 'POST', `groups/${slug}/join/`, { invite_code: created.invite_code });
    for (const id of [me1.id, me2.id]) await rest(staff.page, 'POST', `groups/${slug}/members/${id}/approve/`);

    // A thread with a hostile title; resources with hostile titles and creators (a member's book entry).
    const threadTitle = `<img src=${T}/t1 onerror=${js('t1')}> {{constructor.constructor('alert(1)')()}} ${RUN}`;
    const thread = await rest<{ id: number }>(m1.page, 'POST', `groups/${slug}/threads/`, { title: threadTitle, body: '' });
    const resourceTitle = `<svg onload=${js('r1')}></script><script>top.__xss=1</script> "><img src=${T}/r1>`;
    const creator = `<img src=${T}/r2 onerror=alert(1)>`;
    const resource = await rest<{ id: number; title: string }>(m1.page, 'POST', 'resources/resolve/', {
      isbn: newIsbn(),
      title: resourceTitle,
      creators: [creator],
    });
    expect(resource.title).toBe(resourceTitle);
    const resource2Title = `</script><img src=${T}/r3 onerror=alert(1)><!--`;
    const resource2 = await rest<{ id: number }>(m2.page, 'POST', 'resources/resolve/', { isbn: newIsbn(), title: resource2Title });
    await rest(m2.page, 'POST', `threads/${thread.id}/resources/`, { resource: resource2.id });

    // The message corpus, two payloads (each in its own paragraph) per message, from both members:
    // under the rate limit (20 messages per 10 s each) and within the thread's first page.
    const payloads = messagePayloads(T);
    const pairs = Array.from({ length: Math.ceil(payloads.length / 2) }, (_, i) => payloads.slice(2 * i, 2 * i + 2));
    const sendAll = async (page: Page, mine: Payload[][], first: boolean) => {
      const out: { id: number; payloads: Payload[] }[] = [];
      for (const [i, pair] of mine.entries()) {
        const message = await rest<{ id: number }>(page, 'POST', `threads/${thread.id}/messages/`, {
          body: pair.map((payload) => `xss-${payload.id}\n\n${payload.text}`).join('\n\n'),
          client_id: crypto.randomUUID(),
          ...(first && i === 0 ? { resources: [resource.id] } : {}),
        });
        out.push({ id: message.id, payloads: pair });
      }
      return out;
    };
    const [fromM1, fromM2] = await Promise.all([
      sendAll(m1.page, pairs.filter((_, i) => i % 2 === 0), true),
      sendAll(m2.page, pairs.filter((_, i) => i % 2 === 1), false),
    ]);
    const sent = [...fromM1, ...fromM2];
    // A link to a page whose metadata is hostile: the server's worker fetches its preview.
    const hostileUrl = `${inject('previewServerUrl')}${HOSTILE_PATH}`;
    const previewed = await rest<{ id: number }>(m2.page, 'POST', `threads/${thread.id}/messages/`, {
      body: `xss-preview ${hostileUrl}`,
      client_id: crypto.randomUUID(),
    });
    sent.push({ id: previewed.id, payloads: [] });

    // The staff member adds Mallory's book (seen in the thread now) to the collection, with a hostile note.
    const collectionNote = `<script>${js('c1')}</script> [klik](javascript:alert(1))`;
    await rest(staff.page, 'POST', `groups/${slug}/collection/`, { resource: resource.id, note: collectionNote });

    // Trudy reports one of Mallory's messages, with a hostile note: the moderators' panel shows both.
    const reportNote = `<img src=${T}/report onerror=${js('report')}>`;
    await rest(m2.page, 'POST', `moderation/messages/${sent[2].id}/report/`, { category: 'other', note: reportNote });
    const reported = sent[2].payloads.map((p) => (p.shows ?? p.text).split('\n')[0]);

    // A meetup in the group with hostile title, description (markdown), place and link.
    const start = new Date(Date.now() + 3 * 24 * 3600_000);
    const meetupTitle = `<script>${js('m1')}</script> "><img src=${T}/m1> ${RUN}`;
    const meetupDescription = `[klik](javascript:alert(1))\n\n<svg><style><img src=${T}/m2 onerror=alert(1)></style></svg>\n\n<iframe srcdoc="<script>parent.__xss=1</script>">`;
    const meetupLocation = `"><img src=${T}/m3 onerror=alert(1)>`;
    const meetup = await rest<{ id: number }>(staff.page, 'POST', `groups/${slug}/meetups/`, {
      title: meetupTitle,
      description: meetupDescription,
      starts_at: start.toISOString(),
      ends_at: new Date(start.getTime() + 3600_000).toISOString(),
      in_person: true,
      online: true,
      location: meetupLocation,
      online_url: `https://example.org/?q="><img/src=${T}/m4/onerror=alert(1)>`,
      capacity: null,
      cohosts: [],
    });
    await rest(staff.page, 'POST', `meetups/${meetup.id}/publish/`);
    // The public agenda (and its embeddable copy) lists only public groups' meetups: the group is open
    // while the pages are read and closed again afterwards (afterAll), so other test files never list it.
    await rest(staff.page, 'PATCH', `groups/${slug}/`, { visibility: 'public' });
    const token = await fetch(`${e2e.serverUrl}/api/v1/auth/token/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: STAFF.email, password: DEMO_PASSWORD, name: 'xss e2e' }),
    });
    expect(token.status).toBe(201);
    // The members' and the staff member's windows got all of it live while it was written.
    for (const w of watched) expect(w.dialogs).toEqual([]);
    expect(trapHits, 'requests that reached the trap while seeding').toEqual([]);
    for (const page of [staff.page, m1.page, m2.page]) {
      expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss ?? null)).toBeNull();
    }
    console.log(`xss: seeded through the sign-up form and the API in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const bodies = payloads.map((p) => p.shows ?? p.text).map((s) => s.split('\n')[0]);
    const pages: PageCheck[] = [
      {
        path: '/',
        what: 'group list',
        ready: (page) => page.locator(`[data-testid="group-item"][data-slug="${slug}"]`).waitFor(),
        shown: [group.name, group.description, ...group.themes],
      },
      {
        path: `/groups/${slug}`,
        what: 'group page',
        ready: (page) => page.getByTestId('thread-link').first().waitFor(),
        shown: [group.name, group.description, threadTitle, meetupTitle],
      },
      {
        path: `/groups/${slug}/threads/${thread.id}`,
        what: 'thread with messages, presence, typing and sources',
        ready: async (page, typist) => {
          await expect.poll(() => page.getByTestId('message').count(), LIVE).toBe(sent.length);
          for (const name of [name1, name2]) await page.getByTestId('online-user').filter({ hasText: name }).waitFor({ timeout: LIVE.timeout });
          await page.locator('[data-testid="resource-card"][data-variant="book"]').first().waitFor();
          const web = page.locator('[data-testid="resource-card"][data-variant="web"]');
          await web.waitFor({ timeout: LIVE.timeout });
          expect(await web.getAttribute('aria-label')).toBe(HOSTILE.title);
          await typist.getByTestId('composer').pressSequentially('ik typ', { delay: 20 });
          await page.getByTestId('typing-indicator').filter({ hasText: name1 }).waitFor({ timeout: LIVE.timeout });
          await page.getByTestId('sources-toggle').click();
          await page.getByTestId('source-item').first().waitFor();
        },
        shown: [...bodies, name1, name2, threadTitle, resourceTitle, resource2Title, creator, HOSTILE.title, HOSTILE.description, HOSTILE.siteName],
      },
      {
        path: `/groups/${slug}/collectie`,
        what: 'collection',
        ready: (page) => page.getByTestId('collection-item').first().waitFor(),
        shown: [resourceTitle, collectionNote],
      },
      {
        path: `/resources/${resource.id}`,
        what: 'resource page (with JSON-LD in the head)',
        ready: (page) => page.getByTestId('resource-page').waitFor(),
        shown: [resourceTitle, creator],
      },
      {
        path: `/resources/${resource2.id}`,
        what: 'resource page whose title closes the JSON-LD script',
        ready: (page) => page.getByTestId('resource-page').waitFor(),
        shown: [resource2Title],
      },
      {
        path: `/bijeenkomsten/${meetup.id}`,
        what: 'meetup page',
        ready: (page) => page.getByTestId('meetup-page').waitFor(),
        shown: [meetupTitle, '[klik](javascript:alert(1))', `<img src=${T}/m2 onerror=alert(1)>`, meetupLocation],
      },
      {
        path: `/groups/${slug}/bijeenkomsten`,
        what: 'group meetups',
        ready: (page) => page.getByTestId('meetup-link').first().waitFor(),
        shown: [meetupTitle],
      },
      {
        path: `/libraries/${library.slug}/agenda`,
        what: 'library agenda',
        ready: (page) => page.getByTestId('agenda-list').waitFor(),
        shown: [meetupTitle],
      },
      {
        path: `/moderation/${library.slug}`,
        what: 'moderation panel: report queue',
        ready: (page) => page.getByTestId('report-item').first().waitFor(),
        shown: [reportNote, name1, name2, ...reported],
      },
      {
        path: `/embed/libraries/${library.slug}/agenda`,
        what: 'embeddable agenda (server-rendered HTML)',
        ready: (page) => page.locator('li').first().waitFor(),
        shown: [meetupTitle, meetupLocation],
      },
    ];

    seeded = {
      pages,
      threadPath: `/groups/${slug}/threads/${thread.id}`,
      members: [
        { email: `mallory-${RUN}@voorbeeldstad.example`, name: name1 },
        { email: `trudy-${RUN}@voorbeeldstad.example`, name: name2 },
      ],
      librarySlug: library.slug,
      groupSlug: slug,
      meetupTitle,
      meetupTexts: ['[klik](javascript:alert(1))', `<img src=${T}/m2 onerror=alert(1)>`, meetupLocation],
      staffToken: ((await token.json()) as { token: string }).token,
    };
  }, 120_000);

  afterAll(async () => {
    if (!seeded) return;
    const response = await fetch(`${e2e.serverUrl}/api/v1/groups/${seeded.groupSlug}/`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${seeded.staffToken}` },
      body: JSON.stringify({ visibility: 'closed' }),
    });
    expect(response.status).toBe(200);
  });

  // The staff member (who sees everything, the moderation panel included) reads every page, while
  // both members are on the thread: online, and one of them typing.
  for (const withCsp of [false, true]) {
    test(`every page shows the payloads as inert text ${withCsp ? 'with the CSP (strict, never tripped)' : 'with the CSP bypassed (escaping and sanitising alone)'}`, async () => {
      const { pages, threadPath, members } = the();
      const t0 = Date.now();
      trapHits.length = 0; // each reading is judged on its own
      const viewer = await e2e.newUser({ label: `Platformbeheer (${withCsp ? 'CSP' : 'no CSP'})`, bypassCSP: !withCsp });
      const w = await watch(viewer.page);
      const [windows] = await Promise.all([
        Promise.all(
          members.map(async (member) => {
            const { page } = await e2e.newUser({ label: member.email, bypassCSP: !withCsp });
            const mw = await watch(page);
            await signInToThread(page, member, threadPath);
            return { page, w: mw };
          }),
        ),
        logIn(viewer.page, STAFF),
      ]);
      for (const { path, what, ready, shown } of pages) {
        const where = `${what} (${withCsp ? 'with' : 'without'} CSP)`;
        const response = await viewer.page.goto(path);
        expect(response?.status(), where).toBe(200);
        const csp = response?.headers()['content-security-policy'];
        if (withCsp && path.startsWith('/embed/')) {
          // Embedded on other sites: no script at all.
          expect(csp, where).toMatch(/default-src 'none'/);
          expect(csp, where).not.toMatch(/script-src/);
        } else if (withCsp) expectStrictCsp(csp, where);
        await ready(viewer.page, windows[0].page);
        await expectInert(viewer.page, w, where, shown, withCsp);
      }
      // The members' own windows showed the thread (and their names) all along.
      for (const { page, w: mw } of windows) await expectInert(page, mw, `a member's window (${withCsp ? 'with' : 'without'} CSP)`, [], withCsp);
      console.log(`xss: ${pages.length} pages read ${withCsp ? 'with' : 'without'} the CSP in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    });
  }

  test('feeds: the Atom summary (type="html") rendered as a naive feed reader would is inert; JSON Feed and iCalendar are never HTML', async () => {
    const { librarySlug, meetupTitle, meetupTexts } = the();
    trapHits.length = 0;
    const feedUrl = (name: string) => `${e2e.serverUrl}/api/v1/libraries/${librarySlug}/${name}`;
    const reader = await e2e.newUser({ label: 'feed reader', bypassCSP: true });
    const rw = await watch(reader.page);
    const atom = (await reader.page.goto(feedUrl('agenda.atom')))!;
    expect(atom.headers()['content-type']).toMatch(/^application\/atom\+xml/);
    const summaries = await reader.page.evaluate((xml) => {
      const doc = new DOMParser().parseFromString(xml, 'application/xml');
      return [...doc.getElementsByTagName('entry')].map((entry) => ({
        title: entry.getElementsByTagName('title')[0]?.textContent ?? '',
        summary: entry.getElementsByTagName('summary')[0]?.textContent ?? '',
        type: entry.getElementsByTagName('summary')[0]?.getAttribute('type') ?? 'text',
      }));
    }, (await atom.body()).toString('utf8'));
    const entry = summaries.find((e) => e.title === meetupTitle);
    expect(entry, 'the meetup in the Atom feed').toBeTruthy();
    const asHtml = entry!.type === 'html' ? entry!.summary : entry!.summary.replace(/&/g, '&amp;').replace(/</g, '&lt;');
    await reader.page.setContent(`<!doctype html><meta charset="utf-8"><h1>feed</h1><article>${asHtml}</article>`);
    await expectInert(reader.page, rw, 'Atom summary rendered as HTML', meetupTexts, false);
    for (const [name, type] of [['agenda.json', /^application\/(feed\+)?json/], ['agenda.ics', /^text\/calendar/]] as const) {
      const response = await fetch(feedUrl(name));
      expect(response.headers.get('content-type'), name).toMatch(type);
      expect(response.headers.get('x-content-type-options'), name).toBe('nosniff');
      await response.arrayBuffer();
    }
  });
});
