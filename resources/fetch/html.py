"""HTML metadata: `parse_html` and the collectors it reads a page with (never raises on broken
HTML). The precedence and limits per field are in the package docstring."""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from .urls import FetchRefused, _http_url, canonicalize_url

TITLE_MAX, DESCRIPTION_MAX, SITE_NAME_MAX, CREATOR_MAX, MAX_CREATORS = 500, 2000, 200, 200, 20
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([a-zA-Z0-9_.:-]+)", re.IGNORECASE)
_MARKED_SECTION = re.compile(r"<!\[(?!CDATA\[)", re.IGNORECASE)
_YEAR = re.compile(r"\s*(\d{4})(?!\d)")
_CONTROL = dict.fromkeys([*range(0x20), 0x7F], " ")
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
