"""Catalogue import benchmark: N synthetic records (MARCXML, CSV or MARC21) written to a temp file,
imported into a throw-away library with the real importer, then imported again (the idempotent
path: every record read, compared and found unchanged). Measures wall time, records per second and
the process's peak RSS after each run.

    createdb -h 127.0.0.1 -U postgres kenniscloud_bench   # once
    DATABASE_URL=postgres://postgres:kenniscloud@127.0.0.1:5432/kenniscloud_bench \\
        .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres:kenniscloud@127.0.0.1:5432/kenniscloud_bench \\
        .venv/bin/python bench/catalogue_import.py --records 100000 --format marcxml

Needs DATABASE_URL pointing at PostgreSQL (the target is 100,000 records in under two minutes
there). Runs with debug off, so Django keeps no query log. The library and its rows are deleted
afterwards. Results go to stdout and bench/results/catalogue_import.json (one entry per format).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "catalogue_import.json"

WORDS = (
    "zonnepanelen warmtepomp isolatie energie klimaat duurzaam buurt digitaal veilig phishing DigiD "
    "smartphone geschiedenis erfgoed monumenten oorlog stamboom dementie mantelzorg thuis wonen zorg "
    "koken reizen roman tuin water stad dorp familie gids praktisch handboek verhalen nieuwe oude"
).split()
SUBJECTS = [
    "zonne-energie",
    "warmtepompen",
    "isolatie",
    "klimaatverandering",
    "online veiligheid",
    "DigiD",
    "lokale geschiedenis",
    "stamboomonderzoek",
    "dementie",
    "mantelzorg",
    "koken",
    "reizen",
]
NAMES = ["Bakker, Sanne", "Vries, Anna de", "Jansen, Jan", "Berg, Pieter van den", "Kaya, Ahmet", "Smit, P."]
PUBLISHERS = ["Uitgeverij Polderlicht", "Digiwijs Media", "Uitgeverij Verleden Tijd", "Uitgeverij Mantel"]


def ean13(n: int) -> str:
    body = f"97894{n:07d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def synthetic(n: int, rng: random.Random) -> dict:
    words = rng.sample(WORDS, 6)
    return {
        "record_id": f"BENCH-{n:07d}",
        "title": " ".join(words[:4]).capitalize(),
        "subtitle": " ".join(words[4:]),
        "creators": rng.sample(NAMES, rng.choice([1, 1, 2, 3])),
        "publisher": rng.choice(PUBLISHERS),
        "year": rng.randint(1995, 2026),
        "isbn": ean13(n) if rng.random() < 0.9 else "",
        "subjects": rng.sample(SUBJECTS, 3),
        "description": " ".join(rng.choices(WORDS, k=25)).capitalize() + ".",
        "url": f"https://bench.bibliotheek.example/catalogus/BENCH-{n:07d}",
    }


def write_marcxml(path: Path, count: int, rng: random.Random) -> None:
    with path.open("w", encoding="utf-8") as f:
        f.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">\n'
        )
        for n in range(count):
            r = synthetic(n, rng)

            def df(tag: str, subs: list[tuple[str, str]], ind1: str = " ", ind2: str = " ") -> str:
                inner = "".join(f"<subfield code={quoteattr(c)}>{escape(v)}</subfield>" for c, v in subs)
                return f'<datafield tag="{tag}" ind1="{ind1}" ind2="{ind2}">{inner}</datafield>\n'

            parts = [
                "<record>\n<leader>00000nam a2200000 i 4500</leader>\n",
                f'<controlfield tag="001">{r["record_id"]}</controlfield>\n',
                f'<controlfield tag="008">251125s{r["year"]}    ne            000 0 dut d</controlfield>\n',
            ]
            if r["isbn"]:
                parts.append(df("020", [("a", r["isbn"])]))
            parts.append(df("100", [("a", r["creators"][0] + ",")], "1"))
            parts.append(df("245", [("a", r["title"] + " :"), ("b", r["subtitle"] + " /")], "1", "0"))
            parts.append(
                df("264", [("a", "Zwolle :"), ("b", r["publisher"] + ","), ("c", f"[{r['year']}]")], " ", "1")
            )
            parts.append(df("520", [("a", r["description"])]))
            parts.extend(df("650", [("a", s + ".")], " ", "7") for s in r["subjects"])
            parts.extend(df("700", [("a", c + ".")], "1") for c in r["creators"][1:])
            parts.append(df("856", [("u", r["url"])], "4", "0"))
            parts.append("</record>\n")
            f.write("".join(parts))
        f.write("</collection>\n")


def write_csv(path: Path, count: int, rng: random.Random) -> None:
    import csv

    from resources.catalogue.csvfile import CSV_COLUMNS  # after django.setup()

    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for n in range(count):
            r = synthetic(n, rng)
            writer.writerow(
                [
                    r["record_id"],
                    f"{r['title']}: {r['subtitle']}",
                    "|".join(r["creators"]),
                    r["publisher"],
                    r["year"],
                    "nl",
                    r["isbn"],
                    "|".join(r["subjects"]),
                    r["description"],
                    "book",
                    r["url"],
                    "",
                ]
            )


def write_marc(path: Path, count: int, rng: random.Random) -> None:
    from pymarc import Field, Indicators, Leader, Record, Subfield

    with path.open("wb") as f:
        for n in range(count):
            r = synthetic(n, rng)
            record = Record()
            record.leader = Leader("00000nam a2200000 i 4500")
            record.add_field(Field("001", data=r["record_id"]))
            record.add_field(Field("008", data=f"251125s{r['year']}    ne            000 0 dut d"))
            if r["isbn"]:
                record.add_field(Field("020", Indicators(" ", " "), [Subfield("a", r["isbn"])]))
            record.add_field(Field("100", Indicators("1", " "), [Subfield("a", r["creators"][0] + ",")]))
            record.add_field(
                Field(
                    "245",
                    Indicators("1", "0"),
                    [Subfield("a", r["title"] + " :"), Subfield("b", r["subtitle"])],
                )
            )
            record.add_field(
                Field(
                    "264",
                    Indicators(" ", "1"),
                    [Subfield("b", r["publisher"]), Subfield("c", str(r["year"]))],
                )
            )
            record.add_field(Field("520", Indicators(" ", " "), [Subfield("a", r["description"])]))
            for s in r["subjects"]:
                record.add_field(Field("650", Indicators(" ", "7"), [Subfield("a", s)]))
            record.add_field(Field("856", Indicators("4", "0"), [Subfield("u", r["url"])]))
            f.write(record.as_marc())


WRITERS = {"marcxml": (write_marcxml, ".xml"), "csv": (write_csv, ".csv"), "marc": (write_marc, ".mrc")}


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--format", choices=sorted(WRITERS), default="marcxml")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--keep", action="store_true", help="keep the library and its rows afterwards")
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print(__doc__, file=sys.stderr)
        print("Refusing to run: set DATABASE_URL to a PostgreSQL database (see above).", file=sys.stderr)
        return 2
    # Production-like: debug off (no query log kept in memory).
    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    from groups.models import Library
    from resources.catalogue.importer import catalogue_import_create, catalogue_import_run
    from resources.models import Resource

    write, suffix = WRITERS[args.format]
    with tempfile.TemporaryDirectory(prefix="kc-bench-") as tmp:
        path = Path(tmp) / f"catalogue{suffix}"
        started = time.perf_counter()
        write(path, args.records, random.Random(42))
        generated = time.perf_counter() - started
        size_mb = round(path.stat().st_size / 1e6, 1)
        print(
            f"generated {args.records} {args.format} records ({size_mb} MB) in {generated:.1f}s",
            file=sys.stderr,
        )

        rss_before = peak_rss_mb()  # Django, the generator's peak: what the imports add is on top
        load_before = os.getloadavg()[0]
        slug = f"bench-{uuid.uuid4().hex[:10]}"
        library = Library.objects.create(name=f"Benchmark {slug}", slug=slug)
        runs = {}
        try:
            for name in ("import", "reimport"):
                job = catalogue_import_create(library=library, fmt=args.format, filename=path.name)
                with path.open("rb") as stream:
                    started = time.perf_counter()
                    report = catalogue_import_run(
                        catalogue_import=job, stream=stream, batch_size=args.batch_size
                    )
                    seconds = time.perf_counter() - started
                runs[name] = {
                    "records": report.processed,
                    "created": report.created,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                    "rejected": report.rejected,
                    "seconds": round(seconds, 2),
                    "records_per_s": round(report.processed / seconds) if seconds else None,
                    "peak_rss_mb": peak_rss_mb(),
                    "status": job.status,
                }
                print(f"{name}: {json.dumps(runs[name])}", file=sys.stderr)
            rows = Resource.objects.filter(library=library).count()
        finally:
            if not args.keep:
                library.delete()

    result = {
        "format": args.format,
        "records": args.records,
        "file_mb": size_mb,
        "batch_size": args.batch_size,
        "rows_in_library": rows,
        "postgresql": connection.cursor().connection.info.server_version,
        "cpus": os.cpu_count(),
        # Other work on the machine slows both runs; the 1-minute load average before and after.
        "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "peak_rss_before_imports_mb": rss_before,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **runs,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    previous[args.format] = result
    RESULTS.write_text(json.dumps(previous, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    ok = all(run["status"] == "done" for run in runs.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
