"""Writing a parsed catalogue into a library's `Resource` rows, idempotently by record id.

Records go in batches: per batch one query for the library's rows with those record ids, one for the
rows holding their ISBNs, then `bulk_create` for new records and `bulk_update` for changed ones, in
one transaction. A batch that loses a race on a unique key (another import writing the same ISBN at
the same moment) is rolled back and computed again. Progress is written to the `CatalogueImport` row
after every batch (the counts, and how many bytes of the file were read), so a page can poll it.

ISBN-13 is unique across the platform, so a record whose ISBN another row already holds:
- takes that row over when it is a member's or link preview's resource (no library): the row becomes
  this library's catalogue record, and its attachments keep pointing at it;
- otherwise (another library's record, or an earlier record of this library) is imported without
  an ISBN. docs/catalogue-import.md explains the choice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from groups.models import Library
from resources.models import CatalogueImport, Resource, ResourceImage, Source

from .parsers import CatalogueFileError, CatalogueRecord, RecordError, parse_catalogue

logger = logging.getLogger(__name__)

MAX_ERRORS = 1000
ATTEMPTS = 3
# The catalogue's values on a Resource: what a re-import compares and rewrites.
CATALOGUE_FIELDS = (
    "kind",
    "title",
    "creators",
    "publisher",
    "year",
    "language",
    "description",
    "subjects",
    "isbn13",
    "catalogue_url",
    "image_url",
    "search_document",
)
COMPARED_FIELDS = ("source", *CATALOGUE_FIELDS)
ISBN_AT = 1 + COMPARED_FIELDS.index("isbn13")  # in a row read as (pk, *COMPARED_FIELDS)
IMAGE_AT = 1 + COMPARED_FIELDS.index("image_url")
TAKEOVER_FIELDS = ("library", "record_id", *COMPARED_FIELDS)


@dataclass
class ImportReport:
    processed: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    # {"position", "record_id", "code", "reason"}; the first MAX_ERRORS (`rejected` keeps counting).
    errors: list[dict] = field(default_factory=list)
    # How far the stream was read after the last batch (the parser reads ahead of the records
    # written); 0 when the stream cannot tell.
    read_bytes: int = 0


def search_document_for(*, title: str, creators: list[str], subjects: list[str], description: str) -> str:
    """The text full-text search reads for a resource (see Resource.search_document)."""
    return "\n".join(part for part in (title, *creators, *subjects, description) if part)


def catalogue_import_create(
    *,
    library: Library,
    fmt: str,
    filename: str = "",
    created_by: User | None = None,
    data: bytes | None = None,
    size_bytes: int = 0,
) -> CatalogueImport:
    """A pending import row (for an import run right away, as the management command does).
    `size_bytes` is the file's size (0: unknown), the measure of the import's progress."""
    return CatalogueImport.objects.create(
        library=library,
        created_by=created_by,
        format=fmt,
        filename=filename[:255],
        data=data,
        size_bytes=size_bytes,
    )


def catalogue_import_run(
    *,
    catalogue_import: CatalogueImport,
    stream: BinaryIO,
    batch_size: int = 1000,
    progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Import `stream` (in `catalogue_import.format`) into the import's library.

    A file that cannot be read as a whole (CatalogueFileError) marks the import failed with its
    reason and returns the report — what was imported before stays. Any other exception marks it
    failed and is re-raised. `catalogue_import` is updated in memory as well as in the database.
    Progress in bytes is `stream.tell()` relative to `catalogue_import.size_bytes`, so `stream`
    should start at the file's beginning.
    """
    report = ImportReport()
    batch_size = max(1, batch_size)
    library_id = catalogue_import.library_id
    _save(catalogue_import, report, status=CatalogueImport.Status.RUNNING, started_at=timezone.now())
    batch: list[CatalogueRecord] = []

    def flush() -> None:
        if batch:
            _write_batch(library_id, batch, report)
            batch.clear()
        report.read_bytes = _position(stream, report.read_bytes)
        _save(catalogue_import, report)
        if progress is not None:
            progress(report)

    try:
        for item in parse_catalogue(stream, catalogue_import.format):
            report.processed += 1
            if isinstance(item, RecordError):
                _reject(report, item)
            else:
                batch.append(item)
            if report.processed % batch_size == 0:
                flush()
        if batch or report.processed % batch_size:
            flush()
    except CatalogueFileError as exc:
        _save(
            catalogue_import,
            report,
            status=CatalogueImport.Status.FAILED,
            failure=exc.reason[:500],
            finished_at=timezone.now(),
        )
        return report
    except Exception:
        try:
            _save(
                catalogue_import,
                report,
                status=CatalogueImport.Status.FAILED,
                failure=gettext("The import stopped unexpectedly; the records before it were kept."),
                finished_at=timezone.now(),
            )
        except Exception:  # the database may be what failed: keep the original error
            logger.exception("could not mark catalogue import %s as failed", catalogue_import.pk)
        raise
    # All of it was read, whatever the stream could tell.
    report.read_bytes = catalogue_import.size_bytes or report.read_bytes
    _save(catalogue_import, report, status=CatalogueImport.Status.DONE, finished_at=timezone.now())
    return report


def _position(stream: BinaryIO, last: int) -> int:
    """How far `stream` has been read; `last` when it cannot tell (a pipe, a socket)."""
    try:
        return max(last, stream.tell())
    except (OSError, ValueError, AttributeError):  # io.UnsupportedOperation is both of the first two
        return last


