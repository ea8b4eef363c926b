"""Catalogue imports by upload: the file is stored with the import row, then read by a background
task (progress on the row as it goes, so the librarian's page can show it)."""

from __future__ import annotations

import io
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from groups.models import Library

from .catalogue.importer import catalogue_import_run
from .catalogue.parsers import detect_format
from .errors import CatalogueFileInvalid, FileTooLarge
from .models import CatalogueImport

logger = logging.getLogger(__name__)

FORMATS = ("marc", "marcxml", "csv")
MSG_UNKNOWN_FORMAT = _("Upload a MARC21 (.mrc), MARCXML (.xml) or CSV (.csv) file.")
MSG_EMPTY = _("The file is empty.")


@transaction.atomic
def catalogue_import_start(
    *, actor: User, library: Library, data: bytes, filename: str = "", fmt: str = ""
) -> CatalogueImport:
    """Queue an import of `data` into the library's catalogue. Precondition: `library` came from
    access_library_for_catalogue (the actor is its librarian)."""
    limit = settings.KENNISCLOUD["CATALOGUE_UPLOAD_MAX_BYTES"]
    if len(data) > limit:
        raise FileTooLarge()
    if not data.strip():
        raise CatalogueFileInvalid(MSG_EMPTY)
    fmt = fmt or detect_format(data[:4096], filename) or ""
    if fmt not in FORMATS:
        raise CatalogueFileInvalid(MSG_UNKNOWN_FORMAT)
    job = CatalogueImport.objects.create(
        library=library,
        created_by=actor,
        format=fmt,
        filename=filename[:255],
        data=data,
        size_bytes=len(data),
    )
    from .tasks import catalogue_import_process

    transaction.on_commit(lambda: catalogue_import_process.enqueue(job.pk))
    return job


def catalogue_import_execute(*, import_id: int) -> CatalogueImport | None:
    """Run a queued import (the worker's side); the stored file is dropped when it is done."""
    job = CatalogueImport.objects.filter(pk=import_id, status=CatalogueImport.Status.PENDING).first()
    if job is None:
        return None
    data = bytes(job.data or b"")
    try:
        catalogue_import_run(catalogue_import=job, stream=io.BytesIO(data))
    except Exception:
        logger.exception("catalogue import %s failed", import_id)
        CatalogueImport.objects.filter(pk=import_id).update(
            status=CatalogueImport.Status.FAILED,
            failure=str(_("The import stopped unexpectedly; the records before it were kept.")),
            finished_at=timezone.now(),
        )
    CatalogueImport.objects.filter(pk=import_id).update(data=None)
    job.refresh_from_db()
    covers_enqueue(library_id=job.library_id)
    return job


def covers_enqueue(*, library_id: int) -> None:
    """Fetch the imported records' covers in the background (the worker, never the request)."""
    from .tasks import catalogue_covers

    transaction.on_commit(lambda: catalogue_covers.enqueue(library_id))
