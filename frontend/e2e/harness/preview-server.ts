/**
 * A tiny website for the link-preview tests, on 127.0.0.1 and a free port: an article with OpenGraph
 * tags and its image. Only the server's background worker may fetch it (the port is the one loopback
 * port `KENNISCLOUD_PREVIEW_TEST_LOOPBACK_PORTS` allows); the browser must never request it.
 *
 * The article can be held back: while the gate is closed, requests for it wait until a test opens
 * the gate (`/__gate/close`, `/__gate/open`, `/__gate/status` → `{closed, waiting, served}`), so a
 * test can show that a message arrives while its preview is still being fetched.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const ARTICLE_PATH = '/artikel-zonnepanelen';
export const ARTICLE = {
  title: 'Zonnepanelen op je dak: zo begin je',
  description: 'Van offerte tot aansluiting: wat je moet weten voordat je zonnepanelen laat leggen, met de subsidies van dit jaar.',
  siteName: 'Energieloket Voorbeeldstad',
  image: '/zon.png',
} as const;

/** An 8×8 sun-yellow PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR42mP4tU8EK2IYWhIAKOtzAcL6QWAAAAAASUVORK5CYII=',
  'base64',
);

const html = (origin: string) => `<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<title>${ARTICLE.title} | ${ARTICLE.siteName}</title>
<meta property="og:type" content="article">
<meta property="og:title" content="${ARTICLE.title}">
<meta property="og:description" content="${ARTICLE.description}">
<meta property="og:site_name" content="${ARTICLE.siteName}">
<meta property="og:image" content="${ARTICLE.image}">
<meta property="og:url" content="${origin}${ARTICLE_PATH}">
</head>
<body><h1>${ARTICLE.title}</h1><p>${ARTICLE.description}</p></body>
</html>
`;

/**
 * A page whose metadata is hostile (for the XSS test): markup and `javascript:` addresses in every
 * field a preview card shows or links to. Only the server's worker reads it; readers see the card.
 */
export const HOSTILE_PATH = '/artikel-xss';
export const HOSTILE = {
  title: `<img src=x onerror="top.__xss=1;alert(1)">"><script>alert(1)</script>`,
  description: `<svg onload=alert(1)> {{constructor.constructor('alert(1)')()}}`,
  siteName: `javascript:alert(1)`,
} as const;
const hostileHtml = `<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<title>${HOSTILE.title.replace(/</g, '&lt;')}</title>
<meta property="og:title" content="${HOSTILE.title.replace(/"/g, '&quot;')}">
<meta property="og:description" content="${HOSTILE.description}">
<meta property="og:site_name" content="${HOSTILE.siteName}">
<meta property="og:url" content="javascript:alert(1)">
<meta property="og:image" content="javascript:alert(1)">
<link rel="canonical" href="javascript:alert(1)">
<script type="application/ld+json">{"@type":"Article","name":"<\\/script><script>alert(1)<\\/script>","url":"javascript:alert(1)"}</script>
</head>
<body><p>Niets te zien.</p></body>
</html>
`;

/** Longest a held request waits: the fetcher gives up after its own timeout anyway. */
const MAX_HOLD_MS = 20_000;

export interface PreviewServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startPreviewServer(): Promise<PreviewServer> {
  let closed = false;
  let served = 0;
  const waiting = new Set<() => void>();
  const releaseAll = () => {
    for (const release of [...waiting]) release();
  };

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer) => {
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
    res.end(body);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (path === ARTICLE_PATH) {
      const answer = () => {
        served += 1;
        send(res, 200, 'text/html; charset=utf-8', html(origin));
      };
      if (!closed) return answer();
      const timer = setTimeout(() => release(), MAX_HOLD_MS);
      const release = () => {
        clearTimeout(timer);
        waiting.delete(release);
        if (!res.destroyed) answer();
      };
      waiting.add(release);
      res.on('close', () => {
        clearTimeout(timer);
        waiting.delete(release);
      });
      return;
    }
    if (path === ARTICLE.image) return send(res, 200, 'image/png', PNG);
    if (path === HOSTILE_PATH) return send(res, 200, 'text/html; charset=utf-8', hostileHtml);
    if (path === '/__gate/close') {
      closed = true;
      return send(res, 200, 'application/json', JSON.stringify({ closed }));
    }
    if (path === '/__gate/open') {
      closed = false;
      releaseAll();
      return send(res, 200, 'application/json', JSON.stringify({ closed }));
    }
    if (path === '/__gate/status') {
      return send(res, 200, 'application/json', JSON.stringify({ closed, waiting: waiting.size, served }));
    }
    send(res, 404, 'text/plain; charset=utf-8', 'niet gevonden');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        closed = false;
        releaseAll();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
