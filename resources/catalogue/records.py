"""A catalogue record, whatever its format: what the readers produce (`_Raw`), how it is cleaned
and checked into a `CatalogueRecord` or a `RecordError` (`_finish`), and the text cleaning and
errors the readers share."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext
from stdnum import isbn as stdnum_isbn
from stdnum.exceptions import ValidationError

KINDS = ("book", "article", "website", "video", "podcast", "other")

# Resource's column sizes (resources/models.py); record ids are never cut — see _finish.
MAX_TITLE = 500
MAX_PUBLISHER = 200
MAX_LANGUAGE = 16
MAX_RECORD_ID = 100
MAX_URL = 2000
# No column limit, but a record is a description, not a document.
MAX_DESCRIPTION = 10_000
MAX_LIST_ITEMS = 50
MAX_LIST_ITEM = 200

BLOCK_SIZE = 1 << 20  # how much of a file the MARC21 and MARCXML readers read at a time


@dataclass
class CatalogueRecord:
    record_id: str
    kind: str
    title: str
    creators: list[str] = field(default_factory=list)
    publisher: str = ""
    year: int | None = None
    language: str = ""
    description: str = ""
    subjects: list[str] = field(default_factory=list)
    isbn13: str | None = None
    catalogue_url: str = ""
    image_url: str = ""


@dataclass
class RecordError:
    position: int  # MARC/MARCXML: 1-based record number; CSV: 1-based line number (header = 1)
    record_id: str
    code: str
    reason: str  # translated, for the librarian


class CatalogueFileError(Exception):
    """The file as a whole cannot be imported; nothing of it was read as records."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


# --- one record, whatever the format -----------------------------------------------------------


@dataclass
class _Raw:
    """A record's values as the file has them, before cleaning and checks."""

    record_id: str
    kind: str
    title: str
    creators: list[str]
    publisher: str
    year: int | None
    language: str
    description: str
    subjects: list[str]
    isbns: list[str]
    catalogue_url: str
    image_url: str


def _finish(position: int, raw: _Raw, require_record_id: bool) -> CatalogueRecord | RecordError:
    record_id = _line(raw.record_id)
    if not record_id and require_record_id:
        return RecordError(position, "", "missing_record_id", gettext("The record has no record id."))
    if len(record_id) > MAX_RECORD_ID:
        # Cutting an identifier could merge two records into one; refuse instead.
        return RecordError(
            position,
            record_id[:MAX_RECORD_ID],
            "invalid_record_id",
            gettext("The record id is longer than %(max)s characters.") % {"max": MAX_RECORD_ID},
        )
    title = _line(raw.title)[:MAX_TITLE]
    if not title:
        return RecordError(position, record_id, "missing_title", gettext("The record has no title."))
    isbn13 = None
    invalid = None
    for value in raw.isbns:
        candidate = _isbn_candidate(_line(value))
        if not candidate:
            continue
        try:
            isbn13 = stdnum_isbn.to_isbn13(stdnum_isbn.validate(candidate))
            break
        except ValidationError:
            invalid = invalid or candidate
    if isbn13 is None and invalid is not None:
        return RecordError(
            position,
            record_id,
            "invalid_isbn",
            gettext("The ISBN %(isbn)s is not valid (wrong length or check digit).") % {"isbn": invalid[:40]},
        )
    return CatalogueRecord(
        record_id=record_id,
        kind=raw.kind if raw.kind in KINDS else "other",
        title=title,
        creators=_line_list(raw.creators),
        publisher=_line(raw.publisher)[:MAX_PUBLISHER],
        year=raw.year,
        language=_language(raw.language),
        description=_text(raw.description)[:MAX_DESCRIPTION],
        subjects=_line_list(raw.subjects),
        isbn13=isbn13,
        catalogue_url=_web_url(raw.catalogue_url),
        image_url=_web_url(raw.image_url),
    )


def _isbn_candidate(value: str) -> str:
    """The ISBN in a value like "90-450-3322-9 (gebonden) : €19,95": the first token that starts with
    a digit, or the whole value when none does (it is then reported as invalid)."""
    for token in value.replace("(", " ").split():
        token = token.strip(".,:;()[]")
        if token[:1].isdigit():
            return token
    return value.strip()


# C0/C1 controls, DEL, and the bidi overrides/isolates that can make text display as something it
# is not; single-line values also lose tabs and line breaks.
_CONTROLS = [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]
_INVISIBLE = [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF]
_TEXT_TABLE = {c: None for c in _CONTROLS + _INVISIBLE} | {0x09: " "}
_LINE_TABLE = _TEXT_TABLE | {0x0A: " ", 0x0D: " "}
_BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")


def _line(value: str) -> str:
    if value.isprintable():  # the common case: no controls, tabs, line breaks or odd spaces
        value = value.strip()
        if "  " in value:
            value = " ".join(value.split())
    else:
        value = " ".join(value.translate(_LINE_TABLE).split())
    return value if value.isascii() else unicodedata.normalize("NFC", value)


def _text(value: str) -> str:
    value = value.replace("\r\n", "\n").translate(_TEXT_TABLE)
    value = _BLANK_LINES.sub("\n\n", "\n".join(" ".join(part.split()) for part in value.split("\n")))
    return (value if value.isascii() else unicodedata.normalize("NFC", value)).strip()


def _line_list(values: Iterable[str]) -> list[str]:
    result: list[str] = []
    for value in values:
        value = _line(value)[:MAX_LIST_ITEM]
        if value and value not in result:
            result.append(value)
            if len(result) == MAX_LIST_ITEMS:
                break
    return result


def _web_url(value: str) -> str:
    """Only http(s) addresses are kept: anything else (javascript:, data:, a bare word) is dropped."""
    value = value.strip()
    if len(value) > MAX_URL or not value.lower().startswith(("http://", "https://")):
        return ""
    if " " in value or not value.isprintable():  # any other space or control is not printable
        return ""
    return value


# MARC's ISO 639-2 codes → ISO 639-1 for the common languages, so a CSV's "nl" and a MARC file's
# "dut" mean the same to a re-import and to filters. Other codes are kept as given.
_LANGUAGES = {
    "dut": "nl",
    "nld": "nl",
    "eng": "en",
    "ger": "de",
    "deu": "de",
    "fre": "fr",
    "fra": "fr",
    "fry": "fy",
    "spa": "es",
    "ita": "it",
    "por": "pt",
    "tur": "tr",
    "ara": "ar",
    "pol": "pl",
    "rus": "ru",
    "ukr": "uk",
    "chi": "zh",
    "zho": "zh",
}


def _language(value: str) -> str:
    value = _line(value).lower()
    return _LANGUAGES.get(value, value)[:MAX_LANGUAGE]


_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")


def _year(value: str) -> int | None:
    for match in _YEAR.finditer(value):
        year = int(match.group(1))
        if 1000 <= year <= 2100:
            return year
    return None


def _empty_reason() -> str:
    return gettext("The file contains no catalogue records.")


def _malformed(position: int, reason: str, record_id: str = "") -> RecordError:
    return RecordError(position, record_id, "malformed_record", reason)


def _bad_encoding(position: int, record_id: str) -> RecordError:
    reason = gettext("The record contains characters that are not valid in the file's encoding (UTF-8).")
    return RecordError(position, _line(record_id)[:MAX_RECORD_ID], "bad_encoding", reason)
