"""Import a library's catalogue file (MARC21, MARCXML or CSV) now, in this process.

manage.py import_catalogue voorbeeldstad resources/demo/catalogue.csv [--format csv]
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from groups.models import Library
from resources.catalogue.importer import ImportReport, catalogue_import_create, catalogue_import_run
from resources.catalogue.parsers import FORMATS, detect_format
from resources.imports import covers_enqueue
from resources.models import CatalogueImport

SHOWN_ERRORS = 20


class Command(BaseCommand):
    help = "Import a catalogue file into a library's catalogue (idempotent by record id)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("library", help="the library's slug")
        parser.add_argument("file", help="a MARC21 (.mrc), MARCXML (.xml) or CSV (.csv) file")
        parser.add_argument("--format", choices=FORMATS, help="the file's format (default: detected)")
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, **options) -> None:
        library = Library.objects.filter(slug=options["library"]).first()
        if library is None:
            raise CommandError(f"No library with slug {options['library']!r}.")
        path = Path(options["file"])
        try:
            stream = path.open("rb")
        except OSError as exc:
            raise CommandError(f"Cannot open {path}: {exc.strerror}.") from exc
        with stream:
            fmt = options["format"] or detect_format(stream.read(65536), path.name) or ""
            stream.seek(0)
            job = catalogue_import_create(
                library=library, fmt=fmt, filename=path.name, size_bytes=os.fstat(stream.fileno()).st_size
            )
            report = catalogue_import_run(
                catalogue_import=job,
                stream=stream,
                batch_size=options["batch_size"],
                progress=self._progress,
            )
        self._print_report(job, report)
        covers_enqueue(library_id=library.pk)  # the worker fetches the records' covers
        if job.status == CatalogueImport.Status.FAILED:
            raise CommandError(job.failure)

    def _progress(self, report: ImportReport) -> None:
        self.stderr.write(
            f"… {report.processed} read: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.rejected} rejected",
            style_func=None,
        )

    def _print_report(self, job: CatalogueImport, report: ImportReport) -> None:
        where = "line" if job.format == "csv" else "record"
        self.stdout.write(
            f"Import {job.pk} of {job.filename} ({job.format or 'unknown format'}) into "
            f"{job.library.slug}: {job.status}"
        )
        self.stdout.write(
            f"  processed {report.processed}, created {report.created}, updated {report.updated}, "
            f"unchanged {report.unchanged}, rejected {report.rejected}"
        )
        for error in report.errors[:SHOWN_ERRORS]:
            record = f" ({error['record_id']})" if error["record_id"] else ""
            self.stdout.write(f"  {where} {error['position']}{record}: {error['code']} — {error['reason']}")
        if report.rejected > SHOWN_ERRORS:
            self.stdout.write(f"  … and {report.rejected - SHOWN_ERRORS} more rejected records")
