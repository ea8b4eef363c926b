"""Shared start-up for the live benchmarks: a fresh database and Redis db, one group with N members
and their tokens, daphne processes pinned to cores, and the /proc figures the results are built on.

The benchmarks drive the application only over the wire (HTTP and WebSocket): the server code may
change under them, so nothing here imports or patches the apps. Setup runs `manage.py shell` in a
subprocess, through the apps' own services, as a user would have done it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PY = sys.executable
DAPHNE = str(Path(PY).parent / "daphne")
ADMIN_URL = "postgres://postgres:kenniscloud@127.0.0.1:5432/postgres"
CLK_TCK = os.sysconf("SC_CLK_TCK")
OPEN_FILES = 65536  # 2,000 sockets and more, with room for the database and Redis connections


def app_env(db: str, redis_url: str, prefix: str, **extra: str) -> dict[str, str]:
    """Production-like settings (no debug, no query log) with the per-user limits lifted: one
    benchmark user sends far more than any person may, and the limits are not what is measured."""
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres:kenniscloud@127.0.0.1:5432/{db}",
        "REDIS_URL": redis_url,
        "KENNISCLOUD_CHANNEL_PREFIX": prefix,
        "KENNISCLOUD_CACHE_PREFIX": prefix,
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": f"bench-{prefix}-not-secret-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "KENNISCLOUD_DISABLE_AUTH_RATE_LIMITS": "1",
        "KENNISCLOUD_RATE_LIMIT_MESSAGES": "100000000",
        "KENNISCLOUD_TOKEN_FAILURES_PER_HOUR": "100000000",
        # "off", not a huge rate: DRF keeps every request of the last minute per user and rewrites
        # the list on each request (24,000 entries at 400 pages/s, +1.7 ms a page).
        **{f"KENNISCLOUD_{scope}_RATE": "off" for scope in ("USER", "WRITE", "SEARCH", "ANON")},
        **extra,
    }


def run(args: list[str], env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=ROOT, env=env, check=False, capture_output=True, text=True, **kw)
    if done.returncode:
        raise SystemExit(f"{' '.join(args[:3])} failed:\n{done.stderr[-4000:]}")
    return done


def reset(db: str, redis_url: str, env: dict[str, str]) -> None:
    """Drop and re-create the benchmark's own database, flush its own Redis db, migrate."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {db}")
    redis.Redis.from_url(redis_url).flushdb()
    run([PY, "manage.py", "migrate", "-v0"], env)


SEED = """
import json, os
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
n, slug, pw = int(os.environ["BENCH_MEMBERS"]), os.environ["BENCH_GROUP"], "bench-pass-123"
library = Library.objects.create(name="Bench", slug="bench")
owner = User.objects.create_user(email="owner@bench.example", password=pw, display_name="Eigenaar")
groups.librarian_add(library=library, user=owner)
group = groups.group_create(actor=owner, library=library, name="Bench", slug=slug)
thread = chat.thread_create(actor=owner, group=group, title="Bench")
tokens = []
for i in range(n):
    email = f"u{i}@bench.example"
    user = User.objects.create_user(email=email, password=pw, display_name=f"Lid {i}")
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    groups.group_join(actor=user, group=group)
    tokens.append(api_token_create(email=email, password=pw, name="bench")[1])
group.refresh_from_db()
out = {"group": slug, "thread": thread.pk, "last_seq": group.last_seq, "tokens": tokens}
print("BENCH " + json.dumps(out))
"""


@dataclass
class Seeded:
    group: str
    thread: int
    last_seq: int
    tokens: list[str]


def seed(env: dict[str, str], members: int, group: str = "bench") -> Seeded:
    """One group with `members` members (each with a personal API token) and one thread, made by
    the apps' own services. Passwords use a fast hasher during setup only (the tokens are not
    password-hashed, so the server's token check costs what it costs in production)."""
    out = run(
        [PY, "manage.py", "shell", "-c", SEED],
        {**env, "BENCH_MEMBERS": str(members), "BENCH_GROUP": group},
        timeout=1800,
    )
    line = next(line for line in out.stdout.splitlines() if line.startswith("BENCH "))
    data = json.loads(line[6:])
    return Seeded(data["group"], data["thread"], data["last_seq"], data["tokens"])


# --- processes and pinning -------------------------------------------------------------------------


