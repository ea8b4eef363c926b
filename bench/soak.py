"""Soak: the real app under a steady conversation for a long time (issue #7, part 5).

Two daphne workers and a background-task worker on PostgreSQL + Redis; N sockets (bearer tokens, one
asyncio loop) split over several groups and both workers; M messages per second in total, sent open
loop by random members over their own sockets; 1% of the sockets reconnect per minute and resume with
`after_seq`; every socket pings like the browser does. Every `--sample-seconds` it records the
server processes' RSS, Redis keys and bytes per key pattern, PostgreSQL connections, the workers'
/metrics and the clients' counts. At the end every client must hold every message of its group
exactly once and in order (checked against the database).

    make soak                                  # 500 sockets, 5 messages/s, 30 minutes
    make soak SOAK_MINUTES=480                 # before a release
    .venv/bin/python bench/soak.py --minutes 2 --sockets 60 --sample-seconds 10

Pass figures: server memory growth < 10% after warm-up (the first 5 minutes, or 1/6 of a shorter
run), no growing Redis key pattern, PostgreSQL connections within the pools, 0 lost, 0 duplicates,
0 out of order, every send acked. Exits 1 when one fails. Writes bench/results/soak.json and appends
a section to docs/reliability.md ("## Soak runs").

Needs PostgreSQL and Redis on 127.0.0.1; uses its own database `kenniscloud_soak` (dropped and
re-created) and Redis db 6 (flushed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import redis
import websockets
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DAPHNE = str(Path(PY).parent / "daphne")
DB = "kenniscloud_soak"
PG_ADMIN_URL = "postgres://postgres:kenniscloud@127.0.0.1:5432/postgres"
DB_URL = f"postgres://postgres:kenniscloud@127.0.0.1:5432/{DB}"
REDIS_URL = "redis://127.0.0.1:6379/6"
PREFIX = "kcsoak"
RESULTS = ROOT / "bench" / "results" / "soak.json"
REPORT = ROOT / "docs" / "reliability.md"
LOGS = Path(os.environ.get("SOAK_LOG_DIR", "/tmp"))
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
FRAME_TIMEOUT = 30.0
RSS_GROWTH_LIMIT = 0.10
# A key pattern "grows" when the highest count in the second half of the run after warm-up exceeds
# the first half's by more than 10% plus this many keys / bytes (transient keys come and go).
KEY_SLACK = 10
BYTES_SLACK = 256 * 1024

SETUP = """
import os
from django.conf import settings
from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # setup speed only
get_hashers.cache_clear(); get_hashers_by_algorithm.cache_clear()
from allauth.account.models import EmailAddress
from accounts.models import User
from accounts.services import api_token_create
from chat import services as chat
from groups import services as groups
from groups.models import Library
sockets, group_count = int(os.environ["SOAK_SOCKETS"]), int(os.environ["SOAK_GROUPS"])
library = Library.objects.create(name="Soak", slug="soak")
owner = User.objects.create_user(email="owner@soak.example", password="soak-pass-123", display_name="Owner")
groups.librarian_add(library=library, user=owner)
rows = []
for g in range(group_count):
    group = groups.group_create(actor=owner, library=library, name=f"Soak {g}", slug=f"soak-{g}")
    thread = chat.thread_create(actor=owner, group=group, title=f"Soak {g}")
    rows.append((group, thread))
out = []
for i in range(sockets):
    group, thread = rows[i % group_count]
    email = f"u{i}@soak.example"
    user = User.objects.create_user(email=email, password="soak-pass-123", display_name=f"U{i}")
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    groups.group_join(actor=user, group=group)
    token = api_token_create(email=user.email, password="soak-pass-123", name="soak")[1]
    out.append(f"{group.pk} {group.slug} {thread.pk} {token}")
