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
"""

from __future__ import annotations

import codecs
import ipaddress
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote_plus, urljoin, urlsplit

import idna
import requests
import urllib3
from django.conf import settings
from requests.utils import requote_uri
from requests_hardened import Config, HTTPSession
from requests_hardened.ip_filter import InvalidIPAddress
from requests_hardened.ip_filter_adapter import IPFilterAdapter

USER_AGENT = "KennisCloud-LinkPreview/1.0"
PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9"
IMAGE_ACCEPT = "image/png,image/jpeg,image/gif,image/webp,image/*;q=0.1"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_URL_LENGTH = 4096
TITLE_MAX, DESCRIPTION_MAX, SITE_NAME_MAX, CREATOR_MAX, MAX_CREATORS = 500, 2000, 200, 200, 20
_READ_CHUNK = 64 * 1024
_DROPPED_PARAMS = frozenset({"fbclid", "gclid"})
_ASCII_HOST = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([a-zA-Z0-9_.:-]+)", re.IGNORECASE)
_MARKED_SECTION = re.compile(r"<!\[(?!CDATA\[)", re.IGNORECASE)
_YEAR = re.compile(r"\s*(\d{4})(?!\d)")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_CONTROL = dict.fromkeys([*range(0x20), 0x7F], " ")
_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
# WHATWG Encoding: these labels mean windows-1252, and a <meta> declaring UTF-16 means UTF-8.
_CHARSET_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "cp1252"}
_NOT_MAIN_TYPES = frozenset(
    {
        "website",
        "organization",
        "person",
        "breadcrumblist",
        "imageobject",
        "searchaction",
        "sitenavigationelement",
    }
)
_OG_TYPES = {"book": "book", "books.book": "book", "article": "article", "website": "website"}
_SCHEMA_TYPES = {
    "book": "book",
    "article": "article",
    "newsarticle": "article",
    "blogposting": "article",
    "scholarlyarticle": "article",
    "techarticle": "article",
    "report": "article",
    "website": "website",
    "webpage": "website",
    "videoobject": "video",
    "movie": "video",
    "podcastepisode": "podcast",
    "podcastseries": "podcast",
    "podcastseason": "podcast",
}


class FetchRefused(Exception):
    CODES = frozenset(
        {
            "bad_url",
            "bad_scheme",
            "blocked_address",
            "too_many_redirects",
            "timeout",
            "too_large",
            "not_html",
            "not_image",
            "http_error",
            "connection_failed",
        }
    )

    def __init__(self, code: str, detail: str = "") -> None:
        if code not in self.CODES:
            raise ValueError(f"unknown FetchRefused code {code!r}")
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class PageMeta:
    url: str
    title: str = ""
    description: str = ""
    site_name: str = ""
    type: str = "website"
    image_url: str = ""
    creators: list[str] = field(default_factory=list)
    year: int | None = None
    isbn: str = ""


# --- URLs ---------------------------------------------------------------------------------------


def canonicalize_url(url: str) -> str:
    """The canonical http(s) form of `url`; raises FetchRefused("bad_url" / "bad_scheme")."""
    url = url.strip(_C0_AND_SPACE)
    if not url or len(url) > MAX_URL_LENGTH or any(ord(c) < 0x20 or c == "\x7f" for c in url):
        raise FetchRefused("bad_url", "empty, too long or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchRefused("bad_url", str(exc)) from None
    scheme = parts.scheme.lower()
    if not scheme:
        raise FetchRefused("bad_url", "no scheme")
    if scheme not in ("http", "https"):
        raise FetchRefused("bad_scheme", scheme)
    if "@" in parts.netloc or "\\" in parts.netloc:
        raise FetchRefused("bad_url", "userinfo or backslash in authority")
    host = _canonical_host(parts.hostname or "", bracketed=parts.netloc.startswith("["))
    if port == 0:
        raise FetchRefused("bad_url", "port 0")
    netloc = host if port is None or port == {"http": 80, "https": 443}[scheme] else f"{host}:{port}"
    path = requote_uri(_remove_dot_segments(parts.path or "/"))
    kept = [p for p in parts.query.split("&") if p and not _is_tracking_param(p)]
    query = requote_uri("&".join(kept))
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def _canonical_host(host: str, *, bracketed: bool) -> str:
    if not host:
        raise FetchRefused("bad_url", "no host")
    if bracketed:
        try:
            return f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError:
            raise FetchRefused("bad_url", "invalid IPv6 literal") from None
    if not host.isascii():
        try:
            host = idna.uts46_remap(host, std3_rules=False, transitional=False)
        except idna.IDNAError:
            raise FetchRefused("bad_url", "invalid host") from None
    host = host.lower()
    if host.endswith("."):
        host = host[:-1]
    ipv4 = _whatwg_ipv4(host)
    if ipv4 is not None:
        return ipv4
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=False).decode("ascii")
        except idna.IDNAError:
            raise FetchRefused("bad_url", "invalid host") from None
    if not _ASCII_HOST.fullmatch(host) or len(host) > 253 or any(len(lb) > 63 for lb in host.split(".")):
        raise FetchRefused("bad_url", "invalid host")
    return host


def _whatwg_ipv4(host: str) -> str | None:
    """A host that ends in a number is an IPv4 address in any form browsers (and inet_aton) accept:
    decimal, 0x-hex, 0-octal, with 1–4 parts. Returns the dotted quad, None for a domain name."""
    labels = host.split(".")
    if not re.fullmatch(r"[0-9]+|0[xX][0-9a-fA-F]*", labels[-1]):
        return None
    if len(labels) > 4:
        raise FetchRefused("bad_url", "invalid IPv4 address")
    numbers = []
    for label in labels:
        try:
            if label[:2].lower() == "0x":
                numbers.append(int(label[2:] or "0", 16))
            elif len(label) > 1 and label.startswith("0"):
                numbers.append(int(label[1:], 8))
            else:
                numbers.append(int(label, 10))
        except ValueError:
            raise FetchRefused("bad_url", "invalid IPv4 address") from None
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise FetchRefused("bad_url", "invalid IPv4 address")
    value = numbers[-1] + sum(n * 256 ** (3 - i) for i, n in enumerate(numbers[:-1]))
    return str(ipaddress.IPv4Address(value))


def _remove_dot_segments(path: str) -> str:
    output: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if output:
                output.pop()
        elif segment != ".":
            output.append(segment)
    if path.endswith(("/.", "/..")):
        output.append("")
    return "/" + "/".join(output)


def _is_tracking_param(pair: str) -> bool:
    key = unquote_plus(pair.split("=", 1)[0]).lower()
    return key.startswith("utm_") or key in _DROPPED_PARAMS


# --- addresses and hops ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Limits:
    timeout: float
    max_bytes: int
    max_redirects: int
    loopback_ports: frozenset[int]


def _limits() -> _Limits:
    conf = settings.KENNISCLOUD
    return _Limits(
        timeout=float(conf["PREVIEW_TIMEOUT"]),
        max_bytes=int(conf["PREVIEW_MAX_BYTES"]),
        max_redirects=int(conf["PREVIEW_MAX_REDIRECTS"]),
        loopback_ports=frozenset(int(p) for p in conf.get("PREVIEW_TEST_LOOPBACK_PORTS") or ()),
    )


def _address_allowed(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, *, test_port: int | None) -> bool:
    if test_port is not None and ip == ipaddress.IPv4Address("127.0.0.1"):
        return True
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


class _BlockedAddress(InvalidIPAddress):
    pass


class _PinnedAdapter(IPFilterAdapter):
    """requests-hardened's adapter (resolve once, refuse private, pin) plus our stricter check of the
    address it pinned. `test_port` is set only for a hop whose port is in PREVIEW_TEST_LOOPBACK_PORTS:
    then loopback passes the hardened filter and we narrow it to 127.0.0.1 on that port."""

    def __init__(self, *, is_https: bool, test_port: int | None) -> None:
        super().__init__(is_https_proto=is_https, allow_loopback=test_port is not None)
        self._test_port = test_port

    def build_connection_pool_key_attributes(self, request, verify, cert=None):  # type: ignore[no-untyped-def]
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        pinned = ipaddress.ip_address(host_params["host"].strip("[]"))
        default_port = 443 if host_params["scheme"] == "https" else 80
        port_ok = (host_params["port"] or default_port) == self._test_port
        if not _address_allowed(pinned, test_port=self._test_port if port_ok else None):
            raise _BlockedAddress(pinned)
        return host_params, pool_kwargs


def _refuse_literal(host: str, port: int, limits: _Limits) -> None:
    """Cheap early refusal of IP literals; names are checked on their pinned address by the adapter."""
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return
    test_port = port if port in limits.loopback_ports else None
    if (ip.version == 6 and ip.ipv4_mapped is not None) or not _address_allowed(ip, test_port=test_port):
        raise FetchRefused("blocked_address", str(ip))


def _send_hop(session: requests.Session, url: str, accept: str, limits: _Limits, deadline: float):
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    _refuse_literal(parts.hostname or "", port, limits)
    test_port = port if port in limits.loopback_ports else None
    prefix = f"{parts.scheme}://"
    session.adapters[prefix].close()  # the previous hop's adapter (or the session's own)
    session.mount(prefix, _PinnedAdapter(is_https=parts.scheme == "https", test_port=test_port))
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchRefused("timeout", "deadline passed before connecting")
    wait = min(limits.timeout, remaining)
    try:
        return session.get(
            url,
            headers={"Accept": accept},
            stream=True,
            allow_redirects=False,
            timeout=(wait, wait),
        )
    except InvalidIPAddress as exc:
        raise FetchRefused("blocked_address", str(exc)) from None
    except requests.Timeout:
        raise FetchRefused("timeout", url) from None
    except (requests.exceptions.InvalidURL, requests.exceptions.URLRequired) as exc:
        raise FetchRefused("bad_url", str(exc)) from None
    except requests.RequestException as exc:
        raise FetchRefused("connection_failed", str(exc)) from None


@contextmanager
def _open(url: str, *, accept: str, limits: _Limits) -> Iterator[tuple[str, requests.Response, float]]:
    """Follows redirects hop by hop; yields (final canonical URL, streaming 2xx response, deadline)."""
    deadline = time.monotonic() + limits.timeout
    current = canonicalize_url(url)
    config = Config(
        ip_filter_enable=True,
        ip_filter_allow_loopback_ips=False,
        never_redirect=True,
        default_timeout=(limits.timeout, limits.timeout),
        user_agent_override=USER_AGENT,
    )
    with HTTPSession(config) as session:
        session.trust_env = False  # no proxies or .netrc from the environment
        for hop in range(limits.max_redirects + 1):
            response = _send_hop(session, current, accept, limits, deadline)
            if response.status_code not in REDIRECT_STATUSES:
                break
            location = response.headers.get("Location")
            response.close()
            if not location:
                raise FetchRefused("http_error", f"{response.status_code} without Location")
            if hop == limits.max_redirects:
                raise FetchRefused("too_many_redirects", current)
            current = _http_url(location, current) or canonicalize_url(location)  # the latter raises
        try:
            if not 200 <= response.status_code < 300:
                raise FetchRefused("http_error", str(response.status_code))
            yield current, response, deadline
        finally:
            response.close()  # closes the socket: an unread rest of the body is never drained


def _read_body(response: requests.Response, *, max_bytes: int, deadline: float, truncate: bool) -> bytes:
    raw: urllib3.HTTPResponse = response.raw
    declared = response.headers.get("Content-Length", "")
    if not truncate and declared.isdigit() and int(declared) > max_bytes:
        raise FetchRefused("too_large", f"Content-Length {declared}")
    body = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchRefused("timeout", "body not received before the deadline")
        sock = getattr(raw.connection, "sock", None)
        if sock is not None:
            sock.settimeout(remaining)  # one read may not outlast the call's deadline
        try:
            # read1 returns what has arrived (read would wait for a full chunk); decoding is capped at
            # the chunk size, so a compression bomb cannot inflate one read.
            chunk = raw.read1(_READ_CHUNK, decode_content=True)
        except urllib3.exceptions.ReadTimeoutError:
            raise FetchRefused("timeout", "body read timed out") from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            code = "timeout" if time.monotonic() >= deadline else "connection_failed"
            raise FetchRefused(code, str(exc)) from None
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > max_bytes:
            if truncate:
                return bytes(body[:max_bytes])
            raise FetchRefused("too_large", f"more than {max_bytes} bytes")


def _content_type(response: requests.Response) -> tuple[str, str | None]:
    mime, _, params = response.headers.get("Content-Type", "").partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip(" \"'"):
            charset = value.strip(" \"'")
    return mime.strip().lower(), charset


# --- public fetchers ------------------------------------------------------------------------------


def fetch_page(url: str) -> PageMeta:
    """Fetches an HTML page under the module's rules and returns its metadata."""
    limits = _limits()
    with _open(url, accept=PAGE_ACCEPT, limits=limits) as (final_url, response, deadline):
        mime, charset = _content_type(response)
        if mime not in HTML_TYPES:
            raise FetchRefused("not_html", mime or "no Content-Type")
        body = _read_body(response, max_bytes=limits.max_bytes, deadline=deadline, truncate=True)
    return parse_html(body, base_url=final_url, encoding=charset)


