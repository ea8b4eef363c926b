"""History benchmark: `GET` pages of 50 with keyset cursors in groups of 10^3 … 10^6 messages.

    .venv/bin/python bench/history.py                      # 10^3, 10^4, 10^5, 10^6 (make bench-history)
    .venv/bin/python bench/history.py --sizes 1000 10000 --duration 3

One daphne worker on PostgreSQL + Redis, pinned to core 0 (`taskset`); the client pinned to the other
core. Its own database `kenniscloud_bench_history` (dropped and re-created) and Redis db 12 (flushed).

Seeding is bulk SQL (`generate_series`) into the real tables and keeps every invariant a sent
message keeps (chat.services.message_send): each message has its `message.created` GroupEvent with
the same seq, seqs are gapless per group and `Group.last_seq` is the last one, threads carry their
`message_count` and `last_message_at`, each author has read up to their own last message. One group
per size holds that many messages (99% in one thread, the rest in four others), and `--other`
messages more are spread over 20 other groups, so every query runs against tables of millions of
rows and only indexes keep it flat. A check after seeding proves the sequences gapless.

Then, per group, closed-loop asyncio clients (1, 8 and 32 connections, HTTP/1.1 keep-alive on
loopback, a member's bearer token) run a warm-up and three timed runs; medians are reported:
  - history: walk the main thread backwards, 50 per page, following the `next` cursor; each walk
    starts at a random depth (a cursor made for a random seq) and lasts up to 20 pages;
  - catchup: `GET /groups/{slug}/events/?after_seq=last-50` (the replay after a reconnect);
  - threads: the thread list with unread counts (~200 unread in the main thread);
  - groups: the group list with unread counts over all 24 of the reader's groups (~200 each).
Each row records pages/s, p50/p95/p99/max latency and the server's CPU per request (/proc).
Results: bench/results/history.json; EXPLAIN (ANALYZE, BUFFERS) of the hot queries at the largest
size: bench/results/history_explain.txt.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from _app import app_env, cpu_seconds, free_port, plan_pinning
from _app import reset as reset_app

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PY = sys.executable
DB = "kenniscloud_bench_history"
DB_URL = f"postgres://postgres:kenniscloud@127.0.0.1:5432/{DB}"
REDIS_URL = "redis://127.0.0.1:6379/12"
# Production settings (no query log), plain HTTP on loopback, per-user limits lifted (bench/_app.py).
ENV = app_env(DB, REDIS_URL, "kcbenchhist")
AUTHORS = 20
OTHER_GROUPS = 20
THREADS_PER_GROUP = 5
PAGE = 50
WALK = 20  # pages per walk before starting again at a random depth

SETUP = """
import json, os
from allauth.account.models import EmailAddress
from accounts.models import User
from accounts.services import api_token_create
from chat import services as chat
from groups import services as groups
from groups.models import Library
sizes = [int(s) for s in os.environ["BENCH_SIZES"].split()]
library = Library.objects.create(name="Bench", slug="bench")
pw = "bench-pass-123"
owner = User.objects.create_user(email="owner@bench.example", password=pw, display_name="Eigenaar")
groups.librarian_add(library=library, user=owner)
reader = User.objects.create_user(email="reader@bench.example", password=pw, display_name="Lezer")
EmailAddress.objects.create(user=reader, email=reader.email, verified=True, primary=True)
authors = [User.objects.create_user(email=f"a{i}@bench.example", password=None, display_name=f"Auteur {i}")
           for i in range(int(os.environ["BENCH_AUTHORS"]))]
out = {"groups": [], "authors": [a.pk for a in authors], "reader": reader.pk}
specs = [(f"h{s}", s) for s in sizes] + [(f"other-{i}", None) for i in range(int(os.environ["BENCH_OTHERS"]))]
for slug, size in specs:
    group = groups.group_create(actor=owner, library=library, name=slug, slug=slug)
    for user in [reader, *authors]:
        groups.group_join(actor=user, group=group)
    threads = [chat.thread_create(actor=owner, group=group, title=f"Gesprek {n}").pk
               for n in range(int(os.environ["BENCH_THREADS"]) if size else 2)]
    out["groups"].append({"slug": slug, "id": group.pk, "size": size, "threads": threads})