print("SOAK-BEGIN")
print("\\n".join(out))
"""


# --- the app --------------------------------------------------------------------------------------


def app_env(args: argparse.Namespace) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": DB_URL,
        "REDIS_URL": REDIS_URL,
        "KENNISCLOUD_CHANNEL_PREFIX": PREFIX,
        "KENNISCLOUD_CACHE_PREFIX": PREFIX,
        "KENNISCLOUD_DB_POOL_SIZE": str(args.pool_size),
        "DJANGO_DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "PYTHONUNBUFFERED": "1",
        # The load is many users at a modest rate each; the per-user limits are not what is soaked.
        "KENNISCLOUD_RATE_LIMIT_MESSAGES": "100000",
        "KENNISCLOUD_ANON_RATE": "100000/minute",
        "KENNISCLOUD_DISABLE_AUTH_RATE_LIMITS": "1",
    }


def reset(env: dict[str, str]) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    redis.Redis.from_url(REDIS_URL).flushdb()
    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)


@dataclass
class Member:
    group_id: int
    slug: str
    thread: int
    token: str


def create_members(env: dict[str, str], sockets: int, groups: int) -> list[Member]:
    out = subprocess.run(
        [PY, "manage.py", "shell", "-c", SETUP],
        cwd=ROOT,
        env={**env, "SOAK_SOCKETS": str(sockets), "SOAK_GROUPS": str(groups)},
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    if out.returncode or "SOAK-BEGIN" not in out.stdout:
        raise SystemExit(f"setup failed:\n{out.stderr[-4000:]}")
    lines = out.stdout.split("SOAK-BEGIN", 1)[1].split()
    return [
        Member(int(lines[i]), lines[i + 1], int(lines[i + 2]), lines[i + 3]) for i in range(0, len(lines), 4)
    ]


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    log: Path
    port: int | None = None


def start_servers(env: dict[str, str], workers: int) -> list[Server]:
    servers: list[Server] = []
    for n in range(workers):
        log = LOGS / f"kc-soak-daphne{n}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [DAPHNE, "-b", "127.0.0.1", "-p", "0", "backend.asgi:application"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        servers.append(Server(f"daphne{n}", process, log))
    log = LOGS / "kc-soak-tasks.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [PY, "manage.py", "db_worker", "--interval", "0.5", "--no-reload", "-v0"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    servers.append(Server("tasks", process, log))
    deadline = time.monotonic() + START_TIMEOUT
    for server in servers[:workers]:
        while server.port is None:
            if server.process.poll() is not None:
                stop_servers(servers)
                raise SystemExit(f"{server.name} exited; see {server.log}")
            found = re.search(
                r"Listening on TCP address 127\.0\.0\.1:(\d+)", server.log.read_text(errors="replace")
            )
            if found:
                server.port = int(found.group(1))
            elif time.monotonic() > deadline:
                stop_servers(servers)
                raise SystemExit(f"{server.name} did not start; see {server.log}")
            else:
                time.sleep(0.1)
    return servers


def stop_servers(servers: list[Server]) -> None:
    for server in servers:
        if server.process.poll() is None:
            server.process.send_signal(signal.SIGTERM)
    for server in servers:
        try:
            server.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=STOP_TIMEOUT)


# --- the clients ----------------------------------------------------------------------------------


@dataclass
class Totals:
    sent: int = 0
    acked: int = 0
    retried: int = 0
    send_errors: int = 0
    skipped: int = 0  # a send was due but no socket was subscribed
    reconnects: int = 0
    connection_errors: int = 0  # a socket closed by an error or refused (not our own reconnects)
    resyncs: int = 0
    error_codes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    close_codes: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # closes by error


class Client:
    """One member's socket: subscribes to its group, records every `message.created` it receives,
    resumes with after_seq after a reconnect and re-sends unacknowledged messages (same client_id)."""

    def __init__(self, index: int, member: Member, url: str, totals: Totals) -> None:
        self.index = index
        self.member = member
        self.url = url
        self.totals = totals
        self.ws: Any = None
        self.subscribed = False
        self.failures = 0  # connection attempts since the last successful subscribe
        self.start_seq: int | None = None
        self.last_seq: int | None = None
        self.received: list[tuple[int, int]] = []  # (seq, message id) in arrival order
        self.pending: dict[str, str] = {}  # client_id → body, until acked
        self.acked: set[str] = set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                async with websockets.connect(
                    self.url,
                    additional_headers={"Authorization": f"Bearer {self.member.token}"},
                    open_timeout=FRAME_TIMEOUT,
                    max_queue=None,
                    max_size=2**22,
                ) as ws:
                    self.ws = ws
                    subscribe: dict[str, Any] = {"type": "subscribe", "group": self.member.slug}
                    if self.last_seq is not None:
                        subscribe["after_seq"] = self.last_seq
                    await ws.send(json.dumps(subscribe))
                    async for raw in ws:
                        await self.handle(json.loads(raw))
            except ConnectionClosed as closed:
                self.totals.connection_errors += 1
                self.totals.close_codes[closed.rcvd.code if closed.rcvd else 1006] += 1
            except (InvalidHandshake, InvalidStatus, OSError, TimeoutError):
                self.totals.connection_errors += 1
            finally:
                self.ws = None
                self.subscribed = False
            if not stop.is_set():
                # The browser's back-off (frontend/src/realtime/backoff.ts): full jitter, 0.5 s
                # doubling up to 15 s, reset once subscribed.
                await asyncio.sleep(random.uniform(0, min(15.0, 0.5 * 2**self.failures)))
                self.failures += 1

    async def handle(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "subscribed":
            if self.start_seq is None:
                self.start_seq = self.last_seq = frame["last_seq"]
            self.subscribed = True
            self.failures = 0
            for client_id, body in list(self.pending.items()):
                self.totals.retried += 1
                await self._send_message(client_id, body)
        elif kind == "message.created":
            self.received.append((frame["seq"], frame["message"]["id"]))
            self.last_seq = max(self.last_seq or 0, frame["seq"])
        elif kind == "ack":
            if frame["client_id"] in self.pending:
                del self.pending[frame["client_id"]]
                self.acked.add(frame["client_id"])
                self.totals.acked += 1
        elif kind == "resync_required":
            self.totals.resyncs += 1
            self.last_seq = frame["last_seq"]
        elif kind == "error":
            self.totals.send_errors += 1
            self.totals.error_codes[frame.get("code", "?")] += 1
            client_id = frame.get("client_id")
            if client_id in self.pending:  # retriable: send again in a moment, same client_id
                asyncio.get_running_loop().call_later(
                    1.0,
                    lambda: asyncio.ensure_future(self._send_message(client_id, self.pending.get(client_id))),
                )
        elif "seq" in frame and isinstance(frame.get("seq"), int):
            self.last_seq = max(self.last_seq or 0, frame["seq"])

    async def send(self, n: int) -> None:
        client_id = str(uuid.uuid4())
        body = f"Soak-bericht {n} van {self.index}"
        self.pending[client_id] = body
        self.totals.sent += 1
        await self._send_message(client_id, body)

    async def _send_message(self, client_id: str, body: str | None) -> None:
        if body is None or self.ws is None or not self.subscribed:
            return  # sent again after the next subscribe
        frame = {"type": "message.send", "thread": self.member.thread, "body": body, "client_id": client_id}
        try:
            await self.ws.send(json.dumps(frame))
        except ConnectionClosed:
            pass

    async def ping(self) -> None:
        if self.ws is not None and self.subscribed:
            try:
                await self.ws.send('{"type": "ping"}')
            except ConnectionClosed:
                pass

    async def reconnect(self) -> None:
        if self.ws is not None:
            self.totals.reconnects += 1
            await self.ws.close()


# --- sampling -------------------------------------------------------------------------------------


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


KEY_NORMALISE = re.compile(r"[0-9a-f]{8,}|[A-Za-z0-9_-]{16,}|\d+")


def key_pattern(key: bytes) -> str:
    return KEY_NORMALISE.sub("#", key.decode(errors="replace"))


def redis_figures(client: redis.Redis) -> dict[str, Any]:
    counts: dict[str, int] = defaultdict(int)
    sizes: dict[str, int] = defaultdict(int)
    keys = list(client.scan_iter(count=1000))
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.memory_usage(key, samples=0)
    for key, size in zip(keys, pipe.execute(), strict=True):
        pattern = key_pattern(key)
        counts[pattern] += 1
        sizes[pattern] += size or 0  # a key that expired between SCAN and MEMORY USAGE
    info = client.info("memory")
    return {
        "keys": client.dbsize(),
        "bytes": sum(sizes.values()),
        "patterns": {p: {"keys": counts[p], "bytes": sizes[p]} for p in sorted(counts)},
        # The whole Redis server's memory (shared with other databases): for reference only.
        "server_used_memory": info.get("used_memory"),
    }


def pg_connections() -> int:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [DB]
        ).fetchone()
    return int(row[0]) if row else 0


METRIC_LINE = re.compile(r"^(kenniscloud_[a-z_]+)(\{[^}]*\})? ([0-9.e+-]+|NaN)$")


def worker_metrics(port: int) -> dict[str, float]:
    """The worker's own /metrics (loopback: allowed), summed over labels except `le` buckets."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            text = response.read().decode()
    except OSError:
        return {}
    figures: dict[str, float] = defaultdict(float)
    for line in text.splitlines():
        found = METRIC_LINE.match(line)
        if found and not found.group(1).endswith("_bucket") and not found.group(1).endswith("_created"):
            figures[found.group(1)] += float(found.group(3))
    return dict(figures)


