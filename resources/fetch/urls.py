"""URLs: the canonical http(s) form of a URL, hosts parsed like a browser does (WHATWG), and
`FetchRefused`, the one error of the package. The rules are in the package docstring."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote_plus, urljoin, urlsplit

import idna
from requests.utils import requote_uri

MAX_URL_LENGTH = 4096
_DROPPED_PARAMS = frozenset({"fbclid", "gclid"})
_ASCII_HOST = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))


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


def _http_url(value: str, base_url: str) -> str:
    """`value` resolved against `base_url` and canonicalised, or "" if that is not a valid http(s) URL."""
    try:
        return canonicalize_url(urljoin(base_url, value.strip())) if value.strip() else ""
    except (FetchRefused, ValueError):
        return ""
