"""Safe fetching of link previews: page metadata and preview images from untrusted URLs.

Pure module (no models, no database); the link-preview background task calls it, never a request
or a consumer. Every failure is a `FetchRefused` with a stable `code`.

Network rules
- Only http and https. URLs with userinfo (``http://a@b/``), control characters, invalid ports or
  invalid hosts are ``bad_url``; other schemes (ftp, javascript, data, …) are ``bad_scheme``.
  Hosts are parsed like a browser does (WHATWG): ``http://2130706433/``, ``http://0x7f000001/`` and
  ``http://127.1/`` all mean 127.0.0.1 and are refused like it.
- Each hop is sent through a requests-hardened session: it resolves the host once, checks the
  first address and connects to exactly that address (the ``Host`` header and TLS SNI keep the
  name). On top of its check, the pinned address must be globally routable (`ipaddress.is_global`):
  loopback, private, link-local (169.254.169.254), CGNAT (100.64/10), ULA (fc00::/7), multicast and
  reserved addresses are ``blocked_address``. IP literals are checked before any connection, and
  IPv4-mapped IPv6 literals (``[::ffff:…]``) are always refused.
- Redirects are followed here, never by requests: at most ``PREVIEW_MAX_REDIRECTS`` hops, each one
  canonicalised and checked like the first URL; one more is ``too_many_redirects``.
- ``PREVIEW_TIMEOUT`` seconds bound every connect and every read, and also the whole call (all hops,
  headers and body): the body is streamed and each read waits at most for the time left, so a
  slow-drip body ends in ``timeout`` about ``PREVIEW_TIMEOUT`` seconds after the call started.
  DNS resolution itself is not covered by a timeout (the system resolver decides).
- Bodies are streamed and never read beyond ``PREVIEW_MAX_BYTES`` (counted after content decoding).
  Pages larger than the cap are *parsed on their first PREVIEW_MAX_BYTES bytes* (the <head> is what
  matters) rather than refused; images larger than the cap are ``too_large``.
- Requests carry ``User-Agent: KennisCloud-LinkPreview/1.0`` and an ``Accept`` for HTML or images;
  no environment proxies or .netrc are used, and no cookies outlive a call.
- Statuses outside 2xx (and 3xx without a Location) are ``http_error``; resolution failures,
  refused connections and TLS errors are ``connection_failed``.

Pages (`fetch_page`): Content-Type must be text/html or application/xhtml+xml, else ``not_html``.
The body is decoded with the HTTP charset, else a ``<meta charset>`` in the first 16 KB, else UTF-8,
always with errors="replace". `parse_html` never raises on broken HTML. Precedence per field:
OpenGraph > Twitter card > JSON-LD > <title> / meta description / meta author. Text is trimmed and
whitespace-collapsed; title ≤ 500, description ≤ 2000, site_name ≤ 200 characters. ``url`` is the
final URL after redirects, canonicalised — or the page's ``<link rel=canonical>`` / ``og:url`` when
that is on the same origin. ``image_url`` is resolved against the final URL and kept only if it is
http(s). ``type`` is one of book, article, website, video, podcast, other (website if undeclared).

`fetch_bytes` returns any 2xx body under the same network rules (over the cap: ``too_large``).

Images (`fetch_image`): PNG, JPEG, GIF or WebP only, recognised by magic bytes (the declared type is
only used to refuse SVG and non-image types early): ``not_image`` otherwise, SVG always.

TEST ONLY: ``settings.KENNISCLOUD["PREVIEW_TEST_LOOPBACK_PORTS"]`` (empty in real deployments) lets a
hop connect to 127.0.0.1 — exactly that address, after the single resolution — when the URL's port is
in the list. The allowance is decided per hop, so a test server redirecting to another loopback port
is still refused.

Layout: `urls` canonicalises URLs and parses hosts (and defines `FetchRefused`), `network` is the
SSRF-safe network layer and the fetchers, `html` extracts the metadata of a page.
"""

from .html import PageMeta, parse_html
from .network import fetch_bytes, fetch_image, fetch_page
from .urls import FetchRefused, canonicalize_url

__all__ = [
    "FetchRefused",
    "PageMeta",
    "canonicalize_url",
    "fetch_bytes",
    "fetch_image",
    "fetch_page",
    "parse_html",
]