def sample(t: float, servers: list[Server], clients: list[Client], totals: Totals, r: redis.Redis) -> dict:
    metrics = [worker_metrics(s.port) for s in servers if s.port is not None]

    def total(name: str) -> float:
        return sum(m.get(name, 0.0) for m in metrics)

    lag_count = total("kenniscloud_delivery_lag_seconds_count")
    return {
        "t": round(t, 1),
        "connected": sum(1 for c in clients if c.subscribed),
        "sent": totals.sent,
        "acked": totals.acked,
        "received": sum(len(c.received) for c in clients),
        "reconnects": totals.reconnects,
        "send_errors": totals.send_errors,
        "rss_mb": {s.name: rss_mb(s.process.pid) for s in servers},
        "load_average": os.getloadavg()[0],  # the whole machine: other work skews lag and memory
        "redis": redis_figures(r),
        "pg_connections": pg_connections(),
        "server": {
            "open_sockets": total("kenniscloud_open_sockets"),
            "messages": total("kenniscloud_messages_total"),
            "deliveries": total("kenniscloud_deliveries_total"),
            "gap_fills": total("kenniscloud_gap_fills_total"),
            "dropped_deliveries": total("kenniscloud_dropped_deliveries_total"),
            "lag_count": lag_count,
            "lag_sum": total("kenniscloud_delivery_lag_seconds_sum"),
            "task_queue": total("kenniscloud_task_queue_depth") / max(1, len(metrics)),
        },
    }


