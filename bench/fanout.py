"""Live fan-out benchmark: one daphne worker on PostgreSQL + Redis, N member sockets in one group,
one sender posting M messages over REST; measures end-to-end deliveries per second (every socket
must receive every message) and the send latency as the sender sees it.

    .venv/bin/python bench/fanout.py --clients 200 --messages 50

Needs PostgreSQL and Redis on 127.0.0.1 (as `make test`); uses its own database `kenniscloud_bench`
(dropped and re-created) and Redis db 7 (flushed). Results go to stdout as one Markdown table row;
docs/performance.md records them with the command that produced them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import psycopg
import redis
import websockets

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DB = "kenniscloud_bench"
DB_URL = f"postgres://postgres:kenniscloud@127.0.0.1:5432/{DB}"
REDIS_URL = "redis://127.0.0.1:6379/7"
ENV = {
    **os.environ,
    "DATABASE_URL": DB_URL,
    "REDIS_URL": REDIS_URL,
    "KENNISCLOUD_CHANNEL_PREFIX": "kcbench",
    "DJANGO_DEBUG": "1",
    "KENNISCLOUD_RATE_LIMIT_MESSAGES": "100000",
    "KENNISCLOUD_ANON_RATE": "100000/minute",
    "KENNISCLOUD_DISABLE_AUTH_RATE_LIMITS": "1",
}

SETUP = """
import os
from accounts.models import User
from accounts.services import api_token_create
from chat import services as chat
from groups import services as groups
from groups.models import Library
n = int(os.environ["BENCH_CLIENTS"])
library = Library.objects.create(name="Bench", slug="bench")
owner = User.objects.create_user(email="owner@bench.example", password="bench-pass-123", display_name="Owner")
groups.librarian_add(library=library, user=owner)
group = groups.group_create(actor=owner, library=library, name="Bench", slug="bench")
thread = chat.thread_create(actor=owner, group=group, title="Bench")
tokens = []
for i in range(n + 1):
    email = f"u{i}@bench.example"
    user = User.objects.create_user(email=email, password="bench-pass-123", display_name=f"U{i}")
    groups.group_join(actor=user, group=group)
    tokens.append(api_token_create(email=user.email, password="bench-pass-123", name="bench")[1])
print(thread.pk)
print(" ".join(tokens))
"""


def reset() -> None:
    with psycopg.connect("postgres://postgres:kenniscloud@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    redis.Redis.from_url(REDIS_URL).flushdb()
    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=ENV, check=True)


def start_daphne() -> tuple[subprocess.Popen, int]:
    log = open("/tmp/kc-bench-daphne.log", "w")
    proc = subprocess.Popen(
        [str(Path(PY).parent / "daphne"), "-b", "127.0.0.1", "-p", "0", "backend.asgi:application"],
        cwd=ROOT,
        env=ENV,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = re.search(r"Listening on TCP address 127\.0\.0\.1:(\d+)", Path(log.name).read_text())
        if found:
            return proc, int(found.group(1))
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("daphne did not start; see /tmp/kc-bench-daphne.log")


async def run(port: int, thread: int, tokens: list[str], messages: int) -> dict:
    sender, receivers = tokens[0], tokens[1:]
    received = [0] * len(receivers)
    done = asyncio.Event()
    expected = messages

    async def receiver(i: int, token: str, ready: asyncio.Event) -> None:
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/ws/",
            additional_headers={"Authorization": f"Bearer {token}"},
            max_queue=None,
        ) as ws:
            await ws.send(json.dumps({"type": "subscribe", "group": "bench"}))
            while json.loads(await ws.recv())["type"] != "subscribed":
                pass
            ready.set()
            while received[i] < expected:
                frame = json.loads(await ws.recv())
                if frame["type"] == "message.created":
                    received[i] += 1
            if all(r >= expected for r in received):
                done.set()

    readies = [asyncio.Event() for _ in receivers]
    tasks = [asyncio.create_task(receiver(i, t, readies[i])) for i, t in enumerate(receivers)]
    await asyncio.gather(*(r.wait() for r in readies))

    def post(n: int) -> float:
        body = json.dumps({"body": f"Bericht {n}", "client_id": str(uuid.uuid4())}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/threads/{thread}/messages/",
            data=body,
            headers={"Authorization": f"Bearer {sender}", "Content-Type": "application/json"},
        )
        started = time.perf_counter()
        urllib.request.urlopen(request).read()
        return time.perf_counter() - started

    started = time.perf_counter()
    latencies = []
    for n in range(messages):
        latencies.append(await asyncio.to_thread(post, n))
    await asyncio.wait_for(done.wait(), timeout=600)
    elapsed = time.perf_counter() - started
    for task in tasks:
        task.cancel()
    deliveries = len(receivers) * messages
    return {
        "deliveries": deliveries,
        "seconds": elapsed,
        "per_second": deliveries / elapsed,
        "send_p50_ms": statistics.median(latencies) * 1000,
        "send_p95_ms": statistics.quantiles(latencies, n=20)[18] * 1000
        if len(latencies) >= 20
        else max(latencies) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--messages", type=int, default=50)
    args = parser.parse_args()
    reset()
    out = subprocess.run(
        [PY, "manage.py", "shell", "-c", SETUP],
        cwd=ROOT,
        env={**ENV, "BENCH_CLIENTS": str(args.clients)},
        check=False,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise SystemExit(out.stderr)
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    thread, tokens = int(lines[-2]), lines[-1].split()
    proc, port = start_daphne()
    try:
        result = asyncio.run(run(port, thread, tokens, args.messages))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(
        f"| {args.clients} sockets × {args.messages} messages | {result['deliveries']} | "
        f"{result['seconds']:.1f} s | {result['per_second']:.0f}/s | "
        f"{result['send_p50_ms']:.0f} ms / {result['send_p95_ms']:.0f} ms |"
    )


if __name__ == "__main__":
    main()
