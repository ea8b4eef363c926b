"""The catalogue import: MARC21, MARCXML and CSV into a library's Resource rows — exact counts,
positions and reasons for bad records, idempotent re-imports, ISBN ownership, the command."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError
from django.utils import translation
from pymarc import Field, Indicators, Leader, Record, Subfield

from resources.catalogue import importer
from resources.catalogue.importer import ImportReport, catalogue_import_run, search_document_for
from resources.catalogue.parsers import (
    CatalogueFileError,
    CatalogueRecord,
    RecordError,
    detect_format,
    parse_catalogue,
)
from resources.models import CatalogueImport, Resource
from tests.conftest import make_library, make_user

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo"
HEADER = (
    "record_id,title,creators,publisher,year,language,isbn,"
    "subjects,description,kind,catalogue_url,image_url\n"
)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    # Reasons are translated; assert on the English msgids whatever the catalogue holds.
    with translation.override("en"):
        yield


def run_import(library, data: bytes, fmt: str, **kwargs) -> tuple[CatalogueImport, ImportReport]:
    job = CatalogueImport.objects.create(library=library, format=fmt, filename=f"test.{fmt}")
    report = catalogue_import_run(catalogue_import=job, stream=io.BytesIO(data), **kwargs)
    job.refresh_from_db()
    return job, report


def codes(report: ImportReport) -> list[tuple[int, str, str]]:
    return [(e["position"], e["record_id"], e["code"]) for e in report.errors]


def counts(report: ImportReport) -> tuple[int, int, int, int, int]:
    return report.processed, report.created, report.updated, report.unchanged, report.rejected


def marc_record(
    record_id: str | None, title: str | None, *, leader: str = "00000nam a2200000 i 4500", **more
):
    record = Record()
    record.leader = Leader(leader)
    if record_id is not None:
        record.add_field(Field("001", data=record_id))
    for isbn in more.get("isbns", []):
        record.add_field(Field("020", Indicators(" ", " "), [Subfield("a", isbn)]))
    if title is not None:
        record.add_field(Field("245", Indicators("0", "0"), [Subfield("a", title)]))
    return record


def marc_bytes(record: Record, *, utf8: bool = True) -> bytes:
    data = record.as_marc()  # always writes UTF-8 and sets leader/09 to "a"
    return data if utf8 else data[:9] + b" " + data[10:]


# --- CSV -----------------------------------------------------------------------------------------


def test_csv_with_broken_records_keeps_the_good_ones(library):
    job, report = run_import(library, (FIXTURES / "broken.csv").read_bytes(), "csv")

    assert counts(report) == (8, 3, 0, 0, 5)
    assert codes(report) == [
        (3, "T-2", "invalid_isbn"),
        (4, "T-3", "missing_title"),
        (5, "", "missing_record_id"),
        (6, "T-5", "bad_encoding"),
        (9, "T-1", "duplicate_record_id"),
    ]
    assert report.errors[0]["reason"] == "The ISBN 9789400000019 is not valid (wrong length or check digit)."
    assert "UTF-8" in report.errors[3]["reason"]
    rows = {r.record_id: r for r in Resource.objects.filter(library=library)}
    assert sorted(rows) == ["T-1", "T-6", "T-8"]
    t1 = rows["T-1"]
    assert (t1.title, t1.creators, t1.publisher, t1.year, t1.language) == (
        "Zon op je dak: alles over zonnepanelen",
        ["Bakker, Sanne", "Vries, Anna de"],
        "Uitgeverij Polderlicht",
        2021,
        "nl",
    )
    assert (t1.isbn13, t1.kind, t1.source) == ("9789400000018", "book", "catalogue")
    assert t1.subjects == ["zonnepanelen", "zonne-energie"]
    assert t1.catalogue_url == "https://voorbeeldstad.bibliotheek.example/catalogus/T-1"
    assert t1.search_document == (
        "Zon op je dak: alles over zonnepanelen\nBakker, Sanne\nVries, Anna de\nzonnepanelen\nzonne-energie\n"
        "Een praktische gids over zonnepanelen."
    )
    # A quoted title over two lines; an ISBN-10 stored as ISBN-13.
    assert (rows["T-6"].title, rows["T-6"].isbn13, rows["T-6"].kind) == (
        "Een titel over twee regels",
        "9789045033228",
        "video",
    )
    # Upper-case values normalised, empty list items dropped, a javascript: URL not kept.
    t8 = rows["T-8"]
    assert (t8.language, t8.kind, t8.subjects, t8.catalogue_url) == (
        "nl",
        "podcast",
        ["phishing", "online veiligheid"],
        "",
    )
    assert job.status == "done"
    assert (job.processed, job.created, job.rejected) == (8, 3, 5)
    assert job.errors == report.errors
    assert job.started_at is not None and job.finished_at >= job.started_at


def test_csv_semicolons_bom_and_unknown_columns():
    items = list(parse_catalogue(io.BytesIO((FIXTURES / "semicolon.csv").read_bytes()), "csv"))
    assert [(r.record_id, r.title, r.year, r.kind) for r in items] == [
        ("S-1", "Mantelzorg: zorgen zonder jezelf te vergeten", 2022, "book"),
        ("S-2", "Dementie; de eerste signalen", 2020, "book"),
    ]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"record_id,titel\nA,Iets\n", "missing_columns"),
        (b"", "empty_file"),
        (b"\n  \n", "empty_file"),
    ],
)
def test_csv_that_cannot_be_read_fails_the_whole_import(library, data, code):
    with pytest.raises(CatalogueFileError) as raised:
        list(parse_catalogue(io.BytesIO(data), "csv"))
    assert raised.value.code == code

    job, report = run_import(library, data, "csv")
    assert job.status == "failed"
    assert job.failure == raised.value.reason
    assert counts(report) == (0, 0, 0, 0, 0)
    assert not Resource.objects.filter(library=library).exists()


def test_missing_columns_are_named(library):
    job, _ = run_import(library, b"record_id;auteur\nA;B\n", "csv")
    assert job.failure.startswith("The CSV file has no column title.")


def test_csv_unclosed_quote_costs_only_its_record():
    rows = "".join(f"R-{n},Titel {n}\n" for n in range(150))
    data = (
        f'record_id,title\nA-1,Een\nA-2,"Nooit gesloten\n{rows}'
        'A-3,"Zonnig" en warm\nA-4,"open tot het eind\nA-5,Vijf\n'
    )
    items = list(parse_catalogue(io.BytesIO(data.encode()), "csv"))
    errors = [(i.position, i.record_id, i.code) for i in items if isinstance(i, RecordError)]
    assert errors == [
        (3, "A-2", "malformed_record"),
        (154, "A-3", "malformed_record"),
        (155, "A-4", "malformed_record"),
    ]
    assert [i.record_id for i in items if isinstance(i, CatalogueRecord)] == [
        "A-1",
        *(f"R-{n}" for n in range(150)),
        "A-5",
    ]
    assert items[1].reason == "A quoted value that starts here is never closed."


def test_errors_are_capped_but_counted(library):
    data = HEADER + "".join(f"X-{n},,,,,,,,,,,\n" for n in range(1005))
    job, report = run_import(library, data.encode(), "csv")
    assert counts(report) == (1005, 0, 0, 0, 1005)
    assert len(report.errors) == importer.MAX_ERRORS == len(job.errors)
    assert report.errors[-1]["position"] == 1001
    assert job.rejected == 1005


# --- MARCXML -------------------------------------------------------------------------------------


def test_marcxml_with_broken_records_keeps_the_good_ones(library):
    _, report = run_import(library, (FIXTURES / "broken.xml").read_bytes(), "marcxml")

    assert counts(report) == (10, 3, 0, 0, 7)
    assert codes(report) == [
        (2, "R-2", "invalid_isbn"),
        (3, "R-3", "missing_title"),
        (4, "", "missing_record_id"),
        (5, "R-5", "malformed_record"),  # an unescaped "&"
        (6, "R-6", "bad_encoding"),  # latin-1 bytes in a UTF-8 file
        (7, "R-7", "malformed_record"),  # no </record>
        (9, "R-1", "duplicate_record_id"),
    ]
    assert "9789400000026" in report.errors[0]["reason"]
    rows = {r.record_id: r for r in Resource.objects.filter(library=library)}
    assert sorted(rows) == ["R-1", "R-10", "R-8"]
    r1 = rows["R-1"]
    assert r1.title == "Van het gas af: je huis aardgasvrij maken"
    assert r1.creators == ["Visser, Els", "Smit, P."]  # ISBD punctuation off, an initial's full stop kept
    assert (r1.publisher, r1.year, r1.language, r1.isbn13) == (
        "Uitgeverij Windkracht",
        2021,
        "nl",
        "9789400000025",
    )
    assert r1.subjects == ["warmtepompen", "Nederland", "aardgasvrij wonen"]
    assert r1.description == "Stap voor stap naar een huis zonder aardgas."
    assert r1.catalogue_url == "https://voorbeeldstad.bibliotheek.example/catalogus/R-1"
    assert r1.image_url == "https://covers.example/R-1.jpg"
    r8 = rows["R-8"]  # a video; 260 instead of 264; "[s.n.]" is no publisher
    assert (r8.kind, r8.title, r8.publisher, r8.year, r8.language) == (
        "video",
        "Phishing herkennen",
        "",
        2018,
        "en",
    )
    r10 = rows["R-10"]  # a sound recording; 008 language "und", so 041
    assert (r10.kind, r10.language, r10.creators, r10.year) == (
        "podcast",
        "fy",
        ["Lokale Omroep Voorbeeldstad"],
        None,
    )


def test_marcxml_inside_an_sru_response_with_prefixes():
    items = list(
        parse_catalogue(
            io.BytesIO((FIXTURES / "sru-response.xml").read_bytes()), "marcxml", require_record_id=False
        )
    )
    assert items == [
        CatalogueRecord(record_id="", kind="book", title="Langer thuis wonen", isbn13="9789400000032"),
    ]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (
            b'<?xml version="1.0"?><collection xmlns="http://www.loc.gov/MARC21/slim"></collection>',
            "empty_file",
        ),
        (b"PK\x03\x04 not xml at all", "unknown_format"),
    ],
)
def test_marcxml_without_records(data, code):
    with pytest.raises(CatalogueFileError) as raised:
        list(parse_catalogue(io.BytesIO(data), "marcxml"))
    assert raised.value.code == code


def test_marcxml_sample_matches_the_csv(library):
    """The two demo files describe the same records: importing the MARCXML after the CSV changes
    nothing — both formats read the same values."""
    run_import(library, (DEMO / "catalogue.csv").read_bytes(), "csv")
    _, report = run_import(library, (DEMO / "catalogue-sample.xml").read_bytes(), "marcxml")
    assert counts(report) == (20, 0, 0, 20, 0)


# --- MARC21 (ISO 2709) ---------------------------------------------------------------------------


def test_marc21_malformed_record_between_good_ones(library):
    good1 = marc_bytes(marc_record("M-1", "Warm zonder gas.", isbns=["9789400000049"]))
    bad_length = b"abcde" + marc_bytes(marc_record("M-2", "Kapotte leader."))[5:]
    good3 = marc_bytes(marc_record("M-3", "Café de Wereld."))
    # Leader says UTF-8 but the title has a latin-1 byte (same length, so the framing is intact).
    not_utf8 = marc_bytes(marc_record("M-4", "Caf\u00e9 Noir.")).replace("é".encode(), b"\xe9!")
    # The terminator of M-5 is lost: it runs into M-6, which is still read.
    runs_on = marc_bytes(marc_record("M-5", "Zonder eindteken."))[:-1]
    good6 = marc_bytes(marc_record("M-6", "Na de kapotte.", leader="00000ngm a2200000 i 4500"))
    # Marked MARC-8 (leader/09 blank) but UTF-8 in fact: read as UTF-8.
    mislabelled = marc_bytes(marc_record("M-7", "Zorg voor één ander."), utf8=False)
    no_title = marc_bytes(marc_record("M-8", None))
    data = b"".join([good1, bad_length, good3, not_utf8, runs_on, good6, mislabelled, no_title])

    _, report = run_import(library, data, "marc")

    assert counts(report) == (8, 4, 0, 0, 4)
    assert codes(report) == [
        (2, "", "malformed_record"),
        (4, "M-4", "bad_encoding"),
        (5, "", "malformed_record"),
        (8, "M-8", "missing_title"),
    ]
    titles = dict(Resource.objects.filter(library=library).values_list("record_id", "title"))
    assert titles == {
        "M-1": "Warm zonder gas",
        "M-3": "Café de Wereld",
        "M-6": "Na de kapotte",
        "M-7": "Zorg voor één ander",
    }
    assert Resource.objects.get(library=library, record_id="M-6").kind == "video"


def test_marc21_not_a_marc_file(library):
    job, _ = run_import(library, b"record_id,title\nA,B\n", "marc")
    assert (job.status, job.failure) == ("failed", "This is not a MARC21 (ISO 2709) file.")


@pytest.mark.parametrize(
    ("leader", "kind"),
    [
        ("00000nam a2200000 i 4500", "book"),
        ("00000nas a2200000 i 4500", "article"),
        ("00000nab a2200000 i 4500", "article"),
        ("00000ngm a2200000 i 4500", "video"),
        ("00000nim a2200000 i 4500", "podcast"),
        ("00000njm a2200000 i 4500", "podcast"),
        ("00000nem a2200000 i 4500", "other"),
    ],
)
def test_kind_from_the_leader(leader, kind):
    data = marc_bytes(marc_record("K-1", "Iets.", leader=leader))
    (item,) = parse_catalogue(io.BytesIO(data), "marc")
    assert item.kind == kind


# --- idempotence and updates ---------------------------------------------------------------------


def test_reimport_changes_nothing_and_a_changed_record_is_updated(library):
    data = (DEMO / "catalogue.csv").read_bytes()
    _, first = run_import(library, data, "csv", batch_size=100)
    assert counts(first) == (333, 333, 0, 0, 0)
    before = {r.pk: r.updated_at for r in Resource.objects.filter(library=library)}

    _, again = run_import(library, data, "csv", batch_size=100)
    assert counts(again) == (333, 0, 0, 333, 0)
    assert {r.pk: r.updated_at for r in Resource.objects.filter(library=library)} == before

    lines = data.decode().split("\n")
    record_id = lines[5].split(",", 1)[0]
    lines[5] = lines[5].replace(",nl,", ",en,", 1)
    _, changed = run_import(library, "\n".join(lines).encode(), "csv", batch_size=100)
    assert counts(changed) == (333, 0, 1, 332, 0)
    assert Resource.objects.filter(library=library).count() == 333
    resource = Resource.objects.get(library=library, record_id=record_id)
    assert resource.language == "en"
    assert resource.updated_at > before[resource.pk]


def test_progress_after_every_batch(library):
    data = HEADER + "".join(f"P-{n},Titel {n},,,,,,,,,,\n" for n in range(5)) + ",Zonder id,,,,,,,,,,\n"
    seen: list[tuple[int, int]] = []

    def progress(report: ImportReport) -> None:
        row = CatalogueImport.objects.get(library=library)
        assert (row.status, row.processed) == ("running", report.processed)
        seen.append((report.processed, report.created))

    run_import(library, data.encode(), "csv", batch_size=2, progress=progress)
    assert seen == [(2, 2), (4, 4), (6, 5)]


def test_same_record_ids_in_two_libraries_are_two_records(library):
    other = make_library("Bibliotheek Elders")
    data = (HEADER + "A-1,Zonnepanelen,,,,,,,,,,\n").encode()
    run_import(library, data, "csv")
    _, report = run_import(other, data, "csv")
    assert report.created == 1
    assert Resource.objects.filter(record_id="A-1").count() == 2


def test_unexpected_error_marks_the_import_failed_and_keeps_earlier_batches(library, monkeypatch):
    real_apply = importer._apply
    calls = []

    def apply(library_id, records):
        calls.append(len(records))
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real_apply(library_id, records)

    monkeypatch.setattr(importer, "_apply", apply)
    data = HEADER + "".join(f"U-{n},Titel {n},,,,,,,,,,\n" for n in range(5))
    job = CatalogueImport.objects.create(library=library, format="csv")
    with pytest.raises(RuntimeError):
        catalogue_import_run(catalogue_import=job, stream=io.BytesIO(data.encode()), batch_size=2)
    job.refresh_from_db()
    assert (job.status, job.created) == ("failed", 2)
    assert job.failure == "The import stopped unexpectedly; the records before it were kept."
    assert Resource.objects.filter(library=library).count() == 2


@pytest.mark.parametrize(("failures", "status"), [(1, "done"), (importer.ATTEMPTS, "failed")])
def test_a_batch_that_loses_a_race_is_computed_again(library, monkeypatch, failures, status):
    """A unique key taken by another writer between our read and our write (simulated here):
    the batch is rolled back and computed again, a few times at most."""
    real_apply = importer._apply
    calls = []

    def apply(library_id, records):
        calls.append(len(records))
        if len(calls) <= failures:
            real_apply(library_id, records)  # written, then lost with the rolled-back savepoint
            raise IntegrityError("duplicate key value violates unique constraint")
        return real_apply(library_id, records)

    monkeypatch.setattr(importer, "_apply", apply)
    data = (HEADER + "N-1,Nieuw,,,,,9789400000018,,,,,\n").encode()
    job = CatalogueImport.objects.create(library=library, format="csv")
    if status == "failed":
        with pytest.raises(IntegrityError):
            catalogue_import_run(catalogue_import=job, stream=io.BytesIO(data))
    else:
        report = catalogue_import_run(catalogue_import=job, stream=io.BytesIO(data))
        assert counts(report) == (1, 1, 0, 0, 0)
    job.refresh_from_db()
    assert job.status == status
    assert len(calls) == min(failures + 1, importer.ATTEMPTS)
    assert Resource.objects.filter(library=library).count() == (1 if status == "done" else 0)


# --- ISBN ownership ------------------------------------------------------------------------------


def test_member_resource_with_the_isbn_is_taken_over(library):
    member = make_user("Anouk")
    resource = Resource.objects.create(
        kind="book", title="zonnepanelen boek", isbn13="9789400000056", source="member", created_by=member
    )
    data = (HEADER + "Z-1,Zonnepanelen voor beginners,,,2020,nl,978-94-0000-005-6,,,book,,\n").encode()

    _, report = run_import(library, data, "csv")

    assert counts(report) == (1, 1, 0, 0, 0)
    assert Resource.objects.count() == 1
    resource.refresh_from_db()
    assert (resource.library_id, resource.record_id, resource.source) == (library.pk, "Z-1", "catalogue")
    assert (resource.title, resource.year, resource.created_by_id) == (
        "Zonnepanelen voor beginners",
        2020,
        member.pk,
    )

    _, again = run_import(library, data, "csv")
    assert counts(again) == (1, 0, 0, 1, 0)


def test_isbn_of_another_librarys_record_is_not_taken(library):
    other = make_library("Bibliotheek Elders")
    run_import(other, (HEADER + "E-1,Warm zonder gas,,,,,9789400000063,,,,,\n").encode(), "csv")
    data = (HEADER + "V-1,Warm zonder gas,,,,,9789400000063,,,,,\n").encode()

    _, report = run_import(library, data, "csv")

    assert counts(report) == (1, 1, 0, 0, 0)
    mine = Resource.objects.get(library=library, record_id="V-1")
    assert mine.isbn13 is None
    assert Resource.objects.get(library=other, record_id="E-1").isbn13 == "9789400000063"
    _, again = run_import(library, data, "csv")
    assert counts(again) == (1, 0, 0, 1, 0)


@pytest.mark.parametrize("batch_size", [1000, 1])
def test_one_isbn_twice_in_a_file_goes_to_the_first_record(library, batch_size):
    data = (
        HEADER + "D-1,Eerste druk,,,,,9789400000070,,,,,\nD-2,Tweede druk,,,,,978-94-0000-007-0,,,,,\n"
    ).encode()
    _, report = run_import(library, data, "csv", batch_size=batch_size)
    assert counts(report) == (2, 2, 0, 0, 0)
    isbns = dict(Resource.objects.filter(library=library).values_list("record_id", "isbn13"))
    assert isbns == {"D-1": "9789400000070", "D-2": None}


def test_isbn_moves_to_another_record_over_two_imports(library):
    """D-1 gives its ISBN up and D-2 takes it in the same file: D-2 gets it on the next import
    (an ISBN held in the database is never taken within the batch that frees it)."""
    run_import(library, (HEADER + "D-1,Een,,,,,9789400000087,,,,,\nD-2,Twee,,,,,,,,,,\n").encode(), "csv")
    swapped = (HEADER + "D-1,Een,,,,,,,,,,\nD-2,Twee,,,,,9789400000087,,,,,\n").encode()
    _, first = run_import(library, swapped, "csv")
    assert counts(first) == (2, 0, 1, 1, 0)
    _, second = run_import(library, swapped, "csv")
    assert counts(second) == (2, 0, 1, 1, 0)
    isbns = dict(Resource.objects.filter(library=library).values_list("record_id", "isbn13"))
    assert isbns == {"D-1": None, "D-2": "9789400000087"}


# --- hostile content -----------------------------------------------------------------------------


def test_hostile_content_is_stored_as_text(library):
    title = "<script>alert(1)</script>\x00Zon\x07ne\u202epanelen\x1b[31m"
    data = (
        HEADER
        + f'H-1,"{title}","<b>Bakker</b>, Sanne",,,nl,,"<img src=x onerror=alert(1)>",'
        + '"Regel een\x00\r\ntwee\x0b",book,javascript:alert(1),data:image/png;base64,AAAA\n'
        + "H-2,Gewoon boek,,,,,,,,,,\n"
    ).encode()

    _, report = run_import(library, data, "csv")

    assert counts(report) == (2, 2, 0, 0, 0)
    resource = Resource.objects.get(library=library, record_id="H-1")
    assert resource.title == "<script>alert(1)</script>Zonnepanelen[31m"
    assert resource.creators == ["<b>Bakker</b>, Sanne"]
    assert resource.subjects == ["<img src=x onerror=alert(1)>"]
    assert resource.description == "Regel een\ntwee"
    assert (resource.catalogue_url, resource.image_url) == ("", "")
    assert Resource.objects.filter(library=library, record_id="H-2").exists()


def test_long_values_are_cut_to_the_columns(library):
    data = (HEADER + f"L-1,{'t' * 600},,{'p' * 300},,{'x' * 40},,,,,,\n").encode()
    run_import(library, data, "csv")
    resource = Resource.objects.get(library=library, record_id="L-1")
    assert (len(resource.title), len(resource.publisher), len(resource.language)) == (500, 200, 16)

    (error,) = parse_catalogue(io.BytesIO((HEADER + f"{'i' * 101},Titel,,,,,,,,,,\n").encode()), "csv")
    assert isinstance(error, RecordError) and error.code == "invalid_record_id"


# --- formats and the command ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "filename", "fmt"),
    [
        (b'<?xml version="1.0"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">', "", "marcxml"),
        (b"\xef\xbb\xbf<marc:collection>", "", "marcxml"),
        (b"00714cam a2200205 a 4500001001300000", "", "marc"),
        (b"\xef\xbb\xbfrecord_id;title\nA;B", "", "csv"),
        (b"titel,auteur\n", "catalogus.csv", "csv"),
        (b"\x00\x01", "export.mrc", "marc"),
        (b"%PDF-1.7", "catalogus.pdf", None),
    ],
)
def test_detect_format(head, filename, fmt):
    assert detect_format(head, filename) == fmt


def test_unknown_format_fails_the_import(library):
    job, _ = run_import(library, b"whatever", "pdf")
    assert (job.status, job.failure) == ("failed", "This file is not MARC21, MARCXML or CSV.")


def test_command_imports_and_reports(library, capsys):
    call_command("import_catalogue", library.slug, str(FIXTURES / "broken.xml"))

    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].startswith("Import ") and lines[0].endswith(
        f"of broken.xml (marcxml) into {library.slug}: done"
    )
    assert lines[1] == "  processed 10, created 3, updated 0, unchanged 0, rejected 7"
    assert lines[2] == (
        "  record 2 (R-2): invalid_isbn — The ISBN 9789400000026 is not valid (wrong length or check digit)."
    )
    assert lines[4] == "  record 4: missing_record_id — The record has no record id."
    assert len(lines) == 2 + 7
    assert "10 read: 3 created, 0 updated, 0 unchanged, 7 rejected" in err
    job = CatalogueImport.objects.get(library=library)
    assert (job.format, job.filename, job.created_by_id, job.status) == (
        "marcxml",
        "broken.xml",
        None,
        "done",
    )


def test_command_lists_the_first_20_errors(library, capsys, tmp_path):
    path = tmp_path / "fouten.csv"
    path.write_text(HEADER + "".join(f"X-{n},,,,,,,,,,,\n" for n in range(25)))
    call_command("import_catalogue", library.slug, str(path), "--format", "csv")
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == "  line 2 (X-0): missing_title — The record has no title."
    assert lines[-1] == "  … and 5 more rejected records"
    assert len(lines) == 2 + 20 + 1


def test_command_fails_with_exit_code_1_when_the_file_fails(library, capsys, tmp_path):
    path = tmp_path / "catalogus.csv"
    path.write_text("record_id,auteur\nA,B\n")
    with pytest.raises(CommandError) as raised:
        call_command("import_catalogue", library.slug, str(path))
    assert raised.value.returncode == 1
    assert str(raised.value).startswith("The CSV file has no column title.")
    assert ": failed" in capsys.readouterr().out
    assert CatalogueImport.objects.get(library=library).status == "failed"


def test_command_unknown_library(tmp_path):
    with pytest.raises(CommandError, match="No library with slug 'nergens'"):
        call_command("import_catalogue", "nergens", str(tmp_path / "x.csv"))


def test_search_document_for():
    assert (
        search_document_for(title="Titel", creators=["A", "B"], subjects=[], description="") == "Titel\nA\nB"
    )