def fetch_bytes(url: str, *, accept: str = "*/*") -> bytes:
    """The raw body of any 2xx response, under the same network rules; over the cap is too_large."""
    limits = _limits()
    with _open(url, accept=accept, limits=limits) as (_final_url, response, deadline):
        return _read_body(response, max_bytes=limits.max_bytes, deadline=deadline, truncate=False)


def fetch_image(url: str) -> tuple[bytes, str]:
    """Fetches a PNG, JPEG, GIF or WebP image; returns (bytes, content type from the magic bytes)."""
    limits = _limits()
    with _open(url, accept=IMAGE_ACCEPT, limits=limits) as (_final_url, response, deadline):
        mime, _ = _content_type(response)
        if "svg" in mime or (mime and not mime.startswith("image/") and mime != "application/octet-stream"):
            raise FetchRefused("not_image", mime)
        data = _read_body(response, max_bytes=limits.max_bytes, deadline=deadline, truncate=False)
    for magic, content_type in _IMAGE_MAGIC:
        if data.startswith(magic):
            return data, content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return data, "image/webp"
    raise FetchRefused("not_image", "not PNG, JPEG, GIF or WebP")


# --- HTML parsing ---------------------------------------------------------------------------------


def _decode(html: bytes, encoding: str | None) -> str:
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if html.startswith(bom):
            return html.decode(codec, errors="replace")
    match = _META_CHARSET.search(html[:16384])
    declared = match.group(1).decode("ascii").lower() if match else None
    if declared and declared.startswith("utf-16"):
        declared = "utf-8"
    for label in (encoding, declared):
        if not label:
            continue
        label = label.strip().lower()
        try:  # bytes.decode refuses non-text codecs (hex, base64, rot13) with LookupError
            return html.decode(_CHARSET_ALIASES.get(label, label), errors="replace")
        except (LookupError, ValueError, TypeError, UnicodeError):
            continue
    return html.decode("utf-8", errors="replace")


