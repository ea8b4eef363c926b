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
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from django.utils.translation import gettext
from pymarc import Record
from stdnum import isbn as stdnum_isbn
from stdnum.exceptions import ValidationError

FORMATS = ("marc", "marcxml", "csv")
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

BLOCK_SIZE = 1 << 20
MAX_CSV_RECORD_LINES = 100
MAX_RECORD_BYTES = 16 << 20


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


def _unknown_format_reason() -> str:
    return gettext("This file is not MARC21, MARCXML or CSV.")


def _empty_reason() -> str:
    return gettext("The file contains no catalogue records.")


# --- MARC: the fields we read, shared by MARC21 and MARCXML --------------------------------------

_ISBD_END = re.compile(r"[\s/:;,=]+$")
_NAME_END = re.compile(r"[\s/:;,=]+$")
_INITIAL_END = re.compile(r"(?:^|[\s.])\w\.$")
_NO_PUBLISHER = {"s.n.", "[s.n.]", "s.n", "[s.n]", "[z.n.]", "z.n."}


# The fields _raw_from_marc reads (MARCXML records keep only these).
_MARC_TAGS = frozenset(
    ("001", "008", "020", "041", "100", "110", "245", "260", "264", "520", "650", "651", "653", "700", "856")
)


def _strip_isbd(value: str) -> str:
    value = _ISBD_END.sub("", value.strip())
    if value.endswith(".") and not value.endswith(".."):
        value = value[:-1].rstrip()
    return _ISBD_END.sub("", value)


def _strip_name(value: str) -> str:
    value = _NAME_END.sub("", value.strip())
    # "Jansen, J." keeps the full stop of the initial; "Jansen, Jan." loses its ISBD one.
    if value.endswith(".") and not value.endswith("..") and not _INITIAL_END.search(value):
        value = value[:-1]
    return value


def _kind_from_leader(leader: str) -> str:
    record_type, level = leader[6:7], leader[7:8]
    if record_type in ("a", "t"):
        if level in ("a", "b", "s"):  # component part, serial component part, serial
            return "article"
        if level == "i":  # integrating resource: an updating website or loose-leaf
            return "website"
        return "book"
    if record_type == "g":
        return "video"
    if record_type in ("i", "j"):  # sound recordings
        return "podcast"
    return "other"


# A MARC record as we read it, whether from ISO 2709 (through pymarc) or MARCXML: the leader, the
# first value of each control field, and per data field tag its (second indicator, subfields).
_Subfields = list[tuple[str, str]]


@dataclass
class _Marc:
    leader: str = " " * 24
    control: dict[str, str] = field(default_factory=dict)
    data: dict[str, list[tuple[str, _Subfields]]] = field(default_factory=dict)

    def add(self, tag: str, ind2: str, subfields: _Subfields) -> None:
        self.data.setdefault(tag, []).append((ind2, subfields))

    def values(self, tags: tuple[str, ...], code: str) -> list[str]:
        return [v for tag in tags for _, subs in self.data.get(tag, ()) for c, v in subs if c == code]


def _marc_from_pymarc(record: Record) -> _Marc:
    marc = _Marc(leader=str(record.leader))
    for fld in record.fields:
        if fld.tag not in _MARC_TAGS:
            continue
        if fld.control_field:
            marc.control.setdefault(fld.tag, fld.data or "")
        else:
            marc.add(fld.tag, fld.indicator2, [(sub.code, sub.value) for sub in fld.subfields])
    return marc