def raise_open_files() -> None:
    """Lift the soft open-file limit towards the hard one (a socket is a file)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = OPEN_FILES if hard == resource.RLIM_INFINITY else min(OPEN_FILES, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


@dataclass
class Pinning:
    """Which cores the servers and the client run on. With two or more cores and one server: the
    server on the first, the client on the rest. With two servers on two cores: one server per
    core and the client unpinned (it shares both; its CPU is reported so that shows)."""

    server_cores: list[int | None]
    client_cores: set[int] | None

    def describe(self) -> str:
        servers = ", ".join("any" if c is None else str(c) for c in self.server_cores)
        client = "any" if self.client_cores is None else ",".join(map(str, sorted(self.client_cores)))
        return f"server core(s) {servers}; client core(s) {client}"


def plan_pinning(workers: int) -> Pinning:
    cores = sorted(os.sched_getaffinity(0))
    if shutil.which("taskset") is None or len(cores) < 2:
        return Pinning([None] * workers, None)
    if workers == 1:
        return Pinning([cores[0]], set(cores[1:]))
    if len(cores) > workers:
        return Pinning(cores[:workers], set(cores[workers:]))
    return Pinning([cores[i % len(cores)] for i in range(workers)], None)


def pin_client(pinning: Pinning) -> None:
    os.sched_setaffinity(0, pinning.client_cores or set(range(os.cpu_count() or 1)))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    proc: subprocess.Popen
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid


def start(name: str, argv: list[str], env: dict[str, str], core: int | None, timeout: float = 60.0) -> Server:
    """Start one server process (argv gets `--port`-style placeholders `{port}` filled in), pinned to
    `core`, with a raised open-file limit; wait until it logs "Listening" or accepts a connection."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv = [a.replace("{port}", str(port)) for a in argv]
    if core is not None:
        argv = ["taskset", "-c", str(core), *argv]
    log = RESULTS / f"{name}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=raise_open_files
        )
    server = Server(name, proc, port, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{name} exited with {proc.returncode}; see {log}")
        if re.search(r"Listening on TCP address 127\.0\.0\.1:\d+", log.read_text(errors="replace")):
            return server
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.1)
    stop([server])
    raise SystemExit(f"{name} did not start; see {log}")


def start_daphne(name: str, application: str, env: dict[str, str], core: int | None) -> Server:
    return start(name, [DAPHNE, "-b", "127.0.0.1", "-p", "{port}", application], env, core)


def counter(servers: Sequence[Server], name: str) -> float:
    """The sum over `servers` of one counter from each process's own /metrics (loopback may read
    it); 0 where a server has none (the references)."""
    total = 0.0
    for server in servers:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics", timeout=5) as answer:
                text = answer.read().decode()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith(f"{name} ") or line.startswith(f"{name}{{"):
                total += float(line.rpartition(" ")[2])
    return total


def stop(servers: Sequence[Server]) -> None:
    """SIGTERM (daphne closes its sockets), then SIGKILL after 15 s: each process by its own id."""
    for server in servers:
        if server.proc.poll() is None:
            server.proc.send_signal(signal.SIGTERM)
    for server in servers:
        try:
            server.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(timeout=15)


