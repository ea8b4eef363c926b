"""Remote catalogue adapters (pluggable), for looking up an ISBN a library has not imported.

`KENNISCLOUD_SRU_ADAPTER` names a class (dotted path) with `lookup_isbn(isbn13) -> dict | None`;
`KENNISCLOUD_SRU_URL` is its endpoint. The built-in `SruMarcXmlAdapter` speaks SRU 1.2/2.0 with
MARCXML records (as most Dutch and international library systems do). Requests go out through the
same SSRF-safe fetcher as link previews. With no adapter configured nothing leaves the server.
"""

from __future__ import annotations

import io
import logging
from typing import Any, Protocol
from urllib.parse import urlencode

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class CatalogueAdapter(Protocol):
    def lookup_isbn(self, isbn13: str) -> dict[str, Any] | None: ...


class SruMarcXmlAdapter:
    """SRU searchRetrieve by ISBN (CQL `dc.identifier`/`bath.isbn`), first MARCXML record."""

    def __init__(self, base_url: str, index: str = "bath.isbn") -> None:
        self.base_url = base_url
        self.index = index

    def request_url(self, isbn13: str) -> str:
        query = urlencode(
            {
                "operation": "searchRetrieve",
                "version": "1.2",
                "recordSchema": "marcxml",
                "maximumRecords": "1",
                "query": f'{self.index}="{isbn13}"',
            }
        )
        return f"{self.base_url}{'&' if '?' in self.base_url else '?'}{query}"

    def fetch(self, url: str) -> bytes:
        from .fetch import fetch_bytes

        return fetch_bytes(url, accept="application/xml, text/xml")

    def lookup_isbn(self, isbn13: str) -> dict[str, Any] | None:
        from .catalogue.parsers import CatalogueFileError, CatalogueRecord, parse_catalogue

        body = self.fetch(self.request_url(isbn13))
        try:
            records = list(parse_catalogue(io.BytesIO(body), "marcxml", require_record_id=False))
        except CatalogueFileError:  # zero records: the catalogue does not know this ISBN
            return None
        for item in records:
            if isinstance(item, CatalogueRecord):
                return {
                    "title": item.title,
                    "creators": item.creators,
                    "publisher": item.publisher,
                    "year": item.year,
                    "language": item.language,
                    "description": item.description,
                    "subjects": item.subjects,
                }
        return None


def adapter() -> CatalogueAdapter | None:
    dotted = settings.KENNISCLOUD["SRU_ADAPTER"]
    url = settings.KENNISCLOUD["SRU_URL"]
    if not dotted and not url:
        return None
    cls = import_string(dotted) if dotted else SruMarcXmlAdapter
    return cls(url)


def lookup_isbn(isbn13: str) -> dict[str, Any] | None:
    """The remote catalogue's description of a book, or None (not configured, not found, or the
    catalogue could not be reached — attaching then asks the member for a title)."""
    found = adapter()
    if found is None:
        return None
    try:
        return found.lookup_isbn(isbn13)
    except Exception:  # a remote catalogue being down must never break attaching a book
        logger.warning("remote catalogue lookup failed for %s", isbn13, exc_info=True)
        return None
