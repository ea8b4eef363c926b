"""resources.fetch against a real local HTTP server: SSRF refusals, limits, metadata extraction.

The server listens on 127.0.0.1 and its port is the only one in PREVIEW_TEST_LOOPBACK_PORTS. Refusals
are proven to happen before any connection: a trap socket on another loopback port must accept
nothing, and every other outgoing connect() is recorded (and, off loopback, never really made).
"""

from __future__ import annotations

import gzip
import json
import socket
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from resources.fetch import (
    FetchRefused,
    PageMeta,
    canonicalize_url,
    fetch_bytes,
    fetch_image,
    fetch_page,
    parse_html,
)

MB = 1024 * 1024


def _png() -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


PNG = _png()

OG_PAGE = b"""<!doctype html><html><head><meta charset="utf-8">
<title>Title tag loses</title>
<meta name="description" content="meta description loses">
<meta property="og:title" content="  OpenGraph
    title &amp; more ">
<meta property="og:description" content="OG description">
<meta property="og:site_name" content="Voorbeeldsite">
<meta property="og:type" content="article">
<meta property="og:image" content="/img/ok.png">
<meta name="twitter:title" content="Twitter title loses">
<meta name="twitter:image" content="https://cdn.example.org/loses.jpg">
<meta property="article:published_time" content="2021-03-04T05:06:07Z">
<meta name="author" content="Ada Lovelace">
</head><body><p>Hallo</p></body></html>"""

TWITTER_PAGE = b"""<html><head><title>Title tag loses</title>
<meta name="twitter:card" content="summary_large_image">
<meta name="twitter:title" content="Twitter title">
<meta name="twitter:description" content="Twitter description">
<meta name="twitter:image" content="https://cdn.example.org/card.jpg">
</head><body></body></html>"""

JSONLD = {
    "@context": "https://schema.org",
    "@graph": [
        {"@type": "WebSite", "name": "Boekenwinkel"},
        {
            "@type": ["Book", "Product"],
            "name": "Jip en Janneke",
            "description": "Een  klassieker.",
            "author": [{"@type": "Person", "name": "Annie M.G. Schmidt"}, {"@id": "#fiep"}],
            "isbn": "978-90-451-1234-5",
            "datePublished": "1957-01-01",
            "image": {"@type": "ImageObject", "url": "covers/jip.jpg"},
        },
        {"@type": "Person", "@id": "#fiep", "name": "Fiep Westendorp"},
    ],
}
JSONLD_PAGE = (
    b"<html><head><title>Title tag loses</title>"
    b'<script type="application/ld+json">{not json at all</script>'
    b'<script type="application/ld+json">' + json.dumps(JSONLD).encode() + b"</script>"
    b"</head><body></body></html>"
)

TITLE_PAGE = b"<html><head><title>\n   Only   a\ttitle\n</title></head><body>hi</body></html>"

# No charset in HTTP, a <meta> naming a charset that does not exist, stray bytes, an unknown marked
# section (HTMLParser raises on it), tags never closed, a javascript: image.
BROKEN_PAGE = (
    b"\x00\x81garbage\xff<html><head><meta charset='no-such-charset'><title>Kapot \xe9 pagina</title>"
    b"<![foo[ nonsense ]]><meta property='og:description' content='still found'>"
    b"<meta property='og:image' content='javascript:alert(1)'><div><p><span <a href=\"x"
)

LATIN1_PAGE = "<html><head><meta charset='utf-8'><title>Café Brontë</title></head></html>".encode("latin-1")