out["token"] = api_token_create(email=reader.email, password=pw, name="bench")[1]
print("BENCH " + json.dumps(out))
"""

# One statement per group: n messages after the group's current last seq (its thread.created
# events), 99% in the first thread, every 100th in one of the others; then their events, thread
# counters, the authors' read positions and the group's counter — what message_send writes.
SEED_MESSAGES = """
INSERT INTO chat_message (body, html, client_id, seq, created_at, author_id, group_id, thread_id,
                          moderation_reason)
SELECT b, '<p>' || b || '</p>', gen_random_uuid(), g.last_seq + i,
       now() - make_interval(secs => %(n)s - i), (%(authors)s::bigint[])[1 + i %% %(na)s], g.id,
       (%(threads)s::bigint[])[CASE WHEN i %% 100 = 0 THEN 2 + (i / 100) %% (%(nt)s - 1) ELSE 1 END],
       ''
FROM groups_group g, generate_series(1, %(n)s) AS i,
     LATERAL (SELECT 'Bericht ' || i || ': ' || (ARRAY['wie heeft dit boek al gelezen?',
              'volgende week praten we verder in de bibliotheek.', 'goed punt, dank je wel!',
              'hier is meer over te vinden in de collectie van de bieb.',
              'zullen we een bijeenkomst plannen?'])[1 + i %% 5] AS b) AS t
WHERE g.id = %(group)s
"""
SEED_EVENTS = """
INSERT INTO chat_groupevent (seq, type, created_at, group_id, message_id)
SELECT seq, 'message.created', created_at, group_id, id FROM chat_message WHERE group_id = %(group)s
"""
SEED_THREADS = """
UPDATE chat_thread t SET message_count = s.c, last_message_at = s.m
FROM (SELECT thread_id, count(*) AS c, max(created_at) AS m FROM chat_message
      WHERE group_id = %(group)s GROUP BY thread_id) s
WHERE t.id = s.thread_id
"""
SEED_READ = """
INSERT INTO chat_readstate (last_read_seq, updated_at, user_id, thread_id)
SELECT max(seq), now(), author_id, thread_id FROM chat_message WHERE group_id = %(group)s
GROUP BY author_id, thread_id
ON CONFLICT (user_id, thread_id) DO UPDATE
SET last_read_seq = GREATEST(chat_readstate.last_read_seq, EXCLUDED.last_read_seq)
"""
SEED_GROUP = "UPDATE groups_group SET last_seq = last_seq + %(n)s WHERE id = %(group)s"
# In every group the reader has read all but the last ~200 messages of the first thread.
SEED_READER = """
INSERT INTO chat_readstate (last_read_seq, updated_at, user_id, thread_id)
SELECT CASE WHEN t.id = %(main)s THEN g.last_seq - 200 ELSE g.last_seq END, now(), %(reader)s, t.id
FROM chat_thread t JOIN groups_group g ON g.id = t.group_id WHERE t.group_id = %(group)s
ON CONFLICT (user_id, thread_id) DO UPDATE SET last_read_seq = EXCLUDED.last_read_seq
"""
# Gapless: per group, as many events as last_seq, from 1 to last_seq (seq is unique per group).
CHECK = """
SELECT g.slug FROM groups_group g
LEFT JOIN (SELECT group_id, count(*) AS c, min(seq) AS lo, max(seq) AS hi FROM chat_groupevent
           GROUP BY group_id) e ON e.group_id = g.id