def print_sample(s: dict) -> None:
    rss = " ".join(f"{k}={v:.0f}" for k, v in s["rss_mb"].items() if v is not None)
    print(
        f"t={s['t']:>7.0f}s sockets={s['connected']} sent={s['sent']} acked={s['acked']} "
        f"received={s['received']} rss[MB] {rss} redis={s['redis']['keys']} keys/"
        f"{s['redis']['bytes'] / 1024:.0f} KiB pg={s['pg_connections']} "
        f"gaps={s['server']['gap_fills']:.0f}",
        flush=True,
    )


# --- the run --------------------------------------------------------------------------------------


async def soak(args: argparse.Namespace, members: list[Member], servers: list[Server]) -> dict:
    totals = Totals()
    daphnes = [s for s in servers if s.port is not None]
    clients = [
        Client(i, m, f"ws://127.0.0.1:{daphnes[i % len(daphnes)].port}/ws/", totals)
        for i, m in enumerate(members)
    ]
    stop = asyncio.Event()
    r = redis.Redis.from_url(REDIS_URL)

    # Open the sockets in batches, as users arrive: a thundering herd is another test.
    tasks = []
    for start in range(0, len(clients), 50):
        tasks += [asyncio.create_task(c.run(stop)) for c in clients[start : start + 50]]
        await asyncio.sleep(0.5)
    deadline = time.monotonic() + 120
    while sum(c.subscribed for c in clients) < len(clients):
        if time.monotonic() > deadline:
            raise SystemExit(
                f"only {sum(c.subscribed for c in clients)} of {len(clients)} sockets subscribed"
            )
        await asyncio.sleep(0.2)
    print(f"{len(clients)} sockets subscribed over {len(daphnes)} workers", flush=True)

    duration = args.minutes * 60
    began = time.monotonic()
    samples: list[dict] = []

    async def sender() -> None:
        n, due = 0, time.monotonic()
        while time.monotonic() - began < duration:
            due += 1 / args.rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            ready = [c for c in clients if c.subscribed]
            if not ready:
                totals.skipped += 1
                continue
            n += 1
            await random.choice(ready).send(n)

    async def reconnector() -> None:
        per_second = len(clients) * args.reconnect_percent / 100 / 60
        if per_second <= 0:
            return
        credit = 0.0
        while time.monotonic() - began < duration:
            await asyncio.sleep(1.0)
            credit += per_second
            while credit >= 1:
                credit -= 1
                connected = [c for c in clients if c.subscribed]
                if connected:
                    await random.choice(connected).reconnect()

    async def pinger() -> None:
        # Every socket pings once per `ping_seconds`, spread evenly (like browsers that opened at
        # different times).
        i = 0
        step = args.ping_seconds / len(clients)
        while not stop.is_set():
            await clients[i % len(clients)].ping()
            i += 1
            await asyncio.sleep(step)

    async def sampler() -> None:
        while time.monotonic() - began < duration:
            s = await asyncio.to_thread(sample, time.monotonic() - began, servers, clients, totals, r)
            samples.append(s)
            print_sample(s)
            next_at = began + len(samples) * args.sample_seconds
            await asyncio.sleep(max(0.0, min(next_at, began + duration) - time.monotonic()))

    background = [asyncio.create_task(pinger())]
    await asyncio.gather(sender(), reconnector(), sampler())

    # Drain: every acked or stored message must reach every socket of its group.
    print("sending stopped; waiting for every socket to catch up", flush=True)
    drain_deadline = time.monotonic() + 60
    pinged = False
    while time.monotonic() < drain_deadline:
        # Read again each round: a retried send may still be stored after sending stopped.
        final_seq = await asyncio.to_thread(group_last_seqs)
        behind = [c for c in clients if (c.last_seq or 0) < final_seq[c.member.group_id] or c.pending]
        if not behind:
            break
        if not pinged and time.monotonic() > drain_deadline - 40:
            for c in behind:  # the protocol's safety net: a ping fills any trailing gap
                await c.ping()
            pinged = True
        await asyncio.sleep(0.5)
    samples.append(await asyncio.to_thread(sample, time.monotonic() - began, servers, clients, totals, r))
    print_sample(samples[-1])
    stop.set()
    for c in clients:
        if c.ws is not None:
            await c.ws.close()
    for task in background + tasks:
        task.cancel()
    await asyncio.gather(*background, *tasks, return_exceptions=True)
    return {"samples": samples, "totals": totals, "clients": clients, "duration": duration}


