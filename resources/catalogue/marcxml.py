"""MARCXML files: cut into `<record>` elements by pattern, each parsed on its own."""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import BinaryIO

from django.utils.translation import gettext

from .marc import _MARC_TAGS, _Marc, _raw_from_marc
from .records import (
    BLOCK_SIZE,
    MAX_RECORD_ID,
    CatalogueFileError,
    RecordError,
    _bad_encoding,
    _empty_reason,
    _line,
    _malformed,
    _Raw,
)

MAX_RECORD_BYTES = 16 << 20

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
