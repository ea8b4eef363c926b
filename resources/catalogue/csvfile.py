"""CSV files: decoded line by line, one damaged record (an unclosed quote, a bad byte) costs only
itself."""

from __future__ import annotations

import csv
import re
from collections import deque
from collections.abc import Iterator
from typing import BinaryIO

from django.utils.translation import gettext

from .records import (
    MAX_RECORD_ID,
    CatalogueFileError,
    RecordError,
    _bad_encoding,
    _line,
    _malformed,
    _Raw,
    _year,
)

MAX_CSV_RECORD_LINES = 100

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


def _record_id_of(line: str, columns: dict[str, int], delimiter: str) -> str:
    """The record id of a record that cannot be read, for the report: its first line read leniently.
    That line may be what broke the reader (a value over the field limit): then there is none."""
    index = columns.get("record_id")
    try:
        first = next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return ""
    return first[index] if index is not None and index < len(first) else ""


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
            record_id = _record_id_of(record[0][1] if record else "", columns, delimiter)
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