# --- /proc figures ---------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (/proc/<pid>/stat, fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def self_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_kb(pid: int) -> int:
    """Resident set size in KiB (/proc/<pid>/status VmRSS); 0 if the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def pct(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (nearest rank) of values, or None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "cpu_model": next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            None,
        ),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "load_avg": os.getloadavg(),
    }


# --- a cheap WebSocket client ---------------------------------------------------------------------
#
# One client core must keep up with tens of thousands of frames per second over thousands of
# sockets, so the benchmarks do not use a general WebSocket library on the receiving side: this is a
# bare asyncio.Protocol that parses RFC 6455 frames from the stream and hands each text payload (as
# bytes) to `text()`. Subclasses look at the bytes they need instead of decoding every frame's JSON.
# Client frames are masked as the RFC requires; the server's pings are answered with pongs (daphne
# closes a socket that does not answer within --ping-timeout).


class WsProtocol(asyncio.Protocol):
    def __init__(self, port: int, token: str | None = None, query: str = "") -> None:
        self.port, self.token, self.query = port, token, query
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.upgraded = False
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.close_code = 0

    # connection ---------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        auth = f"Authorization: Bearer {self.token}\r\n" if self.token else ""
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            (
                f"GET /ws/{self.query} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"{auth}\r\n"
            ).encode()
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"closed before the upgrade: {exc}"))
        if not self.closed.done():
            self.closed.set_result(self.close_code or 1006)
        self.on_closed()

    def on_closed(self) -> None:
        """Called once when the connection is gone (by either side)."""

    def abort(self) -> None:
        """Drop the connection without a closing handshake (a network drop, a killed tab)."""
        if self.transport is not None:
            self.transport.abort()

    # frames -------------------------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buf[: buf.find(b"\r\n")])
            del buf[: end + 4]
            if b" 101 " not in status:
                self.opened.set_exception(ConnectionError(status.decode(errors="replace")))
                if self.transport is not None:
                    self.transport.close()
                return
            self.upgraded = True
            self.opened.set_result(None)
        n, pos = len(buf), 0
        while n - pos >= 2:
            length = buf[pos + 1] & 0x7F
            if length < 126:
                head = 2
            elif length == 126:
                if n - pos < 4:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 4]), 4
            else:
                if n - pos < 10:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 10]), 10
            end = pos + head + length
            if end > n:
                break
            opcode = buf[pos] & 0x0F
            payload = bytes(buf[pos + head : end])
            pos = end
            if opcode in (1, 2, 0):  # daphne (autobahn) does not fragment, so a frame is a message
                self.text(payload)
            elif opcode == 9:
                self.send_frame(10, payload)
            elif opcode == 8:
                self.close_code = int.from_bytes(payload[:2]) if len(payload) >= 2 else 1005
                if self.transport is not None:
                    self.transport.close()
        if pos:
            del buf[:pos]

    def text(self, payload: bytes) -> None:
        """One text message from the server."""

    def send_frame(self, opcode: int, payload: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        n = len(payload)
        if n < 126:
            head = bytes((0x80 | opcode, 0x80 | n))
        elif n < 65536:
            head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2)
        else:
            head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8)
        key = os.urandom(4)
        mask = int.from_bytes((key * (n // 4 + 1))[:n])
        self.transport.write(head + key + (int.from_bytes(payload) ^ mask).to_bytes(n))

    def send_json(self, frame: dict) -> None:
        self.send_frame(1, json.dumps(frame).encode())

    def send_text(self, text: str) -> None:
        self.send_frame(1, text.encode())


async def connect(proto: WsProtocol, timeout: float = 60.0) -> WsProtocol:
    """Open the TCP connection and wait for the WebSocket upgrade."""
    loop = asyncio.get_running_loop()
    await asyncio.wait_for(loop.create_connection(lambda: proto, "127.0.0.1", proto.port), timeout)
    await asyncio.wait_for(proto.opened, timeout)
    return proto


async def connect_all(protos: Sequence[WsProtocol], concurrency: int = 100) -> None:
    """Connect many sockets, at most `concurrency` handshakes at a time (a listen backlog of 100 and
    the server's accept loop would otherwise drop SYNs and add seconds of TCP retransmit)."""
    gate = asyncio.Semaphore(concurrency)

    async def one(proto: WsProtocol) -> None:
        async with gate:
            await connect(proto)

    await asyncio.gather(*(one(p) for p in protos))


# --- profiles ---------------------------------------------------------------------------------------


def py_spy(pid: int, seconds: float, raw: Path) -> subprocess.Popen | None:
    """Start sampling a server with py-spy (a dev dependency) for `seconds`; None without it."""
    binary = Path(sys.executable).with_name("py-spy")
    if not binary.exists():
        return None
    return subprocess.Popen(
        [
            str(binary),
            "record",
            "-p",
            str(pid),
            "-d",
            str(max(1, round(seconds))),
            "-r",
            "250",
            "--nonblocking",
            "-f",
            "raw",
            "-o",
            str(raw),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def profile_summary(raw: Path, top: int = 40) -> str:
    """Where a server's samples went, from py-spy's collapsed stacks: per function, the share of
    samples it was on the stack (inclusive) and at the top (self). Idle waits are not samples."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        names = [_frame_name(frame) for frame in stack.split(";")]
        for name in set(names):
            inclusive[name] = inclusive.get(name, 0) + n
        own[names[-1]] = own.get(names[-1], 0) + n
    if not total:
        return "no samples"

    def ranked(counts: dict[str, int]) -> list[str]:
        best = sorted(counts.items(), key=lambda kv: -kv[1])[:top]
        return [f"{100 * n / total:5.1f}%  {name}" for name, n in best]

    out = [f"{total} samples", "", "inclusive (on the stack):", *ranked(inclusive)]
    out += ["", "self (at the top of the stack):", *ranked(own)]
    return "\n".join(out)


def _frame_name(frame: str) -> str:
    function, _, where = frame.partition(" (")
    return f"{function} ({where.split(':')[0].rsplit('/', 1)[-1]})" if where else function