def group_last_seqs() -> dict[int, int]:
    with psycopg.connect(DB_URL) as conn:
        return dict(conn.execute("SELECT id, last_seq FROM groups_group").fetchall())


def group_messages() -> dict[int, list[tuple[int, int]]]:
    with psycopg.connect(DB_URL) as conn:
        rows = conn.execute("SELECT group_id, seq, id FROM chat_message ORDER BY group_id, seq").fetchall()
    out: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for group_id, seq, message_id in rows:
        out[group_id].append((seq, message_id))
    return out


# --- the verdict ----------------------------------------------------------------------------------


def deliveries(clients: list[Client]) -> dict[str, Any]:
    """Every client against the database: each message of its group stored after it first
    subscribed, exactly once, in seq order."""
    stored = group_messages()
    problems = []
    expected_total = 0
    for c in clients:
        expected = [m for m in stored[c.member.group_id] if m[0] > (c.start_seq or 0)]
        expected_total += len(expected)
        got = c.received
        figures = {
            "lost": len(set(expected) - set(got)),
            "duplicates": len(got) - len(set(got)),
            "out_of_order": sum(1 for a, b in zip(got, got[1:], strict=False) if b[0] <= a[0]),
            "unacked": len(c.pending),
        }
        if any(figures.values()):
            problems.append({"client": c.index, "group": c.member.slug, **figures})
    return {
        "stored": sum(len(v) for v in stored.values()),
        "expected_deliveries": expected_total,
        **{
            name: sum(p[name] for p in problems) for name in ("lost", "duplicates", "out_of_order", "unacked")
        },
        "clients_with_problems": problems,
    }


def grows(values: list[float], slack: float) -> bool:
    half = len(values) // 2
    return max(values[half:]) > max(values[:half]) * 1.10 + slack