class _Collector(HTMLParser):
    """Collects head metadata; tolerant of anything (the caller also catches parser errors)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, list[str]] = {}
        self.title: str | None = None
        self.canonical: str | None = None
        self.jsonld: list[str] = []
        self._capture: str | None = None  # "title" or "jsonld"
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "meta":
            key = (attr.get("property") or attr.get("name") or "").strip().lower()
            if key and "content" in attr and len(self.meta.get(key, ())) < 50:
                self.meta.setdefault(key, []).append(attr["content"])
        elif tag == "link" and "canonical" in attr.get("rel", "").lower().split():
            self.canonical = self.canonical or attr.get("href")
        elif tag == "title" and self.title is None and self._capture is None:
            self._capture, self._buffer = "title", []
        elif tag == "script" and attr.get("type", "").split(";")[0].strip().lower() == "application/ld+json":
            self._capture, self._buffer = "jsonld", []

    def handle_endtag(self, tag: str) -> None:
        if self._capture == "title" and tag == "title":
            self.title = "".join(self._buffer)
            self._capture = None
        elif self._capture == "jsonld" and tag == "script":
            if len(self.jsonld) < 20:
                self.jsonld.append("".join(self._buffer))
            self._capture = None

    def handle_data(self, data: str) -> None:
        if self._capture is not None and sum(map(len, self._buffer)) < 512 * 1024:
            self._buffer.append(data)

    def finish(self) -> None:
        if self._capture == "title":  # an unclosed <title> still names the page
            self.title = "".join(self._buffer)


def _clean(value: Any, limit: int) -> str:
    if not isinstance(value, str):
        return ""
    return " ".join(value.translate(_CONTROL).split())[:limit].rstrip()


def _first(*values: Any, limit: int) -> str:
    for value in values:
        text = _clean(value, limit)
        if text:
            return text
    return ""


def _jsonld_items(blocks: list[str]) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    items: list[dict[str, Any]] = []

    def walk(node: Any, depth: int) -> None:
        if depth > 6 or len(items) >= 200:
            return
        if isinstance(node, list):
            for child in node:
                walk(child, depth + 1)
        elif isinstance(node, dict):
            if "@type" in node:
                items.append(node)
            if "@graph" in node:
                walk(node["@graph"], depth + 1)

    for block in blocks:
        try:
            walk(json.loads(block), 0)
        except (ValueError, RecursionError):
            continue
    by_id = {item["@id"]: item for item in items if isinstance(item.get("@id"), str)}
    return items, by_id


def _type_names(item: dict[str, Any]) -> list[str]:
    types = item.get("@type")
    names = types if isinstance(types, list) else [types]
    return [re.split(r"[/:#]", name)[-1].lower() for name in names if isinstance(name, str)]


def _schema_type(item: dict[str, Any]) -> str:
    return next((_SCHEMA_TYPES[n] for n in _type_names(item) if n in _SCHEMA_TYPES), "other")


def _main_item(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The entity the page is about: a book/article/video/podcast first, else any item that is not
    site furniture (WebSite, Organization, BreadcrumbList, …)."""
    typed = [item for item in items if _schema_type(item) not in ("website", "other")]
    others = [item for item in items if not set(_type_names(item)) & _NOT_MAIN_TYPES]
    return (typed or others or [{}])[0]


