"""Reading a library's catalogue file — MARC21 (ISO 2709), MARCXML or CSV — one record at a time.

`parse_catalogue` streams: it holds one block of the file and one record, never the whole file. Each
record comes out as a `CatalogueRecord`, or as a `RecordError` (position, record id, code, translated
reason) when it is skipped — and reading goes on with the next record. `CatalogueFileError` means
the file as a whole cannot be read (unknown format, empty, CSV without its required columns); it is
raised before any record comes out.

Each format is cut into records *before* a record is decoded, so one damaged record costs only
itself: binary MARC is split on the record terminator (0x1D) rather than trusting each leader's
length, MARCXML is cut at its `<record>` elements and each is parsed on its own, CSV is decoded line
by line. Record error codes: missing_record_id, invalid_record_id, missing_title, invalid_isbn,
bad_encoding, malformed_record, duplicate_record_id. File error codes: unknown_format, empty_file,
missing_columns. The formats and what is taken from each field: docs/catalogue-import.md.

This module is the entry point; the readers are `marc` (MARC21, and the MARC fields MARCXML shares),
`marcxml` and `csvfile`, and `records` turns what they read into records (cleaning, checks).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from django.utils.translation import gettext

from .csvfile import _parse_csv
from .marc import _parse_marc
from .marcxml import _parse_marcxml
from .records import CatalogueFileError, CatalogueRecord, RecordError, _finish

__all__ = [
    "FORMATS",
    "CatalogueFileError",
    "CatalogueRecord",
    "RecordError",
    "detect_format",
    "parse_catalogue",
]

FORMATS = ("marc", "marcxml", "csv")


def parse_catalogue(
    stream: BinaryIO, fmt: str, *, require_record_id: bool = True
) -> Iterator[CatalogueRecord | RecordError]:
    """The records of a catalogue file in file order. `require_record_id=False` is for reading one
    record that is not imported (a remote catalogue's answer): a missing 001 is then no error."""
    if fmt == "marc":
        items = _parse_marc(stream)
    elif fmt == "marcxml":
        items = _parse_marcxml(stream)
    elif fmt == "csv":
        items = _parse_csv(stream)
    else:
        raise CatalogueFileError("unknown_format", _unknown_format_reason())
    seen: set[str] = set()
    for position, item in items:
        if isinstance(item, RecordError):
            # The first occurrence of an id claims it, whether or not it could be read.
            if item.record_id:
                seen.add(item.record_id)
            yield item
            continue
        result = _finish(position, item, require_record_id)
        record_id = result.record_id
        if record_id:
            if record_id in seen:
                yield RecordError(
                    position,
                    record_id,
                    "duplicate_record_id",
                    gettext("The record id %(record_id)s already appeared earlier in this file.")
                    % {"record_id": record_id},
                )
                continue
            seen.add(record_id)
        yield result


def detect_format(head: bytes, filename: str = "") -> str | None:
    """The format of a file from its first bytes (a few KB), else from its name; None if neither says."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        if b"MARC21/slim" in text or b"record" in text or b"collection" in text:
            return "marcxml"
    elif len(text) >= 24 and text[:5].isdigit() and text[12:17].isdigit():
        return "marc"
    else:
        first_line = text.split(b"\n", 1)[0].decode("utf-8", "replace").lower()
        if "record_id" in first_line and ("," in first_line or ";" in first_line):
            return "csv"
    name = filename.lower()
    if name.endswith((".mrc", ".marc", ".iso", ".iso2709", ".dat")):
        return "marc"
    if name.endswith(".xml"):
        return "marcxml"
    if name.endswith(".csv"):
        return "csv"
    return None


def _unknown_format_reason() -> str:
    return gettext("This file is not MARC21, MARCXML or CSV.")