def _raw_from_marc(marc: _Marc) -> _Raw:
    title = ""
    if found := marc.data.get("245"):
        parts = [_strip_isbd(v) for c, v in found[0][1] if c in ("a", "b")]
        title = ": ".join(p for p in parts if p)

    # Publication statement: 264 with second indicator 1 (publication) first, then any 264, then 260.
    imprints = sorted(marc.data.get("264", ()), key=lambda f: f[0] != "1") + marc.data.get("260", [])
    publisher = ""
    year = None
    for _, subs in imprints:
        for code, value in subs:
            if code == "b" and not publisher:
                value = _strip_isbd(value).strip("[] ")
                if value and value.lower() not in _NO_PUBLISHER:
                    publisher = value
            elif code == "c" and year is None:
                year = _year(value)
    fixed = marc.control.get("008", "")
    if year is None and fixed[7:11].isdigit():
        year = _year(fixed[7:11])
    language = fixed[35:38] if fixed[35:38].isalpha() else ""
    if language in ("", "und", "zxx"):
        language = next((v.strip()[:3] for v in marc.values(("041",), "a") if v.strip()), "")

    catalogue_url = image_url = ""
    for _, subs in marc.data.get("856", ()):
        label = " ".join(v for c, v in subs if c in ("3", "q", "y")).lower()
        for url in (v for c, v in subs if c == "u"):
            if any(w in label for w in ("image", "cover", "omslag", "voorkant")):
                image_url = image_url or url
            else:
                catalogue_url = catalogue_url or url

    return _Raw(
        record_id=marc.control.get("001", ""),
        kind=_kind_from_leader(marc.leader),
        title=title,
        creators=[_strip_name(v) for v in marc.values(("100", "110", "700"), "a")],
        publisher=publisher,
        year=year,
        language=language,
        description="\n\n".join(marc.values(("520",), "a")),
        subjects=[_strip_isbd(v) for v in marc.values(("650", "651", "653"), "a")],
        isbns=marc.values(("020",), "a"),
        catalogue_url=catalogue_url,
        image_url=image_url,
    )


def _malformed(position: int, reason: str, record_id: str = "") -> RecordError:
    return RecordError(position, record_id, "malformed_record", reason)


def _bad_encoding(position: int, record_id: str) -> RecordError:
    reason = gettext("The record contains characters that are not valid in the file's encoding (UTF-8).")
    return RecordError(position, _line(record_id)[:MAX_RECORD_ID], "bad_encoding", reason)


# --- MARC21 (ISO 2709) ---------------------------------------------------------------------------

_TERMINATOR = b"\x1d"


def _marc_chunks(stream: BinaryIO) -> Iterator[bytes]:
    """The file cut at record terminators; the last piece may lack one (a truncated file)."""
    buffer = b""
    while block := stream.read(BLOCK_SIZE):
        buffer += block
        pieces = buffer.split(_TERMINATOR)
        buffer = pieces.pop()
        for piece in pieces:
            yield piece + _TERMINATOR
    if buffer.strip():
        yield buffer


def _parse_marc(stream: BinaryIO) -> Iterator[tuple[int, _Raw | RecordError]]:
    position = 0
    first = True
    for chunk in _marc_chunks(stream):
        chunk = chunk.lstrip(b"\r\n\t ")
        while chunk:
            if first:
                if not (chunk[:5].isdigit() and chunk[12:17].isdigit()):
                    reason = gettext("This is not a MARC21 (ISO 2709) file.")
                    raise CatalogueFileError("unknown_format", reason)
                first = False
            position += 1
            # A record whose terminator is missing (or damaged) runs into the next one: when its
            # leader's length ends where another leader starts, read both.
            declared = int(chunk[:5]) if chunk[:5].isdigit() else 0
            rest = b""
            for end in (declared - 1, declared):
                if 24 < end < len(chunk) - 24 and _looks_like_leader(chunk[end:]):
                    chunk, rest = chunk[:end], chunk[end:]
                    break
            yield position, _decode_marc(position, chunk)
            chunk = rest
    if first:
        raise CatalogueFileError("empty_file", _empty_reason())


def _looks_like_leader(data: bytes) -> bool:
    return data[:5].isdigit() and data[12:17].isdigit() and data[20:24].isdigit()