def _jsonld_text(value: Any, by_id: dict[str, dict[str, Any]], key: str = "name") -> list[str]:
    """Names (or urls) from a JSON-LD value: a string, {"name": …}, {"@id": …} or a list of them."""
    values = value if isinstance(value, list) else [value]
    out = []
    for v in values[:MAX_CREATORS]:
        if isinstance(v, dict):
            v = by_id.get(v.get("@id"), v) if isinstance(v.get("@id"), str) else v
            v = v.get(key) or v.get("@value") or (v.get("contentUrl") if key == "url" else None)
        if isinstance(v, int | float) and not isinstance(v, bool):
            v = str(v)
        if isinstance(v, str) and v.strip():
            out.append(v)
    return out


def _year(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    match = _YEAR.match(value) if isinstance(value, str) else None
    return int(match.group(1)) if match and 1 <= int(match.group(1)) <= 9999 else None


def _http_url(value: str, base_url: str) -> str:
    """`value` resolved against `base_url` and canonicalised, or "" if that is not a valid http(s) URL."""
    try:
        return canonicalize_url(urljoin(base_url, value.strip())) if value.strip() else ""
    except (FetchRefused, ValueError):
        return ""


def parse_html(html: bytes, *, base_url: str, encoding: str | None = None) -> PageMeta:
    """Metadata of an HTML document fetched from `base_url`. Never raises on broken HTML."""
    collector = _Collector()
    try:
        # `<![foo[` makes HTMLParser raise (an unknown marked section); browsers read it as text.
        collector.feed(_MARKED_SECTION.sub("&lt;![", _decode(html, encoding)))
        collector.close()
    except Exception:  # HTMLParser raises AssertionError on some garbage (`<![x[`): keep what was collected
        pass
    collector.finish()
    meta = {key: values[0] for key, values in collector.meta.items()}
    items, by_id = _jsonld_items(collector.jsonld)
    main = _main_item(items)
    site = next((item for item in items if "website" in _type_names(item)), {})
    publisher = _jsonld_text(main.get("publisher"), by_id) or _jsonld_text(site.get("name"), by_id)

    try:
        base = canonicalize_url(base_url)
    except FetchRefused:
        base = base_url
    url = base
    for candidate in (collector.canonical, meta.get("og:url")):
        resolved = _http_url(candidate or "", base)
        if resolved and urlsplit(resolved)[:2] == urlsplit(base)[:2]:
            url = resolved
            break

    og_type = meta.get("og:type", "").strip().lower()
    if og_type:
        kind = _OG_TYPES.get(og_type) or next(
            (k for k in ("video", "podcast") if og_type.startswith(k)), "other"
        )
    else:
        kind = _schema_type(main) if main else "website"

    og_authors = [
        a
        for key in ("book:author", "books:author", "article:author")
        for a in collector.meta.get(key, [])
        if not re.match(r"\s*(https?:)?//", a)
    ]
    creators: list[str] = []
    for name in (
        og_authors
        or _jsonld_text(main.get("author") or main.get("creator"), by_id)
        or collector.meta.get("author", [])
    ):
        cleaned = _clean(name, CREATOR_MAX)
        if cleaned and cleaned not in creators and len(creators) < MAX_CREATORS:
            creators.append(cleaned)

    image_candidates = [
        meta.get("og:image"),
        meta.get("og:image:url"),
        meta.get("og:image:secure_url"),
        meta.get("twitter:image"),
        meta.get("twitter:image:src"),
        *_jsonld_text(main.get("image"), by_id, key="url")[:1],
    ]
    image_url = next((u for u in (_http_url(c, base) for c in image_candidates if c) if u), "")
    date_values = [meta.get(k) for k in ("article:published_time", "book:release_date", "books:release_date")]
    year = next(
        (
            y
            for y in (_year(v) for v in [*date_values, main.get("datePublished"), main.get("copyrightYear")])
            if y
        ),
        None,
    )
    isbn = _first(
        meta.get("books:isbn"), meta.get("book:isbn"), *_jsonld_text(main.get("isbn"), by_id), limit=100
    )

    return PageMeta(
        url=url,
        title=_first(
            meta.get("og:title"),
            meta.get("twitter:title"),
            *_jsonld_text(main.get("name") or main.get("headline"), by_id),
            collector.title,
            limit=TITLE_MAX,
        ),
        description=_first(
            meta.get("og:description"),
            meta.get("twitter:description"),
            *_jsonld_text(main.get("description"), by_id),
            meta.get("description"),
            limit=DESCRIPTION_MAX,
        ),
        site_name=_first(
            meta.get("og:site_name"), *publisher, meta.get("application-name"), limit=SITE_NAME_MAX
        ),
        type=kind,
        image_url=image_url,
        creators=creators,
        year=year,
        isbn=isbn,
    )
