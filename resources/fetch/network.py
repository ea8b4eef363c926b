"""The SSRF-safe network layer on requests-hardened: one pinned, checked connection per hop,
redirects followed here, deadline-bounded body reads, and the fetchers built on it. The rules are in
the package docstring."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
import urllib3
from django.conf import settings
from requests_hardened import Config, HTTPSession
from requests_hardened.ip_filter import InvalidIPAddress
from requests_hardened.ip_filter_adapter import IPFilterAdapter

from .html import PageMeta, parse_html
from .urls import FetchRefused, _http_url, canonicalize_url

USER_AGENT = "KennisCloud-LinkPreview/1.0"
PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9"
IMAGE_ACCEPT = "image/png,image/jpeg,image/gif,image/webp,image/*;q=0.1"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_READ_CHUNK = 64 * 1024
_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


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