def _decode_marc(position: int, chunk: bytes) -> _Raw | RecordError:
    if len(chunk) < 26 or not chunk[:5].isdigit() or not chunk[12:17].isdigit():
        return _malformed(position, gettext("The record's leader is damaged."))
    if not chunk.endswith(_TERMINATOR):
        return _malformed(position, gettext("The record is cut off (no end-of-record mark)."))
    if int(chunk[:5]) != len(chunk):
        return _malformed(
            position,
            gettext("The record length in the leader (%(declared)s) does not match the record (%(actual)s).")
            % {"declared": int(chunk[:5]), "actual": len(chunk)},
        )
    base = int(chunk[12:17])
    if not chunk[:base].isascii() or not (24 < base < len(chunk)) or chunk[base - 1 : base] != b"\x1e":
        return _malformed(position, gettext("The record's directory is damaged."))
    # pymarc decodes by leader/09 ("a" = UTF-8, else MARC-8). Records marked MARC-8 whose data is
    # valid non-ASCII UTF-8 are UTF-8 in fact (MARC-8 diacritics never form valid UTF-8).
    force_utf8 = False
    if chunk[9:10] != b"a" and not chunk[base:].isascii():
        try:
            chunk[base:].decode("utf-8")
            force_utf8 = True
        except UnicodeDecodeError:
            pass
    try:
        record = Record(chunk, to_unicode=True, force_utf8=force_utf8, hide_utf8_warnings=True)
    except UnicodeDecodeError:
        return _bad_encoding(position, _marc_control_001(chunk))
    except Exception:  # pymarc's RecordDirectoryInvalid, NoFieldsFound, ValueError on bad numbers…
        return _malformed(position, gettext("The record's structure is damaged."))
    return _raw_from_marc(_marc_from_pymarc(record))


def _marc_control_001(chunk: bytes) -> str:
    try:
        record = Record(chunk, to_unicode=True, force_utf8=True, utf8_handling="replace")
    except Exception:
        return ""
    found = record.get("001")
    return (found.data or "") if found else ""


# --- MARCXML -------------------------------------------------------------------------------------

