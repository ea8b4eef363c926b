"""Progress of a catalogue import in bytes: `size_bytes` (the file) and `read_bytes` (how far it was
read), written after every batch with the counts, complete when the import is done, in the API."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from pymarc import Field, Indicators, Leader, Record, Subfield, record_to_xml
from rest_framework.test import APIClient

from resources import imports
from resources.catalogue import importer
from resources.catalogue.importer import ImportReport, catalogue_import_create, catalogue_import_run
from resources.models import CatalogueImport

pytestmark = pytest.mark.django_db

HEADER = "record_id,title,creators,publisher,year,language,isbn,subjects,description,kind\n"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def csv_file(n: int, *, description: str = "") -> bytes:
    rows = "".join(f"P-{i},Titel {i},,,,,,,{description},\n" for i in range(n))
    return (HEADER + rows).encode()


def marc_file(n: int, *, description: str, xml: bool) -> bytes:
    records = []
    for i in range(n):
        record = Record()
        record.leader = Leader("00000nam a2200000 i 4500")
        record.add_field(Field("001", data=f"M-{i}"))
        record.add_field(Field("245", Indicators("0", "0"), [Subfield("a", f"Titel {i}")]))
        record.add_field(Field("520", Indicators(" ", " "), [Subfield("a", description)]))
        records.append(record)
    if not xml:
        return b"".join(r.as_marc() for r in records)
    body = b"".join(record_to_xml(r, namespace=True) for r in records)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n<collection>' + body + b"</collection>\n"


def run_with_progress(library, data: bytes, fmt: str, *, stream=None, size_bytes=None, **kwargs):
    """Runs an import; returns the job and, per batch, (report.read_bytes, the row's read_bytes)."""
    job = catalogue_import_create(
        library=library, fmt=fmt, size_bytes=len(data) if size_bytes is None else size_bytes
    )
    seen: list[tuple[int, int]] = []

    def progress(report: ImportReport) -> None:
        row = CatalogueImport.objects.get(pk=job.pk)
        assert row.processed == report.processed
        seen.append((report.read_bytes, row.read_bytes))

    catalogue_import_run(catalogue_import=job, stream=stream or io.BytesIO(data), progress=progress, **kwargs)
    job.refresh_from_db()
    return job, seen


def test_read_bytes_grow_with_every_batch_and_end_at_the_size(library):
    data = csv_file(7)
    job, seen = run_with_progress(library, data, "csv", batch_size=2)
    assert len(seen) == 4
    assert all(report == row for report, row in seen)  # stored with the batch it belongs to
    read = [report for report, _ in seen]
    assert read == sorted(set(read)), read  # strictly growing
    assert 0 < read[0] and read[-2] < len(data)
    assert (job.status, job.processed, job.size_bytes, job.read_bytes) == ("done", 7, len(data), len(data))


@pytest.mark.parametrize("fmt", ["marc", "marcxml", "csv"])
def test_a_large_file_reports_progress_before_it_is_read_whole(library, fmt):
    """MARC21 and MARCXML are read in blocks of a megabyte: a file of a few shows a few steps."""
    description = "Zonnepanelen en warmtepompen in de buurt. " * 230  # ~9.7 KB per record
    if fmt == "csv":
        data = csv_file(300, description=description)
    else:
        data = marc_file(300, description=description, xml=fmt == "marcxml")
    assert len(data) > 2_800_000
    job, seen = run_with_progress(library, data, fmt, batch_size=20)
    read = [report for report, _ in seen]
    assert read == sorted(read), read
    assert len({r for r in read if 0 < r < len(data)}) >= 2, read
    assert (job.status, job.created, job.read_bytes) == ("done", 300, len(data))


def test_one_update_of_the_import_row_per_batch(library):
    data = csv_file(6)
    job = catalogue_import_create(library=library, fmt="csv", size_bytes=len(data))
    with CaptureQueriesContext(connection) as queries:
        catalogue_import_run(catalogue_import=job, stream=io.BytesIO(data), batch_size=2)
    table = CatalogueImport._meta.db_table
    updates = [q["sql"] for q in queries if q["sql"].startswith(f'UPDATE "{table}"')]
    assert len(updates) == 1 + 3 + 1  # running, three batches, done


def test_a_stream_that_cannot_tell_reports_nothing_until_the_end(library):
    data = csv_file(5)
    read_end, write_end = os.pipe()
    os.write(write_end, data)  # fits in the pipe's buffer
    os.close(write_end)
    with open(read_end, "rb") as pipe:
        job, seen = run_with_progress(library, data, "csv", stream=pipe, batch_size=2)
    assert seen == [(0, 0)] * 3
    assert (job.status, job.read_bytes) == ("done", len(data))


def test_unknown_size_keeps_what_the_stream_told(library):
    data = csv_file(3)
    job, _ = run_with_progress(library, data, "csv", size_bytes=0, batch_size=2)
    assert (job.status, job.size_bytes, job.read_bytes) == ("done", 0, len(data))


def test_a_failed_import_keeps_the_progress_of_its_last_batch(library, monkeypatch):
    real_apply = importer._apply
    calls = []

    def apply(library_id, records):
        calls.append(len(records))
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real_apply(library_id, records)

    monkeypatch.setattr(importer, "_apply", apply)
    data = csv_file(6)
    job = catalogue_import_create(library=library, fmt="csv", size_bytes=len(data))
    with pytest.raises(RuntimeError):
        catalogue_import_run(catalogue_import=job, stream=io.BytesIO(data), batch_size=2)
    job.refresh_from_db()
    assert job.status == "failed"
    assert 0 < job.read_bytes < job.size_bytes == len(data)


def test_the_command_takes_the_size_from_the_file(library, tmp_path, capsys):
    path = tmp_path / "catalogus.csv"
    path.write_bytes(csv_file(5))
    call_command("import_catalogue", library.slug, str(path), "--batch-size", "2")
    job = CatalogueImport.objects.get(library=library)
    size = path.stat().st_size
    assert (job.status, job.size_bytes, job.read_bytes) == ("done", size, size)


def test_the_api_shows_size_and_read_bytes(library, librarian):
    client = APIClient()
    client.force_authenticate(librarian)
    data = csv_file(3)
    upload = SimpleUploadedFile("catalogus.csv", data, content_type="text/csv")
    base = f"/api/v1/libraries/{library.slug}/catalogue/imports/"
    response = client.post(base, {"file": upload}, format="multipart")
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["status"], body["size_bytes"], body["read_bytes"]) == ("pending", len(data), 0)

    imports.catalogue_import_execute(import_id=body["id"])
    detail = client.get(f"{base}{body['id']}/").json()
    assert (detail["status"], detail["size_bytes"], detail["read_bytes"]) == ("done", len(data), len(data))
    listed = client.get(base).json()
    assert [(j["id"], j["size_bytes"], j["read_bytes"]) for j in listed] == [
        (body["id"], len(data), len(data))
    ]