WHERE g.last_seq <> coalesce(e.c, 0) OR (e.c > 0 AND (e.lo <> 1 OR e.hi <> g.last_seq))
UNION ALL
SELECT 'message ' || m.id FROM chat_message m
LEFT JOIN chat_groupevent e ON e.group_id = m.group_id AND e.seq = m.seq AND e.message_id = m.id
WHERE e.id IS NULL
"""


def sh(args: list[str], **kw) -> subprocess.CompletedProcess:
    kw.setdefault("env", ENV)
    done = subprocess.run(args, cwd=ROOT, check=False, **kw)
    if done.returncode:
        raise SystemExit(f"{' '.join(args[:3])} failed:\n{done.stderr or ''}")
    return done


def reset() -> None:
    reset_app(DB, REDIS_URL, ENV)


def setup(sizes: list[int]) -> dict:
    out = sh(
        [PY, "manage.py", "shell", "-c", SETUP],
        env={
            **ENV,
            "BENCH_SIZES": " ".join(map(str, sizes)),
            "BENCH_AUTHORS": str(AUTHORS),
            "BENCH_OTHERS": str(OTHER_GROUPS),
            "BENCH_THREADS": str(THREADS_PER_GROUP),
        },
        capture_output=True,
        text=True,
    )
    line = next(line for line in out.stdout.splitlines() if line.startswith("BENCH "))
    return json.loads(line[6:])


def seed(meta: dict, other: int) -> dict[str, float]:
    """Bulk-insert every group's messages. Returns seconds per group slug."""
    timings: dict[str, float] = {}
    per_other = other // OTHER_GROUPS
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        # Skip the per-row foreign-key triggers while seeding: every id below comes from the rows
        # just made (the CHECK query and the benchmark's own reads would expose a dangling one).
        conn.execute("SET session_replication_role = replica")
        for group in meta["groups"]:
            n = group["size"] or per_other
            if not n:
                continue
            started = time.perf_counter()
            params = {
                "group": group["id"],
                "n": n,
                "authors": meta["authors"],
                "na": len(meta["authors"]),
                "threads": group["threads"],
                "nt": len(group["threads"]),
            }
            with conn.transaction():
                conn.execute(SEED_MESSAGES, params)
                conn.execute(SEED_EVENTS, params)  # the thread.created events exist already
                conn.execute(SEED_THREADS, params)
                conn.execute(SEED_READ, params)
                conn.execute(SEED_GROUP, params)
                conn.execute(SEED_READER, {**params, "main": group["threads"][0], "reader": meta["reader"]})
            timings[group["slug"]] = time.perf_counter() - started
            print(f"  seeded {group['slug']}: {n} messages in {timings[group['slug']]:.1f} s", flush=True)
        conn.execute("SET session_replication_role = origin")
        started = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        timings["vacuum_analyze"] = time.perf_counter() - started
        bad = conn.execute(CHECK).fetchall()
        if bad:
            raise SystemExit(f"seeding broke an invariant: {bad[:5]}")
    return timings


# --- the server --------------------------------------------------------------------------------


def start_daphne(core: int | None, n: int = 0) -> tuple[subprocess.Popen, int]:
    log_path = RESULTS / (f"history-daphne-{n}.log" if n else "history-daphne.log")
    port = free_port()
    daphne = [str(Path(PY).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), "backend.asgi:application"]
    if core is not None:
        daphne = ["taskset", "-c", str(core), *daphne]
    with open(log_path, "w") as log:
        proc = subprocess.Popen(daphne, cwd=ROOT, env=ENV, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    proc.wait(timeout=10)
    raise SystemExit(f"daphne did not start; see {log_path}")


# --- a small HTTP/1.1 keep-alive client (no dependency; cheap enough to leave the server the core) --


class Connection:
    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.head = f"Host: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nAccept: application/json\r\n\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> bytes:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        reader = self.reader
        self.writer.write(f"GET {path} HTTP/1.1\r\n{self.head}".encode())
        status = await reader.readline()
        if not status.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"GET {path}: {status!r}")
        length, chunked, close = None, False, False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
        if chunked:
            body = bytearray()
            while size := int((await reader.readline()).split(b";")[0], 16):
                body += await reader.readexactly(size)
                await reader.readline()
            await reader.readline()
        elif length is not None:
            body = bytearray(await reader.readexactly(length))
        else:
            body, close = bytearray(await reader.read()), True
        if close:
            self.close()
        return bytes(body)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def cursor_for(seq: int) -> str:
    """DRF CursorPagination's cursor for "messages before seq" (ordering -seq)."""
    return base64.b64encode(urlencode({"p": str(seq)}).encode()).decode()


