"""MARC21 (ISO 2709) files, and the MARC fields we read, shared with MARCXML (`_Marc`,
`_raw_from_marc`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from django.utils.translation import gettext
from pymarc import Record

from .records import (
    BLOCK_SIZE,
    CatalogueFileError,
    RecordError,
    _bad_encoding,
    _empty_reason,
    _malformed,
    _Raw,
    _year,
)

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
    if (
        not chunk[:base].isascii()
        or not (24 < base < len(chunk))
        or chunk[base - 1 : base] != b"\x1e"
        or not _directory_fits(chunk, base)
    ):
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


def _directory_fits(chunk: bytes, base: int) -> bool:
    """Every directory entry (tag, length, start) points at a field inside the record that ends
    with a field terminator. pymarc slices without checking, so a bogus length would otherwise
    read past the field (into the next ones) instead of being reported."""
    directory = chunk[24 : base - 1]
    if not directory or len(directory) % 12:
        return False
    data_end = len(chunk) - 1  # the record terminator
    for i in range(0, len(directory), 12):
        length, start = directory[i + 3 : i + 7], directory[i + 7 : i + 12]
        if not (length.isdigit() and start.isdigit()) or int(length) == 0:
            return False
        end = base + int(start) + int(length)
        if end > data_end or chunk[end - 1 : end] != b"\x1e":
            return False
    return True


def _marc_control_001(chunk: bytes) -> str:
    try:
        record = Record(chunk, to_unicode=True, force_utf8=True, utf8_handling="replace")
    except Exception:
        return ""
    found = record.get("001")
    return (found.data or "") if found else ""