def add_interval_lag(samples: list[dict]) -> None:
    """The mean delivery lag of the live frames written since the previous sample (the workers'
    kenniscloud_delivery_lag_seconds histogram), in ms."""
    previous = {"lag_sum": 0.0, "lag_count": 0.0}
    for s in samples:
        count = s["server"]["lag_count"] - previous["lag_count"]
        total = s["server"]["lag_sum"] - previous["lag_sum"]
        s["lag_ms"] = total / count * 1000 if count > 0 else None
        previous = s["server"]


def judge(args: argparse.Namespace, run: dict, servers: list[Server]) -> tuple[list[dict], dict]:
    samples = run["samples"]
    warmup = min(300.0, run["duration"] / 6)
    after = [s for s in samples if s["t"] >= warmup]
    checks: list[dict] = []

    def check(name: str, ok: bool, figure: str) -> None:
        checks.append({"check": name, "pass": bool(ok), "figure": figure})

    enough = len(after) >= 3
    for server in servers:
        series = [s["rss_mb"][server.name] for s in after if s["rss_mb"].get(server.name)]
        if not enough or len(series) < 2:
            check(f"memory {server.name}", False, f"too few samples after warm-up ({len(series)})")
            continue
        growth = (series[-1] - series[0]) / series[0]
        check(
            f"memory {server.name}",
            growth < RSS_GROWTH_LIMIT,
            f"{series[0]:.1f} → {series[-1]:.1f} MB ({growth * 100:+.1f}%, limit +10%)",
        )
    if enough:
        patterns = sorted({p for s in after for p in s["redis"]["patterns"]})
        growing = [
            p
            for p in patterns
            if grows([s["redis"]["patterns"].get(p, {"keys": 0})["keys"] for s in after], KEY_SLACK)
        ]
        keys = [s["redis"]["keys"] for s in after]
        check(
            "Redis keys",
            not growing and not grows(keys, KEY_SLACK),
            f"{keys[0]} → {keys[-1]} keys (max {max(keys)}); growing: {', '.join(growing) or 'none'}",
        )
        size = [s["redis"]["bytes"] for s in after]
        check(
            "Redis bytes (this database)",
            not grows(size, BYTES_SLACK),
            f"{size[0] / 1024:.0f} → {size[-1] / 1024:.0f} KiB (max {max(size) / 1024:.0f})",
        )
    else:
        check("Redis keys", False, f"too few samples after warm-up ({len(after)})")
    pool_limit = len(servers) * args.pool_size
    most = max(s["pg_connections"] for s in samples)
    check(
        "PostgreSQL connections", most <= pool_limit, f"max {most} (pools: {len(servers)} × {args.pool_size})"
    )
    figures = deliveries(run["clients"])
    for name in ("lost", "duplicates", "out_of_order", "unacked"):
        check(name.replace("_", " "), figures[name] == 0, str(figures[name]))
    check("resync_required", run["totals"].resyncs == 0, str(run["totals"].resyncs))
    return checks, figures


# --- the report -----------------------------------------------------------------------------------


def summary_rows(samples: list[dict], limit: int = 12) -> list[dict]:
    if len(samples) <= limit:
        return samples
    step = (len(samples) - 1) / (limit - 1)
    return [samples[round(i * step)] for i in range(limit)]


def markdown(args: argparse.Namespace, command: str, result: dict) -> str:
    verdict = "PASS" if result["pass"] else "FAIL"
    names = list(result["samples"][0]["rss_mb"]) if result["samples"] else []
    loads = [s["load_average"] for s in result["samples"]]
    lines = [
        f"### {result['finished']} — {args.minutes:g} min, {args.sockets} sockets, "
        f"{args.rate:g} messages/s — {verdict}",
        "",
        f"`{command}` — {args.groups} groups, {args.workers} daphne workers + 1 task worker, "
        f"{args.reconnect_percent:g}% reconnecting per minute, pings every {args.ping_seconds:g} s, "
        f"warm-up {result['warmup_seconds']:.0f} s. Sent {result['totals']['sent']}, acked "
        f"{result['totals']['acked']}, stored {result['deliveries']['stored']}, "
        f"{result['totals']['reconnects']} reconnects. Machine: {os.cpu_count()} CPUs, load average "
        f"{min(loads, default=0):.1f}–{max(loads, default=0):.1f} during the run.",
        "",
        "| t (s) | sockets | sent | acked | received | "
        + " | ".join(f"RSS {n} (MB)" for n in names)
        + " | Redis keys | Redis KiB | PG conns | gap fills | live lag (ms) |",
        "| " + " | ".join(["---"] * (10 + len(names))) + " |",
    ]
    for s in summary_rows(result["samples"]):
        lag = s["lag_ms"]
        rss = " | ".join(f"{s['rss_mb'][n]:.0f}" if s["rss_mb"].get(n) else "–" for n in names)
        lines.append(
            f"| {s['t']:.0f} | {s['connected']} | {s['sent']} | {s['acked']} | {s['received']} | {rss} | "
            f"{s['redis']['keys']} | {s['redis']['bytes'] / 1024:.0f} | {s['pg_connections']} | "
            f"{s['server']['gap_fills']:.0f} | {'–' if lag is None else f'{lag:.0f}'} |"
        )
    lines += ["", "| check | figure | result |", "| --- | --- | --- |"]
    lines += [
        f"| {c['check']} | {c['figure']} | {'pass' if c['pass'] else 'FAIL'} |" for c in result["checks"]
    ]
    return "\n".join(lines) + "\n"