NEXT = re.compile(rb'"next":\s*(null|"([^"]*)")')


class Walker:
    """Yields the paths of one client's requests for a scenario."""

    def __init__(self, scenario: str, group: dict, rng: random.Random) -> None:
        self.scenario, self.group, self.rng = scenario, group, rng
        self.next_path: str | None = None
        self.pages = 0

    def path(self) -> str:
        g = self.group
        if self.scenario == "catchup":
            return f"/api/v1/groups/{g['slug']}/events/?after_seq={g['last_seq'] - PAGE}"
        if self.scenario == "threads":
            return f"/api/v1/groups/{g['slug']}/threads/"
        if self.scenario == "groups":
            return "/api/v1/groups/"
        if self.next_path is None or self.pages >= WALK:
            start = self.rng.randint(g["min_seq"] + PAGE, g["max_seq"] + 1)
            self.pages = 0
            return f"/api/v1/threads/{g['thread']}/messages/?cursor={cursor_for(start)}"
        return self.next_path

    def saw(self, body: bytes) -> None:
        if self.scenario != "history":
            return
        found = NEXT.search(body[:2000])
        self.pages += 1
        if not found or found.group(1) == b"null":
            self.next_path = None
        else:
            url = found.group(2).decode().replace("\\u0026", "&")
            self.next_path = url[url.index("/api/") :]


async def drive(
    ports: list[int], token: str, scenario: str, group: dict, workers: int, seconds: float
) -> list[float]:
    """Closed loop: `workers` connections, each sends its next request when the last one answered;
    with several server processes the connections go to them in turn (as a proxy would spread
    them). Returns the latencies (s) of the requests that finished inside the window."""
    stop = time.perf_counter() + seconds
    latencies: list[float] = []

    async def worker(n: int) -> None:
        conn = Connection(ports[n % len(ports)], token)
        walker = Walker(scenario, group, random.Random(n * 7919 + int(time.time())))
        try:
            while True:
                path = walker.path()
                started = time.perf_counter()
                if started >= stop:
                    return
                body = await conn.get(path)
                ended = time.perf_counter()
                walker.saw(body)
                if ended <= stop:
                    latencies.append(ended - started)
        finally:
            conn.close()

    await asyncio.wait_for(asyncio.gather(*(worker(n) for n in range(workers))), timeout=seconds + 60)
    return latencies


class ConnectionSampler:
    """The most server connections open to the benchmark database at once (pg_stat_activity, every
    0.2 s): the worker's psycopg pool must bound them, however many requests are in flight."""

    def __enter__(self) -> ConnectionSampler:
        self.peak = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()
        return self

    def sample(self) -> None:
        with psycopg.connect(DB_URL, autocommit=True) as conn:
            while not self.stop.wait(0.2):
                (n,) = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                    [DB],
                ).fetchone()
                self.peak = max(self.peak, n)

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))] * 1000


