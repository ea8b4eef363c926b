"""Catalogue files with hostile content, imported the way librarians do it: a REST upload, then a
real task worker (`manage.py db_worker`). Hostile records are mixed with good ones in MARC21,
MARCXML and CSV (issue #7, bad input).

Expected (docs/catalogue-import.md): every good record is imported; every hostile record is either
rejected on its own with its machine code and a translated reason in the import report, or —
where the docs say the value is cleaned (controls, over-long values, non-web URLs) or kept as text
(markup, spreadsheet formulas: KennisCloud never exports resources to a spreadsheet) — imported
in that documented form. Nothing else in the database changes, the worker does not crash, and
XML entities are never expanded or fetched (billion laughs, external entities to a file and to a
local HTTP server that counts requests).
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from pymarc import Field, Indicators, Leader, Record, Subfield
from rest_framework.test import APIClient

from resources.models import Resource
from tests.conftest import make_library, make_user

pytestmark = pytest.mark.django_db(transaction=True)

RECORD_CODES = {
    "missing_record_id",
    "invalid_record_id",
    "missing_title",
    "invalid_isbn",
    "bad_encoding",
    "malformed_record",
    "duplicate_record_id",
}

# --- CSV -----------------------------------------------------------------------------------------

CSV_LINES: list[tuple[bytes, str | None]] = [
    # (line, None for imported | the rejection code)
    (b'G-1,Zonnepanelen op je dak,"Jansen, Piet",9789400000049,https://bieb.example/G-1', None),
    (b'H-formula,"=HYPERLINK(""http://evil.example/?"",""Klik"")",@SUM(1+1),,', None),
    (b"H-script,<script>alert(1)</script>,<b>Bakker</b>,,javascript:alert(1)", None),
    ('H-ctrl,"Zon\x07ne\x00pan\u202eelen\x1b",,,'.encode(), None),
    (b"H-latin1,Caf\xe9 de Wereld,,,", "bad_encoding"),
    (b"X" * 150 + b",Te lang id,,,", "invalid_record_id"),
    (b"H-long," + b"t" * 5000 + b",,,", None),
    (b"H-huge," + b"x" * 300_000 + b",,,", "malformed_record"),  # a value over 128 KB
    (b"W-1;Puntkomma;Jansen", "missing_title"),  # the wrong delimiter
    (b"G-1,Dubbel,,,", "duplicate_record_id"),
    (b",Zonder id,,,", "missing_record_id"),
    (b"H-isbn,Boek,,9789400000048,", "invalid_isbn"),
    (b'H-quote,"Zonnig" en warm,,,', "malformed_record"),
    (b"G-2,Warmtepompen,,,", None),
    (b'H-trunc,"Afgekapt midden in een waarde', "malformed_record"),  # the file ends here
]


def csv_file() -> bytes:
    header = b"\xef\xbb\xbfrecord_id,title,creators,isbn,catalogue_url"
    return b"\r\n".join([header, *(line for line, _ in CSV_LINES)])


# --- MARCXML -------------------------------------------------------------------------------------

LOL = "".join(f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10}">' for n in range(1, 10))


def marcxml_file(entity_url: str) -> tuple[bytes, list[tuple[str, str | None]]]:
    def record(record_id: str, title: str) -> str:
        return (
            f'<record><leader>00000nam a2200000 i 4500</leader><controlfield tag="001">{record_id}'
            f'</controlfield><datafield tag="245" ind1="0" ind2="0"><subfield code="a">{title}'
            "</subfield></datafield></record>"
        )

    records: list[tuple[str, str | None]] = [
        (record("X-1", "Warm zonder gas"), None),
        (record("X-lol", "&lol9;"), "malformed_record"),
        (record("X-file", "&xxe;"), "malformed_record"),
        (record("X-web", "&web;"), "malformed_record"),
        (record("X-latin1", "Caf\udce9 Noir"), "bad_encoding"),  # \udce9: the byte 0xe9 below
        (record("X-ctrl", "Zon\x01ne"), "malformed_record"),  # not allowed in XML 1.0
        (record("X-script", "&lt;script&gt;alert(1)&lt;/script&gt;"), None),
        (record("X-long", "t" * 300_000), None),
        (record("X-1", "Dubbel"), "duplicate_record_id"),
        (record("X-amp", "Boeken & meer"), "malformed_record"),
        (record("X-2", "Café de Wereld"), None),
        (record("X-trunc", "Afgekapt")[:-30], "malformed_record"),  # no </record>: the file ends
    ]
    head = (
        '\ufeff<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<!DOCTYPE collection [<!ENTITY lol0 "lol">{LOL}'
        '<!ENTITY xxe SYSTEM "file:///etc/passwd">'
        f'<!ENTITY web SYSTEM "{entity_url}">'
        '<!ENTITY % remote SYSTEM "' + entity_url + '-dtd"> %remote;]>\n'
        '<collection xmlns="http://www.loc.gov/MARC21/slim">\n'
    )
    body = "\n".join(text for text, _ in records)
    data = (head + body).encode("utf-8", "surrogateescape")
    return data, records


# --- MARC21 --------------------------------------------------------------------------------------


def marc(record_id: str, title: str, *, leader: str = "00000nam a2200000 i 4500") -> bytes:
    record = Record()
    record.leader = Leader(leader)
    record.add_field(Field("001", data=record_id))
    record.add_field(Field("245", Indicators("0", "0"), [Subfield("a", title)]))
    return record.as_marc()


def _with_directory_length(data: bytes, length: bytes) -> bytes:
    """The 245 entry of the directory (the second, after 001) says `length`."""
    entry = 24 + 12 + 3
    return data[:entry] + length + data[entry + 4 :]


def marc21_file() -> tuple[bytes, list[tuple[str, str | None]]]:
    good = marc("M-1", "Warm zonder gas.")
    records: list[tuple[bytes, str | None]] = [
        (good, None),
        (b"99999" + marc("M-len", "Verkeerde lengte.")[5:], "malformed_record"),  # bogus leader length
        (
            marc("M-base", "Verkeerd adres.")[:12] + b"00030" + marc("M-base", "Verkeerd adres.")[17:],
            "malformed_record",
        ),
        (_with_directory_length(marc("M-dir", "Verkeerde map."), b"9999"), "malformed_record"),
        (marc("M-ctrl", "Zon\x07ne\x00panelen."), None),
        (marc("M-latin1", "Café Noir.").replace("é".encode(), b"\xe9!"), "bad_encoding"),
        (marc("M-long", "t" * 9000), None),
        (marc("M-script", "<script>alert(1)</script>"), None),
        (marc("M-1", "Dubbel."), "duplicate_record_id"),
        (marc("M-2", "Café de Wereld."), None),
        (marc("M-trunc", "Afgekapt.")[:-20], "malformed_record"),  # the file ends mid-record
    ]
    return b"".join(data for data, _ in records), [(str(i), code) for i, (_, code) in enumerate(records)]


# --- the test ------------------------------------------------------------------------------------


def snapshot(exclude_library) -> dict[int, dict]:
    return {
        row["id"]: row
        for row in Resource.objects.exclude(library=exclude_library, source="catalogue").values()
    }


def test_hostile_records_are_rejected_one_by_one_and_the_good_ones_imported(
    library, librarian, preview_server, run_worker
):
    # What must not change: another library's catalogue, a member's resource, and this library's
    # earlier catalogue records that the files do not mention.
    other = make_library("Bibliotheek Elders")
    Resource.objects.create(library=other, source="catalogue", record_id="G-1", kind="book", title="Elders")
    Resource.objects.create(
        kind="website", title="Van een lid", url="https://example.org/lid", created_by=make_user()
    )
    kept = Resource.objects.create(
        library=library, source="catalogue", record_id="KEEP-1", kind="book", title="Blijft"
    )
    before = snapshot(library)
    before[kept.pk] = Resource.objects.filter(pk=kept.pk).values().get()

    client = APIClient()
    client.force_authenticate(librarian)
    xml, xml_records = marcxml_file(f"{preview_server.url}/xxe")
    mrc, mrc_records = marc21_file()
    uploads = {"catalogus.csv": csv_file(), "catalogus.xml": xml, "catalogus.mrc": mrc}
    # Files that cannot be read at all fail as a whole, with a reason (not a crash, not a 500).
    unreadable = {"tabs.csv": b"record_id\ttitle\nT-1\tMet tabs\n", "rommel.mrc": bytes(range(256)) * 8}
    uploads |= unreadable
    jobs = {}
    for name, data in uploads.items():
        response = client.post(
            f"/api/v1/libraries/{library.slug}/catalogue/imports/",
            {"file": SimpleUploadedFile(name, data)},
            format="multipart",
        )
        assert response.status_code == 202, response.content
        jobs[name] = response.json()["id"]

    output = run_worker()  # fails on a crash or a traceback

    reports = {
        name: client.get(f"/api/v1/libraries/{library.slug}/catalogue/imports/{pk}/").json()
        for name, pk in jobs.items()
    }
    for name in unreadable:
        report = reports.pop(name)
        assert (report["status"], report["created"]) == ("failed", 0), report
        assert report["failure"], report
    expected = {
        "catalogus.csv": [code for _, code in CSV_LINES],
        "catalogus.xml": [code for _, code in xml_records],
        "catalogus.mrc": [code for _, code in mrc_records],
    }
    for name, report in reports.items():
        codes = expected[name]
        assert report["status"] == "done", (name, report["failure"], output[-2000:])
        assert report["rejected"] == sum(1 for c in codes if c), (name, report["errors"])
        assert report["created"] == sum(1 for c in codes if c is None), (name, report["errors"])
        assert [e["code"] for e in report["errors"]] == [c for c in codes if c], (name, report["errors"])
        for error in report["errors"]:
            assert error["code"] in RECORD_CODES
            assert isinstance(error["reason"], str) and error["reason"], error
    # Positions: CSV line numbers (the header is line 1), record numbers otherwise.
    csv_errors = reports["catalogus.csv"]["errors"]
    assert [e["position"] for e in csv_errors] == [i + 2 for i, (_, c) in enumerate(CSV_LINES) if c]
    assert [e["position"] for e in reports["catalogus.mrc"]["errors"]] == [
        i + 1 for i, (_, c) in enumerate(mrc_records) if c
    ]
    # The reason is translated (the worker speaks the site's default language, Dutch).
    missing_title = next(e for e in csv_errors if e["code"] == "missing_title")
    with translation.override("nl"):
        assert missing_title["reason"] == translation.gettext("The record has no title.")
    assert missing_title["reason"] != "The record has no title."

    # The good and the cleaned records, as documented.
    found = {r.record_id: r for r in Resource.objects.filter(library=library, source="catalogue")}
    assert found["G-1"].title == "Zonnepanelen op je dak"
    assert found["G-1"].catalogue_url == "https://bieb.example/G-1"
    assert found["H-formula"].title == '=HYPERLINK("http://evil.example/?","Klik")'
    assert found["H-formula"].creators == ["@SUM(1+1)"]
    assert (found["H-script"].title, found["H-script"].catalogue_url) == ("<script>alert(1)</script>", "")
    assert found["H-ctrl"].title == "Zonnepanelen"
    assert found["H-long"].title == "t" * 500
    assert found["X-script"].title == "<script>alert(1)</script>"
    assert found["X-long"].title == "t" * 500
    assert found["X-2"].title == "Café de Wereld"
    assert found["M-ctrl"].title == "Zonnepanelen"
    assert found["M-long"].title == "t" * 500
    assert found["M-script"].title == "<script>alert(1)</script>"
    assert found["M-2"].title == "Café de Wereld"
    imported = {"G-1", "H-formula", "H-script", "H-ctrl", "H-long", "G-2"}
    imported |= {"X-1", "X-script", "X-long", "X-2", "M-1", "M-ctrl", "M-long", "M-script", "M-2"}
    assert set(found) == imported | {"KEEP-1"}
    # The first occurrence of a duplicated id counts.
    assert (found["X-1"].title, found["M-1"].title) == ("Warm zonder gas", "Warm zonder gas")
    # No entity was expanded or fetched.
    assert not any("lol" in r.title or "root:" in r.title for r in found.values())
    assert not [path for path in preview_server.requests if "xxe" in path]
    # Nothing else changed.
    after = snapshot(library)
    after[kept.pk] = Resource.objects.filter(pk=kept.pk).values().get()
    assert after == before