_XML_START = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?record(?=[\s>/])")
_XML_END = re.compile(rb"</(?:[A-Za-z_][\w.\-]*:)?record\s*>")
_XML_CONTENT = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?(?:leader|controlfield|datafield)[\s>/]")
_XML_NS = re.compile(rb"""\sxmlns(?::([\w.\-]+))?\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")


def _marcxml_chunks(stream: BinaryIO) -> Iterator[tuple[str, bytes]]:
    """("record", bytes) for each MARC `<record>` element and ("between", bytes) for what lies
    between them (to learn namespace prefixes); ("broken", bytes) for a record with no end tag.

    Cut by pattern, not by an XML parser, so that bytes one parser would stop at (an unescaped "&",
    a latin-1 byte in a UTF-8 file) stay inside one record. Records wrapped in another `record`
    element (SRU's `<srw:record>`) are found too: a record is the innermost one.
    """
    buffer = b""
    pos = 0
    eof = False
    while True:
        start = _XML_START.search(buffer, pos)
        end = _XML_END.search(buffer, start.end()) if start else None
        if start is None or end is None:
            if not eof and (start is None or len(buffer) - start.start() <= MAX_RECORD_BYTES):
                block = stream.read(BLOCK_SIZE)
                if not block:
                    eof = True
                # Keep an unfinished record, or a tail where a start tag may be cut in two.
                keep = start.start() if start else max(pos, len(buffer) - 512)
                yield "between", buffer[pos:keep]
                buffer, pos = buffer[keep:] + block, 0
                continue
            if start is None:
                yield "between", buffer[pos:]
                return
            following = _XML_START.search(buffer, start.end())
            stop = following.start() if following else len(buffer)
            yield "broken", buffer[start.start() : stop]
            pos = stop
            if following is None and eof:
                return
            continue
        inner = _XML_START.search(buffer, start.end(), end.start())
        if inner is not None:
            if _XML_CONTENT.search(buffer, start.end(), inner.start()):
                yield "broken", buffer[start.start() : inner.start()]  # its end tag is missing
            else:
                yield "between", buffer[pos : inner.start()]  # a wrapper such as <srw:record>
            pos = inner.start()
            continue
        yield "between", buffer[pos : start.start()]
        yield "record", buffer[start.start() : end.end()]
        pos = end.end()


def _parse_marcxml(stream: BinaryIO) -> Iterator[tuple[int, _Raw | RecordError]]:
    namespaces: dict[bytes, bytes] = {}
    wrapper: str | None = None
    encoding = None
    seen_any = False
    looks_like_xml = False
    position = 0
    for kind, data in _marcxml_chunks(stream):
        if kind == "between":
            if not seen_any and data.strip():
                seen_any = True
                looks_like_xml = data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")
                if match := _XML_ENCODING.match(data.lstrip(b"\xef\xbb\xbf")):
                    encoding = _codec(match.group(1).decode("ascii"))
            for match in _XML_NS.finditer(data):
                namespaces[match.group(1) or b""] = match.group(2) or match.group(3) or b""
                wrapper = None
            continue
        if wrapper is None:
            wrapper = _wrapper(namespaces)
        seen_any = True
        position += 1
        if kind == "broken":
            reason = gettext("The record's XML is incomplete (no closing </record>).")
            yield position, _malformed(position, reason, _xml_record_id(data, encoding or "utf-8"))
            continue
        yield position, _decode_marcxml(position, data, wrapper, encoding or "utf-8")
    if position == 0:
        if seen_any and not looks_like_xml:
            raise CatalogueFileError("unknown_format", gettext("This is not a MARCXML file."))
        raise CatalogueFileError("empty_file", _empty_reason())


def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _decode_marcxml(position: int, data: bytes, wrapper: str, encoding: str) -> _Raw | RecordError:
    """One `<record>` element's bytes, parsed on their own inside `wrapper` (an element declaring the
    file's namespace prefixes)."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return _bad_encoding(position, _xml_record_id(data, encoding))
    try:
        root = ET.fromstring(f"{wrapper}{text}</kc-wrapper>")
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else 0
        reason = gettext("The record's XML is not well-formed (line %(line)s of the record).") % {
            "line": line
        }
        return _malformed(position, reason, _xml_record_id(data, encoding))
    marc = _Marc()
    for child in root[0]:
        element = child.tag.rpartition("}")[2] if isinstance(child.tag, str) else ""
        if element == "leader":
            marc.leader = (child.text or "").ljust(24)[:24]
            continue
        tag = child.get("tag", "")
        if tag not in _MARC_TAGS:
            continue
        if element == "controlfield":
            marc.control.setdefault(tag, child.text or "")
        elif element == "datafield":
            marc.add(
                tag, child.get("ind2", " ")[:1], [(sub.get("code", ""), sub.text or "") for sub in child]
            )
    return _raw_from_marc(marc)


_XML_001 = re.compile(rb"""tag\s*=\s*["']001["'][^>]*>([^<]*)<""")


def _xml_record_id(data: bytes, encoding: str) -> str:
    """The 001 of a record that cannot be parsed, found by pattern, for the error report."""
    match = _XML_001.search(data)
    return _line(match.group(1).decode(encoding, "replace"))[:MAX_RECORD_ID] if match else ""


def _wrapper(namespaces: dict[bytes, bytes]) -> str:
    declarations = "".join(
        f' xmlns{":" + p.decode("ascii", "replace") if p else ""}="{_xml_attr(u)}"'
        for p, u in namespaces.items()
    )
    return f"<kc-wrapper{declarations}>"


def _xml_attr(value: bytes) -> str:
    return value.decode("utf-8", "replace").replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


# --- CSV -----------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "record_id",
    "title",
    "creators",
    "publisher",
    "year",
    "language",
    "isbn",
    "subjects",
    "description",
    "kind",
    "catalogue_url",
    "image_url",
)
CSV_REQUIRED = ("record_id", "title")
_CSV_KINDS = {
    "book": "book",
    "boek": "book",
    "article": "article",
    "artikel": "article",
    "tijdschrift": "article",
    "website": "website",
    "webpagina": "website",
    "video": "video",
    "film": "video",
    "dvd": "video",
    "podcast": "podcast",
    "audio": "podcast",
    "luisterboek": "podcast",
    "other": "other",
    "overig": "other",
}


class _Lines:
    """The file's lines for the CSV reader, decoded one by one, and the lines of the record being
    read. An undecodable line is read with replacement characters and remembered, so that only its
    record is rejected. A record may span at most MAX_CSV_RECORD_LINES lines: past that the reader
    is told the file ended (it then returns what it has), so a quote that is never closed cannot
    swallow the rest of the file — the record is rejected and the lines after its first are read
    again (`push_back`)."""

    def __init__(self, stream: BinaryIO) -> None:
        self.source = iter(stream)
        self.number = 0
        self.bad: set[int] = set()
        self.pending: deque[tuple[int, str]] = deque()
        self.record: list[tuple[int, str]] = []
        self.cut = False

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if len(self.record) >= MAX_CSV_RECORD_LINES:
            self.cut = True
            raise StopIteration  # for this record only: the csv reader asks again for the next one
        if self.pending:
            number, line = self.pending.popleft()
        else:
            raw = next(self.source)
            self.number += 1
            number = self.number
            if number == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                self.bad.add(number)
                line = raw.decode("utf-8", "replace")
            line = line.replace("\x00", "")
        self.record.append((number, line))
        return line

    def start_record(self) -> None:
        self.record = []
        self.cut = False

    def push_back(self, lines: list[tuple[int, str]]) -> None:
        self.pending.extendleft(reversed(lines))


def _sniff_delimiter(header: str) -> str:
    outside = re.sub(r'"[^"]*"', "", header)
    return ";" if outside.count(";") > outside.count(",") else ","


def _parse_csv(stream: BinaryIO) -> Iterator[tuple[int, _Raw | RecordError]]:
    lines = _Lines(stream)
    header_line = next((line for line in lines if line.strip()), None)
    if header_line is None:
        raise CatalogueFileError("empty_file", gettext("The file is empty."))
    delimiter = _sniff_delimiter(header_line)
    header = next(csv.reader([header_line], delimiter=delimiter))
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        columns.setdefault(name.strip().lower(), index)
    missing = [name for name in CSV_REQUIRED if name not in columns]
    if missing:
        raise CatalogueFileError(
            "missing_columns",
            gettext(
                "The CSV file has no column %(columns)s. The first line must name the columns; "
                "record_id and title are required."
            )
            % {"columns": ", ".join(missing)},
        )

    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    while True:
        lines.start_record()
        try:
            row = next(reader)
            error = None
        except StopIteration:
            return
        except csv.Error as exc:
            row, error = [], exc
        record = lines.record
        start = record[0][0] if record else lines.number
        if error is not None:
            # strict: an unclosed quote at the end of the file (or of MAX_CSV_RECORD_LINES) is an
            # error, not a value that silently holds the rest of the file.
            if lines.cut or "unexpected end of data" in str(error):
                reason = gettext("A quoted value that starts here is never closed.")
            else:
                reason = gettext("The line cannot be read as CSV (%(error)s).") % {"error": error}
            record_id = ""
            if record and "record_id" in columns:
                first = next(csv.reader([record[0][1]], delimiter=delimiter), [])
                record_id = first[columns["record_id"]] if columns["record_id"] < len(first) else ""
            yield start, _malformed(start, reason, _line(record_id)[:MAX_RECORD_ID])
            lines.push_back(record[1:])
            continue
        if not any(cell.strip() for cell in row):
            continue

        def cell(name: str, row: list[str] = row) -> str:
            index = columns.get(name)
            return row[index].strip() if index is not None and index < len(row) else ""

        if lines.bad and any(number in lines.bad for number, _ in record):
            yield start, _bad_encoding(start, cell("record_id"))
            continue
        kind = cell("kind").lower()
        yield (
            start,
            _Raw(
                record_id=cell("record_id"),
                kind=_CSV_KINDS.get(kind, "other") if kind else "book",
                title=cell("title"),
                creators=cell("creators").split("|"),
                publisher=cell("publisher"),
                year=_year(cell("year")),
                language=cell("language"),
                description=cell("description"),
                subjects=cell("subjects").split("|"),
                isbns=[cell("isbn")],
                catalogue_url=cell("catalogue_url"),
                image_url=cell("image_url"),
            ),
        )