def measure(
    procs: list[subprocess.Popen],
    ports: list[int],
    token: str,
    scenario: str,
    group: dict,
    workers: int,
    args,
) -> dict:
    asyncio.run(drive(ports, token, scenario, group, workers, args.warmup))
    runs = []
    for _ in range(args.runs):
        cpu = sum(cpu_seconds(proc.pid) for proc in procs)
        started = time.perf_counter()
        with ConnectionSampler() as connections:
            latencies = asyncio.run(drive(ports, token, scenario, group, workers, args.duration))
        elapsed = time.perf_counter() - started
        cpu = sum(cpu_seconds(proc.pid) for proc in procs) - cpu
        runs.append(
            {
                "rate": len(latencies) / elapsed,
                "p50_ms": pct(latencies, 0.50),
                "p95_ms": pct(latencies, 0.95),
                "p99_ms": pct(latencies, 0.99),
                "max_ms": max(latencies) * 1000,
                "requests": len(latencies),
                "server_cpu_us_per_request": cpu / max(1, len(latencies)) * 1e6,
                "db_connections_max": connections.peak,
            }
        )
    row = {
        "scenario": scenario,
        "messages": group["size"],
        "concurrency": workers,
        "server_processes": len(procs),
        "page_size": PAGE if scenario == "history" else None,
        "runs": len(runs),
        "duration_s": args.duration,
    }
    for key in runs[0]:
        row[key] = statistics.median(r[key] for r in runs)
    row["rate_runs"] = [round(r["rate"], 1) for r in runs]
    row["load_avg_1m"] = round(os.getloadavg()[0], 2)  # the machine may be shared: say how busy it was
    return row


# --- EXPLAIN of the hot queries ------------------------------------------------------------------

EXPLAIN_SETUP = """
import base64, json, os
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from accounts.models import User
from chat.models import Thread
from groups.models import Group
g = Group.objects.get(slug=os.environ["BENCH_GROUP"])
thread = Thread.objects.filter(group=g).order_by("pk").first()
cursor = base64.b64encode(("p=%d" % (g.last_seq // 2)).encode()).decode()
client = Client()
client.force_login(User.objects.get(email="reader@bench.example"))
after = g.last_seq - 50
endpoints = {
    "keyset history page (50, from the middle of the thread)":
        f"/api/v1/threads/{thread.pk}/messages/?cursor={cursor}",
    "catch-up by seq (group events after last_seq - 50)":
        f"/api/v1/groups/{g.slug}/events/?after_seq={after}",
    "thread catch-up (messages after last_seq - 50)":
        f"/api/v1/threads/{thread.pk}/messages/?after_seq={after}",
    "thread list with unread counts": f"/api/v1/groups/{g.slug}/threads/",
    "group list with unread counts (all the reader's groups)": "/api/v1/groups/",
}
hot = ("chat_message", "chat_groupevent", "chat_thread", "chat_readstate")
out = {}
for name, url in endpoints.items():
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    plans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.startswith("SELECT") or not any(t in sql for t in hot):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)  # warm the cache
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plans.append({"sql": sql, "plan": "\\n".join(r[0] for r in cursor.fetchall())})
    out[name] = {"url": url, "queries": len(captured.captured_queries), "plans": plans}
print("EXPLAIN " + json.dumps(out))
"""


def explain(group: dict) -> str:
    out = sh(
        [PY, "manage.py", "shell", "-c", EXPLAIN_SETUP],
        env={**ENV, "BENCH_GROUP": group["slug"], "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1"},
        capture_output=True,
        text=True,
    )
    line = next(line for line in out.stdout.splitlines() if line.startswith("EXPLAIN "))
    plans = json.loads(line[8:])
    parts = [
        f"# EXPLAIN (ANALYZE, BUFFERS) of the hot queries in group {group['slug']} ({group['size']} "
        "messages; other groups hold as many again). Each query as the endpoint ran it (Django "
        "test client), explained twice; the second (warm) run is shown.\n"
    ]
    for name, item in plans.items():
        parts.append(f"## {name}\n\nGET {item['url']} — {item['queries']} queries in all\n")
        for plan in item["plans"]:
            parts.append(f"{plan['sql']}\n\n{plan['plan']}\n")
    return "\n".join(parts)