def append_report(section: str) -> None:
    """Add the run at the end of the "## Soak runs" section; create the file or section if missing."""
    text = REPORT.read_text() if REPORT.exists() else "# Reliability\n"
    if not re.search(r"^## Soak runs[ \t]*$", text, flags=re.MULTILINE):
        text = text.rstrip("\n") + "\n\n## Soak runs\n\n`make soak` (bench/soak.py); newest last.\n"
    heading = re.search(r"^## Soak runs[ \t]*$", text, flags=re.MULTILINE)
    assert heading is not None
    following = re.search(r"^## ", text[heading.end() :], flags=re.MULTILINE)
    end = heading.end() + following.start() if following else len(text)
    before, after = text[:end].rstrip("\n") + "\n\n" + section, text[end:]
    REPORT.write_text(before + ("\n" + after if after else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES", "30")))
    parser.add_argument("--sockets", type=int, default=500)
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--rate", type=float, default=5.0, help="messages per second, in total")
    parser.add_argument("--reconnect-percent", type=float, default=1.0, help="of the sockets, per minute")
    parser.add_argument("--ping-seconds", type=float, default=25.0, help="each socket pings this often")
    parser.add_argument("--sample-seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2, help="daphne processes")
    parser.add_argument("--pool-size", type=int, default=10, help="KENNISCLOUD_DB_POOL_SIZE per process")
    parser.add_argument("--no-report", action="store_true", help="do not append to docs/reliability.md")
    args = parser.parse_args()
    if args.groups > args.sockets:
        parser.error("--groups must not exceed --sockets")
    command = "python bench/soak.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])

    env = app_env(args)
    print(f"setting up {DB} and Redis db 6 …", flush=True)
    reset(env)
    members = create_members(env, args.sockets, args.groups)
    servers = start_servers(env, args.workers)
    print("servers: " + ", ".join(f"{s.name} pid {s.process.pid}" for s in servers), flush=True)
    try:
        run = asyncio.run(soak(args, members, servers))
        add_interval_lag(run["samples"])
        checks, figures = judge(args, run, servers)
    finally:
        stop_servers(servers)

    totals: Totals = run["totals"]
    result = {
        "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command,
        "options": vars(args),
        "warmup_seconds": min(300.0, run["duration"] / 6),
        "totals": {
            "sent": totals.sent,
            "acked": totals.acked,
            "retried": totals.retried,
            "send_errors": totals.send_errors,
            "error_codes": dict(totals.error_codes),
            "skipped": totals.skipped,
            "reconnects": totals.reconnects,
            "connection_errors": totals.connection_errors,
            "close_codes": dict(totals.close_codes),
            "resyncs": totals.resyncs,
        },
        "deliveries": figures,
        "checks": checks,
        "pass": all(c["pass"] for c in checks),
        "samples": run["samples"],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1))
    section = markdown(args, command, result)
    if not args.no_report:
        append_report(section)
    print()
    print(section)
    print(
        f"figures: {RESULTS.relative_to(ROOT)}"
        + ("" if args.no_report else f"; report: {REPORT.relative_to(ROOT)}")
    )
    print("VERDICT:", "PASS" if result["pass"] else "FAIL")
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