def _reject(report: ImportReport, error: RecordError) -> None:
    report.rejected += 1
    if len(report.errors) < MAX_ERRORS:
        report.errors.append(
            {
                "position": error.position,
                "record_id": error.record_id,
                "code": error.code,
                "reason": error.reason,
            }
        )


def _save(catalogue_import: CatalogueImport, report: ImportReport, **extra) -> None:
    values = {
        "processed": report.processed,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rejected": report.rejected,
        "errors": report.errors,
        "read_bytes": report.read_bytes,
        **extra,
    }
    CatalogueImport.objects.filter(pk=catalogue_import.pk).update(**values)
    for name, value in values.items():
        setattr(catalogue_import, name, list(value) if name == "errors" else value)


def _write_batch(library_id: int, records: list[CatalogueRecord], report: ImportReport) -> None:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with transaction.atomic():
                created, updated, unchanged = _apply(library_id, records)
            break
        except IntegrityError:
            # Another writer took a record id or an ISBN between our read and our write: read again.
            if attempt == ATTEMPTS:
                raise
            logger.info("catalogue batch for library %s raced another writer; retrying", library_id)
    report.created += created
    report.updated += updated
    report.unchanged += unchanged


def _apply(library_id: int, records: list[CatalogueRecord]) -> tuple[int, int, int]:
    """Write one batch (record ids are distinct: the parser rejects duplicates). Returns the counts
    (created, updated, unchanged); a takeover of a member's resource counts as created.

    Rows are read as tuples and written as bare instances (pk and the written fields): building
    model instances for every row read was a good part of a re-import's time."""
    existing = {
        row[0]: row[1:]  # record_id → (pk, source, *CATALOGUE_FIELDS)
        for row in Resource.objects.filter(
            library_id=library_id, record_id__in=[r.record_id for r in records]
        )
        .exclude(record_id="")  # the unique index's condition, so the planner uses it
        .values_list("record_id", "pk", *COMPARED_FIELDS)
    }
    # Who holds the ISBNs these records bring — unless a record's own row already holds its ISBN.
    wanted = {
        r.isbn13
        for r in records
        if r.isbn13 and (r.record_id not in existing or existing[r.record_id][ISBN_AT] != r.isbn13)
    }
    holders = {
        isbn13: (pk, holder_library_id)
        for isbn13, pk, holder_library_id in Resource.objects.filter(isbn13__in=wanted).values_list(
            "isbn13", "pk", "library_id"
        )
    }
    now = timezone.now()
    claimed: set[str] = set()
    to_create: list[Resource] = []
    to_update: list[Resource] = []
    new_cover: list[int] = []  # rows whose image URL changed: fetch the cover again
    taken_over: list[Resource] = []
    unchanged = 0
    for record in records:
        current = existing.get(record.record_id)
        pk = current[0] if current else None
        isbn13 = record.isbn13
        takeover_pk = None
        if isbn13 is not None:
            holder = holders.get(isbn13)
            if isbn13 in claimed:
                isbn13 = None  # an earlier record of this batch has it
            elif holder is not None and holder[0] != pk:
                if pk is None and holder[1] is None:
                    takeover_pk = holder[0]  # a member's or preview's resource: it becomes this record
                else:
                    isbn13 = None  # another library's record, or another record of this library
            if isbn13 is not None:
                claimed.add(isbn13)
        values = _values(record, isbn13)
        if takeover_pk is not None:
            taken_over.append(
                Resource(
                    pk=takeover_pk,
                    library_id=library_id,
                    record_id=record.record_id,
                    source=Source.CATALOGUE,
                    updated_at=now,
                    **values,
                )
            )
        elif current is None:
            to_create.append(
                Resource(library_id=library_id, record_id=record.record_id, source=Source.CATALOGUE, **values)
            )
        elif current[1:] != (Source.CATALOGUE, *(values[name] for name in CATALOGUE_FIELDS)):
            to_update.append(Resource(pk=pk, source=Source.CATALOGUE, updated_at=now, **values))
            if current[IMAGE_AT] != values["image_url"]:
                new_cover.append(pk)
        else:
            unchanged += 1
    # No row takes an ISBN that another row gives up in the same batch (an ISBN held in the database
    # is never taken, except by a takeover of its own row), so the order of these writes is free.
    if to_update:
        Resource.objects.bulk_update(to_update, [*COMPARED_FIELDS, "updated_at"], batch_size=500)
    if new_cover:
        ResourceImage.objects.filter(resource_id__in=new_cover).delete()
        Resource.objects.filter(pk__in=new_cover).update(previewed_at=None)
    if taken_over:
        Resource.objects.bulk_update(taken_over, [*TAKEOVER_FIELDS, "updated_at"], batch_size=500)
    if to_create:
        Resource.objects.bulk_create(to_create, batch_size=1000)
    return len(to_create) + len(taken_over), len(to_update), unchanged


def _values(record: CatalogueRecord, isbn13: str | None) -> dict:
    return {
        "kind": record.kind,
        "title": record.title,
        "creators": record.creators,
        "publisher": record.publisher,
        "year": record.year,
        "language": record.language,
        "description": record.description,
        "subjects": record.subjects,
        "isbn13": isbn13,
        "catalogue_url": record.catalogue_url,
        "image_url": record.image_url,
        "search_document": search_document_for(
            title=record.title,
            creators=record.creators,
            subjects=record.subjects,
            description=record.description,
        ),
    }