def group_facts(meta: dict) -> None:
    with psycopg.connect(DB_URL) as conn:
        for group in meta["groups"]:
            group["thread"] = group["threads"][0]
            lo, hi = conn.execute(
                "SELECT min(seq), max(seq) FROM chat_message WHERE thread_id = %s", [group["thread"]]
            ).fetchone()
            group["min_seq"], group["max_seq"] = lo or 0, hi or 0
            group["last_seq"] = conn.execute(
                "SELECT last_seq FROM groups_group WHERE id = %s", [group["id"]]
            ).fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    parser.add_argument(
        "--other", type=int, default=None, help="messages in other groups (default: sum of sizes)"
    )
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--scenarios", nargs="+", default=["history", "catchup", "threads", "groups"])
    parser.add_argument("--side-concurrency", type=int, default=8, help="for catchup, threads, groups")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="server processes (one per core)")
    parser.add_argument("--reuse", action="store_true", help="keep the seeded database of the last run")
    parser.add_argument("--seed-only", action="store_true", help="seed the database and stop")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    other = sum(args.sizes) if args.other is None else args.other
    meta_path = RESULTS / "history-meta.json"

    started = time.perf_counter()
    if args.reuse and meta_path.exists():
        meta = json.loads(meta_path.read_text())
    else:
        print(
            f"seeding {DB}: sizes {args.sizes}, {other} messages in {OTHER_GROUPS} other groups", flush=True
        )
        reset()
        meta = setup(args.sizes)
        meta["seed_seconds"] = seed(meta, other)
        meta["seed_total_seconds"] = time.perf_counter() - started
        meta_path.write_text(json.dumps(meta, indent=1))
        print(f"seeded in {meta['seed_total_seconds']:.0f} s", flush=True)
    if args.seed_only:
        return
    group_facts(meta)
    sized = [g for g in meta["groups"] if g["size"] in args.sizes]

    # One server process: pinned to the first core, the client to the others. Several: one per core
    # (as `make run`'s compose file runs them), the client unpinned (see bench/_app.plan_pinning).
    pinning = plan_pinning(args.workers)
    pin = pinning.client_cores is not None
    if pin:
        os.sched_setaffinity(0, pinning.client_cores)
    print(f"{args.workers} server process(es): {pinning.describe()}", flush=True)
    servers = [start_daphne(core, n) for n, core in enumerate(pinning.server_cores)]
    procs, ports = [proc for proc, _ in servers], [port for _, port in servers]
    rows = []
    try:
        for group in sized:
            for scenario in args.scenarios:
                levels = args.concurrency if scenario == "history" else [args.side_concurrency]
                for workers in levels:
                    row = measure(procs, ports, meta["token"], scenario, group, workers, args)
                    row["pinned"] = pin
                    rows.append(row)
                    print(
                        f"{scenario:8} {group['size']:>8} msgs  c={workers:<3} {row['rate']:7.1f}/s  "
                        f"p50 {row['p50_ms']:6.1f}  p95 {row['p95_ms']:6.1f}  p99 {row['p99_ms']:6.1f}  "
                        f"max {row['max_ms']:6.1f} ms  cpu {row['server_cpu_us_per_request']:6.0f} µs/req  "
                        f"db conns {row['db_connections_max']}",
                        flush=True,
                    )
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
    result = {
        "machine": {
            "cpus": os.cpu_count(),
            "load_avg_at_end": os.getloadavg(),
            "python": sys.version.split()[0],
        },
        "seed": {k: meta.get(k) for k in ("seed_seconds", "seed_total_seconds")},
        "rows": rows,
    }
    name = "history.json" if args.workers == 1 else f"history-w{args.workers}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=1))
    largest = max(sized, key=lambda g: g["size"])
    (RESULTS / "history_explain.txt").write_text(explain(largest))
    print(f"wrote {RESULTS / name} and {RESULTS / 'history_explain.txt'}")


if __name__ == "__main__":
    main()