@dataclass
class ServerState:
    port: int = 0
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    huge_done: threading.Event = field(default_factory=threading.Event)
    huge_sent_all: bool = False

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: ServerState

    def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        pass  # clients hanging up mid-body is what several tests do on purpose


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", content_type: str = "text/html", **headers: str) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        state = self.server.state
        state.requests.append((self.path, dict(self.headers)))
        parts = urlsplit(self.path)
        path = parts.path
        static = {
            "/og": (OG_PAGE, "text/html; charset=utf-8"),
            "/twitter": (TWITTER_PAGE, "text/html"),
            "/jsonld": (JSONLD_PAGE, "application/xhtml+xml"),
            "/title": (TITLE_PAGE, "text/html"),
            "/broken": (BROKEN_PAGE, "text/html"),
            "/latin1": (LATIN1_PAGE, "text/html; charset=ISO-8859-1"),
            "/pdf": (b"%PDF-1.4\n", "application/pdf"),
            "/img/ok.png": (PNG, "image/png"),
            "/img/logo.svg": (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"),
            "/img/fake.png": (b"<html>not a png</html>", "image/png"),
        }
        if path in static:
            body, content_type = static[path]
            self._send(200, body, content_type)
        elif path == "/gzip":
            self._send(200, gzip.compress(OG_PAGE), "text/html", Content_Encoding="gzip")
        elif path.startswith("/redirect/"):
            left = int(path.rsplit("/", 1)[1])
            self._send(302, Location=f"/redirect/{left - 1}" if left > 1 else "/og")
        elif path == "/to":
            self._send(302, Location=parse_qs(parts.query)["url"][0])
        elif path.startswith("/status/"):
            self._send(int(path.rsplit("/", 1)[1]), b"<title>error page</title>")
        elif path == "/slow":
            state.release.wait(5)  # longer than the test's timeout; teardown releases it
            self._send(200, OG_PAGE)
        elif path == "/drip":
            self._send(200, b"<html><head><title>drip")
            for _ in range(400):  # a byte every 50 ms: each read is quick, the whole body is not
                if state.release.wait(0.05):
                    return
                self.wfile.write(b".")
        elif path == "/huge":
            self._stream(b"<html><head><title>Huge</title></head><body>", b"a" * 65536, 64 * MB, "text/html")
        elif path == "/img/huge.png":
            self._stream(PNG, b"\x00" * 65536, 3 * MB, "image/png")
        elif path == "/img/declared-huge.png":
            self._send(200, PNG, "image/png", Content_Length=str(2 * MB))
        elif path == "/img/bomb.png":
            self._send(200, gzip.compress(PNG + b"\x00" * 20 * MB), "image/png", Content_Encoding="gzip")
        else:
            self._send(404, b"not found")

    def _stream(self, head: bytes, filler: bytes, total: int, content_type: str) -> None:
        state = self.server.state
        try:
            self._send(200, head, content_type)
            for _ in range(total // len(filler)):
                self.wfile.write(filler)
            if self.path == "/huge":
                state.huge_sent_all = True
        finally:
            if self.path == "/huge":
                state.huge_done.set()


@pytest.fixture(scope="module")
def server() -> Iterator[ServerState]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.state = ServerState(port=httpd.server_address[1])
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.state
    httpd.state.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture(autouse=True)
def preview_settings(settings, server: ServerState) -> None:
    settings.KENNISCLOUD = {
        **settings.KENNISCLOUD,
        "PREVIEW_TIMEOUT": 5,
        "PREVIEW_MAX_BYTES": MB,
        "PREVIEW_MAX_REDIRECTS": 3,
        "PREVIEW_TEST_LOOPBACK_PORTS": [server.port],
    }
    server.requests.clear()


class Trap:
    """A listening socket on a port that is NOT allowed: any connection to it is a failure."""

    def __init__(self, family: socket.AddressFamily, host: str) -> None:
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.sock.setblocking(False)
        self.port: int = self.sock.getsockname()[1]

    def accepted(self) -> int:
        count = 0
        while True:
            try:
                conn, _ = self.sock.accept()  # the kernel has completed any handshake already
            except BlockingIOError:
                return count
            conn.close()
            count += 1


@pytest.fixture
def trap() -> Iterator[Trap]:
    t = Trap(socket.AF_INET, "127.0.0.1")
    yield t
    t.sock.close()


@pytest.fixture
def trap6() -> Iterator[Trap | None]:
    try:
        t = Trap(socket.AF_INET6, "::1")
    except OSError:
        yield None  # no IPv6 loopback here: the connect guard still proves nothing was attempted
        return
    yield t
    t.sock.close()


@dataclass
class ConnectGuard:
    attempts: list[tuple[str, int]]


@pytest.fixture
def guard(monkeypatch, server: ServerState) -> ConnectGuard:
    """Records every connect() except to the test server. Loopback connects really happen (so the trap
    sees them); anything else is failed at once instead of reaching out to the network."""
    recorded = ConnectGuard(attempts=[])
    real_connect = socket.socket.connect

    def connect(sock: socket.socket, address) -> None:  # type: ignore[no-untyped-def]
        host, port = address[0], address[1]
        if (host, port) == ("127.0.0.1", server.port):
            return real_connect(sock, address)
        recorded.attempts.append((host, port))
        if host in ("127.0.0.1", "::1"):
            return real_connect(sock, address)
        raise ConnectionRefusedError(f"test guard: no connection to {host}")

    monkeypatch.setattr(socket.socket, "connect", connect)
    return recorded


def _refused(fetch: Callable[[str], object], url: str) -> str:
    with pytest.raises(FetchRefused) as info:
        fetch(url)
    return info.value.code


# --- SSRF -------------------------------------------------------------------------------------------


def test_the_trap_does_see_connections(trap: Trap) -> None:
    socket.create_connection(("127.0.0.1", trap.port)).close()
    assert trap.accepted() == 1


@pytest.mark.parametrize(
    "template",
    [
        "http://127.0.0.1:{trap}/",
        "http://localhost:{trap}/",
        "http://[::1]:{trap6}/",
        "http://[::ffff:127.0.0.1]:{trap}/",
        "http://2130706433:{trap}/",
        "http://0x7f000001:{trap}/",
        "http://0177.0.0.1:{trap}/",
        "http://127.1:{trap}/",
        "http://0.0.0.0:{trap}/",
        "https://127.0.0.1:{trap}/",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://[fd00::1]/",
        "http://[::ffff:8.8.8.8]/",  # IPv4-mapped literals are refused even for public addresses
        "http://[fe80::1]/",
        "http://224.0.0.1/",
    ],
)
def test_internal_addresses_are_refused_without_connecting(
    template: str, trap: Trap, trap6: Trap | None, guard: ConnectGuard
) -> None:
    url = template.format(trap=trap.port, trap6=trap6.port if trap6 else 9)
    assert _refused(fetch_page, url) == "blocked_address"
    assert _refused(fetch_image, url) == "blocked_address"
    assert trap.accepted() == 0
    assert trap6 is None or trap6.accepted() == 0
    assert guard.attempts == []


def test_loopback_on_an_allowed_port_is_still_refused_when_not_exactly_127_0_0_1(
    server: ServerState, settings, guard: ConnectGuard
) -> None:
    # [::1] and 127.0.0.2 are loopback too, but only 127.0.0.1 on a listed port is the test exception.
    settings.KENNISCLOUD = {**settings.KENNISCLOUD, "PREVIEW_TEST_LOOPBACK_PORTS": [server.port, 9]}
    assert _refused(fetch_page, f"http://127.0.0.2:{server.port}/og") == "blocked_address"
    assert _refused(fetch_page, "http://[::1]:9/og") == "blocked_address"
    assert guard.attempts == []


def _stub_resolution(monkeypatch, answers: dict[str, list[str]]) -> list[str]:
    """Resolves the given names to successive addresses (the last one repeats); records each lookup."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host not in answers:
            return real(host, port, *args, **kwargs)
        address = answers[host][min(lookups.count(host), len(answers[host]) - 1)]
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


def test_a_name_resolving_to_loopback_is_refused(monkeypatch, trap: Trap, guard: ConnectGuard) -> None:
    lookups = _stub_resolution(monkeypatch, {"intranet.example": ["127.0.0.1"]})
    assert _refused(fetch_page, f"http://intranet.example:{trap.port}/") == "blocked_address"
    assert lookups == ["intranet.example"]
    assert trap.accepted() == 0
    assert guard.attempts == []


def test_a_name_on_an_allowed_port_resolving_to_other_loopback_is_refused(
    monkeypatch, server: ServerState, guard: ConnectGuard
) -> None:
    # On a listed port the hardened filter lets loopback through; our check of the pinned address
    # narrows it to 127.0.0.1.
    _stub_resolution(monkeypatch, {"other-loopback.example": ["127.0.0.2"]})
    assert _refused(fetch_page, f"http://other-loopback.example:{server.port}/og") == "blocked_address"
    assert guard.attempts == [] and server.requests == []


def test_the_connection_is_pinned_to_the_single_resolution(monkeypatch, server: ServerState) -> None:
    # A rebinding name: harmless at the check, internal afterwards. Only the first answer is used.
    lookups = _stub_resolution(monkeypatch, {"rebind.example": ["127.0.0.1", "10.0.0.1"]})
    meta = fetch_page(f"http://rebind.example:{server.port}/og")
    assert meta.title == "OpenGraph title & more"
    assert lookups == ["rebind.example"]
    assert server.requests[0][1]["Host"] == f"rebind.example:{server.port}"


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://example.com/file.txt", "bad_scheme"),
        ("javascript:alert(1)", "bad_scheme"),
        ("file:///etc/passwd", "bad_scheme"),
        ("data:text/html,<title>x</title>", "bad_scheme"),
        ("http://user@{server}/og", "bad_url"),
        ("http://user:pw@{server}/og", "bad_url"),
        ("not a url", "bad_url"),
    ],
)
def test_bad_urls_are_refused_before_any_request(
    url: str, code: str, server: ServerState, guard: ConnectGuard
) -> None:
    url = url.format(server=f"127.0.0.1:{server.port}")
    assert _refused(fetch_page, url) == code
    assert _refused(fetch_image, url) == code
    assert server.requests == [] and guard.attempts == []


@pytest.mark.parametrize(
    "target",
    ["http://127.0.0.1:{trap}/", "http://localhost:{trap}/", "http://169.254.169.254/latest/meta-data/"],
)
def test_a_redirect_to_an_internal_address_is_refused(
    target: str, server: ServerState, trap: Trap, guard: ConnectGuard
) -> None:
    start = server.url("/to?" + urlencode({"url": target.format(trap=trap.port)}))
    assert _refused(fetch_page, start) == "blocked_address"
    assert len(server.requests) == 1
    assert trap.accepted() == 0
    assert guard.attempts == []


def test_a_redirect_to_another_scheme_is_refused(server: ServerState) -> None:
    start = server.url("/to?" + urlencode({"url": "file:///etc/passwd"}))
    assert _refused(fetch_page, start) == "bad_scheme"


# --- redirects, status, limits -----------------------------------------------------------------------


@pytest.mark.parametrize("redirects", [2, 3])
def test_redirects_up_to_the_limit_are_followed(redirects: int, server: ServerState) -> None:
    meta = fetch_page(server.url(f"/redirect/{redirects}?utm_source=mail"))
    assert meta.url == server.url("/og")
    assert meta.title == "OpenGraph title & more"
    assert len(server.requests) == redirects + 1


def test_too_many_redirects_are_refused(server: ServerState, settings) -> None:
    assert _refused(fetch_page, server.url("/redirect/4")) == "too_many_redirects"
    assert len(server.requests) == 4  # the fifth hop is never requested
    server.requests.clear()
    settings.KENNISCLOUD = {**settings.KENNISCLOUD, "PREVIEW_MAX_REDIRECTS": 1}
    assert _refused(fetch_page, server.url("/redirect/2")) == "too_many_redirects"


@pytest.mark.parametrize("status", [404, 500])
def test_error_statuses_are_http_errors(status: int, server: ServerState) -> None:
    assert _refused(fetch_page, server.url(f"/status/{status}")) == "http_error"
    assert _refused(fetch_image, server.url(f"/status/{status}")) == "http_error"


def test_a_closed_port_is_a_connection_failure(server: ServerState, settings, trap: Trap) -> None:
    port = trap.port
    trap.sock.close()  # nothing listens there any more
    settings.KENNISCLOUD = {**settings.KENNISCLOUD, "PREVIEW_TEST_LOOPBACK_PORTS": [port]}
    assert _refused(fetch_page, f"http://127.0.0.1:{port}/") == "connection_failed"


@pytest.mark.parametrize("path", ["/pdf", "/img/ok.png"])
def test_non_html_is_refused(path: str, server: ServerState) -> None:
    assert _refused(fetch_page, server.url(path)) == "not_html"


def test_a_slow_server_times_out(server: ServerState, settings) -> None:
    settings.KENNISCLOUD = {**settings.KENNISCLOUD, "PREVIEW_TIMEOUT": 1}
    assert _refused(fetch_page, server.url("/slow")) == "timeout"


def test_a_slow_drip_body_hits_the_total_deadline(server: ServerState, settings) -> None:
    # Every byte arrives well within the read timeout; only the call's deadline can stop this.
    settings.KENNISCLOUD = {**settings.KENNISCLOUD, "PREVIEW_TIMEOUT": 1}
    assert _refused(fetch_page, server.url("/drip")) == "timeout"


def test_a_huge_page_is_parsed_from_its_head_without_reading_it_all(server: ServerState) -> None:
    server.huge_done.clear()
    meta = fetch_page(server.url("/huge"))
    assert meta.title == "Huge"
    assert server.huge_done.wait(10)
    assert server.huge_sent_all is False  # the server could not write its 64 MB: we hung up


@pytest.mark.parametrize("path", ["/img/huge.png", "/img/declared-huge.png", "/img/bomb.png"])
def test_an_image_over_the_cap_is_too_large(path: str, server: ServerState) -> None:
    assert _refused(fetch_image, server.url(path)) == "too_large"


# --- pages -----------------------------------------------------------------------------------------


def test_opengraph_wins_and_relative_image_is_resolved(server: ServerState) -> None:
    meta = fetch_page(server.url("/og"))
    assert meta == PageMeta(
        url=server.url("/og"),
        title="OpenGraph title & more",
        description="OG description",
        site_name="Voorbeeldsite",
        type="article",
        image_url=server.url("/img/ok.png"),
        creators=["Ada Lovelace"],
        year=2021,
        isbn="",
    )
    headers = server.requests[0][1]
    assert headers["User-Agent"] == "KennisCloud-LinkPreview/1.0"
    assert headers["Accept"].startswith("text/html")
    assert "Cookie" not in headers


def test_a_gzip_encoded_page_is_decoded(server: ServerState) -> None:
    assert fetch_page(server.url("/gzip")).title == "OpenGraph title & more"


def test_twitter_card_only(server: ServerState) -> None:
    meta = fetch_page(server.url("/twitter"))
    assert (meta.title, meta.description, meta.image_url, meta.type) == (
        "Twitter title",
        "Twitter description",
        "https://cdn.example.org/card.jpg",
        "website",
    )


def test_jsonld_book_only(server: ServerState) -> None:
    meta = fetch_page(server.url("/jsonld"))
    assert meta == PageMeta(
        url=server.url("/jsonld"),
        title="Jip en Janneke",
        description="Een klassieker.",
        site_name="Boekenwinkel",
        type="book",
        image_url=server.url("/covers/jip.jpg"),
        creators=["Annie M.G. Schmidt", "Fiep Westendorp"],
        year=1957,
        isbn="978-90-451-1234-5",
    )


def test_title_only(server: ServerState) -> None:
    meta = fetch_page(server.url("/title"))
    assert meta == PageMeta(url=server.url("/title"), title="Only a title")


def test_broken_html_does_not_raise(server: ServerState) -> None:
    meta = fetch_page(server.url("/broken"))
    assert meta.title == "Kapot \ufffd pagina"
    assert meta.description == "still found"  # collected after the marked section HTMLParser chokes on
    assert meta.image_url == ""


def test_latin1_page_declared_by_http_charset(server: ServerState) -> None:
    # The HTTP charset wins over the page's (wrong) <meta charset="utf-8">.
    assert fetch_page(server.url("/latin1")).title == "Café Brontë"


# --- images ----------------------------------------------------------------------------------------


def test_fetch_image_returns_png(server: ServerState) -> None:
    assert fetch_image(server.url("/img/ok.png")) == (PNG, "image/png")
    assert server.requests[0][1]["Accept"].startswith("image/")


def test_fetch_bytes_returns_any_body_under_the_same_rules(server: ServerState, trap: Trap) -> None:
    assert fetch_bytes(server.url("/pdf"), accept="application/pdf") == b"%PDF-1.4\n"
    assert server.requests[0][1]["Accept"] == "application/pdf"
    assert _refused(fetch_bytes, server.url("/img/huge.png")) == "too_large"
    assert _refused(fetch_bytes, f"http://127.0.0.1:{trap.port}/") == "blocked_address"
    assert trap.accepted() == 0


@pytest.mark.parametrize("path", ["/img/logo.svg", "/img/fake.png", "/og"])
def test_fetch_image_refuses_what_is_not_a_raster_image(path: str, server: ServerState) -> None:
    assert _refused(fetch_image, server.url(path)) == "not_image"


# --- parse_html (pure) -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (b'<meta property="og:type" content="video.movie">', "video"),
        (b'<meta property="og:type" content="books.book">', "book"),
        (b'<meta property="og:type" content="profile">', "other"),
        (b'<script type="application/ld+json">{"@type": "PodcastEpisode", "name": "x"}</script>', "podcast"),
        (b'<script type="application/ld+json">[{"@type": "NewsArticle"}]</script>', "article"),
        (b"<title>x</title>", "website"),
    ],
)
def test_type_mapping(html: bytes, expected: str) -> None:
    assert parse_html(html, base_url="https://example.com/").type == expected


def test_caps_canonical_link_and_charset_sniffing() -> None:
    html = (
        "<meta charset='windows-1252'><link rel='canonical' href='/canonical?utm_campaign=x'>"
        f"<title>{'t' * 600}</title><meta name='description' content='{'d' * 2500}'>"
        f"<meta property='og:site_name' content='{'s' * 300}'><meta property='og:url' content='https://evil.test/'>"
        "<meta name='author' content='Brontë'>"
    ).encode("cp1252")
    meta = parse_html(html, base_url="https://Example.com/page#top")
    assert (len(meta.title), len(meta.description), len(meta.site_name)) == (500, 2000, 200)
    assert meta.url == "https://example.com/canonical"
    assert meta.creators == ["Brontë"]


def test_a_canonical_link_to_another_site_is_ignored() -> None:
    html = b"<link rel=canonical href='https://evil.test/'><title>x</title>"
    assert parse_html(html, base_url="https://example.com/a").url == "https://example.com/a"


@pytest.mark.parametrize(
    "html",
    [
        b"",
        b"<",
        b"<![",
        b"<!--",
        b"<title>",
        b"\xff\xfe<\x00t\x00",
        b'<meta charset="hex"><title>x</title>',
        b'<meta charset="rot13"><title>x</title>',
        b'<meta charset="utf-16"><title>x</title>',
        b'<script type="application/ld+json">' + b"[" * 100_000 + b"</script>",
        b'<script type="application/ld+json">{"@graph": {"@graph": 3}, "@type": 5, "author": {}}</script>',
        b"<meta property=og:image content='http://[::1'>",
    ],
)
def test_parse_html_survives_garbage(html: bytes) -> None:
    assert isinstance(parse_html(html, base_url="https://example.com/"), PageMeta)


@hypothesis_settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["<title>", "</title>", "<meta ", "property='og:", "content='", "<![", "<script ", "'>", "\x00"]
        )
        | st.text(max_size=8),
        max_size=30,
    ),
    st.binary(max_size=64),
)
def test_parse_html_never_raises(fragments: list[str], tail: bytes) -> None:
    parse_html("".join(fragments).encode("utf-8", "surrogatepass") + tail, base_url="https://example.com/")


# --- canonicalize_url --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Example.COM", "http://example.com/"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com/a#section", "https://example.com/a"),
        (
            "https://example.com/p?utm_source=x&id=7&fbclid=abc&b=2&gclid=1&UTM_Medium=y&a=",
            "https://example.com/p?id=7&b=2&a=",
        ),
        ("https://example.com/?utm_source=x", "https://example.com/"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://bücher.example/ä b", "https://xn--bcher-kva.example/%C3%A4%20b"),
        ("https://example.com./x", "https://example.com/x"),
        ("  https://example.com/x\n", "https://example.com/x"),
        ("http://2130706433/", "http://127.0.0.1/"),
        ("http://0x7f000001/", "http://127.0.0.1/"),
        ("http://0177.1/", "http://127.0.0.1/"),
        ("http://[::FFFF:127.0.0.1]:8000/", "http://[::ffff:7f00:1]:8000/"),
    ],
)
def test_canonicalize_url(url: str, expected: str) -> None:
    assert canonicalize_url(url) == expected


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("", "bad_url"),
        ("example.com/page", "bad_url"),
        ("http://a@b/", "bad_url"),
        ("http://example.com\\@127.0.0.1/", "bad_url"),
        ("http:///path", "bad_url"),
        ("http://exa mple.com/", "bad_url"),
        ("http://exa\tmple.com/", "bad_url"),
        ("http://[::1/", "bad_url"),
        ("http://example.com:99999/", "bad_url"),
        ("http://example.com:0/", "bad_url"),
        ("http://1.2.3.256/", "bad_url"),
        ("http://%31%32%37.0.0.1/", "bad_url"),
        ("http://" + "a" * 5000 + ".com/", "bad_url"),
        ("ftp://example.com/", "bad_scheme"),
        ("javascript:alert(1)", "bad_scheme"),
        ("mailto:a@example.com", "bad_scheme"),
    ],
)
def test_canonicalize_url_refuses(url: str, code: str) -> None:
    with pytest.raises(FetchRefused) as info:
        canonicalize_url(url)
    assert info.value.code == code
