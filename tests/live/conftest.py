"""Two real daphne processes serving `backend.asgi:application`, sharing the test database and Redis
with the test process — the way production runs several workers behind one load balancer.

The workers are started once per module (they cost ~2 s each) and stopped by process id. Tests
create their data with committed transactions (`transaction=True`) so the workers can see it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connections
from websockets.asyncio.client import ClientConnection, connect

from accounts.models import User
from accounts.services import api_token_create
from tests.conftest import PASSWORD
from tests.resources.conftest import preview_server  # noqa: F401 - a fixture for test_zero_config

REPO = Path(__file__).resolve().parents[2]
DAPHNE = Path(sys.executable).with_name("daphne")
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
FRAME_TIMEOUT = 10.0
# The tests send bursts of 50 messages from one user; the default limit (20 per 10 s) would stop them.
LIVE_RATE_LIMIT = "500"


@dataclass
class Worker:
    process: subprocess.Popen
    port: int
    log: Path

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-40:])


def _wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _test_database_url() -> str:
    # pytest-django has switched NAME to the test database (test_<name>) by now.
    name = settings.DATABASES["default"]["NAME"]
    return urlparse(os.environ["DATABASE_URL"])._replace(path=f"/{name}").geturl()


def _start(log: Path, env: dict[str, str], args: tuple[str, ...] = ()) -> subprocess.Popen:
    """A daphne worker; `args`: more daphne options (e.g. its keep-alive ping)."""
    # Port 0: the kernel picks a free port and daphne logs it, so concurrent runs never collide.
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(DAPHNE), "-b", "127.0.0.1", "-p", "0", *args, "backend.asgi:application"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _listening_port(process: subprocess.Popen, log: Path) -> int | None:
    if process.poll() is not None:
        raise RuntimeError(f"daphne exited with {process.returncode}:\n{log.read_text(errors='replace')}")
    match = re.search(r"Listening on TCP address 127\.0\.0\.1:(\d+)", log.read_text(errors="replace"))
    return int(match.group(1)) if match else None


def _healthy(worker: Worker) -> bool:
    try:
        with urllib.request.urlopen(f"{worker.http_url}/healthz", timeout=2) as response:
            return response.status == 200 and json.load(response) == {"status": "ok"}
    except OSError:
        return False


def _ready(process: subprocess.Popen, log: Path) -> Worker:
    port = _wait_for(lambda: _listening_port(process, log), START_TIMEOUT, f"daphne to listen ({log})")
    worker = Worker(process=process, port=port, log=log)
    _wait_for(lambda: _healthy(worker), START_TIMEOUT, f"/healthz on {worker.http_url} ({log})")
    return worker


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)


def worker_env(**extra: str) -> dict[str, str]:
    """A worker's environment: the test database and Redis, plus `extra` settings."""
    return {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": os.environ["REDIS_URL"],
        "KENNISCLOUD_CHANNEL_PREFIX": settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
        "KENNISCLOUD_RATE_LIMIT_MESSAGES": LIVE_RATE_LIMIT,
        "DJANGO_DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


@contextlib.contextmanager
def running_workers(count: int, logs: Path, env: dict[str, str]) -> Iterator[list[Worker]]:
    """`count` daphne workers on free ports, answering /healthz; stopped on exit."""
    started: list[tuple[subprocess.Popen, Path]] = []
    try:
        for n in range(count):
            log = logs / f"worker{n}.log"
            started.append((_start(log, env), log))
        yield [_ready(process, log) for process, log in started]
    finally:
        for process, _log in started:
            _stop(process)


@pytest.fixture(scope="module")
def workers(django_db_setup, tmp_path_factory) -> Iterator[list[Worker]]:
    """Two daphne workers on free ports, answering /healthz."""
    with running_workers(2, tmp_path_factory.mktemp("daphne"), worker_env()) as running:
        yield running


@pytest.fixture
def live_password_hashing(settings) -> None:
    # Tokens are issued by checking the password; PBKDF2 would cost ~0.3 s per token.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def token_for(live_password_hashing) -> Callable[[User], Awaitable[str]]:
    """`await token_for(user)`: a real personal API token, issued in the test process and checked by
    the workers."""

    def issue(user: User) -> str:
        _token, raw = api_token_create(email=user.email, password=PASSWORD, name="live test")
        return raw

    return database_sync_to_async(issue)


class LiveClient:
    """A websockets client on one worker. `next()` skips presence frames unless asked."""

    def __init__(self, connection: ClientConnection, worker: Worker) -> None:
        self.connection = connection
        self.worker = worker

    async def send(self, frame_type: str, **fields: Any) -> None:
        await self.connection.send(json.dumps({"type": frame_type, **fields}))

    async def next(self, *, ignore: tuple[str, ...] = ("presence",), timeout: float = FRAME_TIMEOUT) -> dict:
        while True:
            async with asyncio.timeout(timeout):
                raw = await self.connection.recv()
            frame = json.loads(raw)
            if frame["type"] not in ignore:
                return frame

    async def expect(self, frame_type: str, **kwargs: Any) -> dict:
        frame = await self.next(**kwargs)
        assert frame["type"] == frame_type, frame
        return frame

    async def subscribe(self, slug: str, after_seq: int | None = None) -> tuple[list[dict], dict]:
        fields: dict[str, Any] = {"group": slug}
        if after_seq is not None:
            fields["after_seq"] = after_seq
        await self.send("subscribe", **fields)
        frames = []
        while (frame := await self.next())["type"] != "subscribed":
            frames.append(frame)
        assert frame["group"] == slug, frame
        return frames, frame

    async def close(self) -> None:
        await self.connection.close()


@pytest.fixture
async def open_client() -> AsyncIterator[Callable[[Worker, str], Awaitable[LiveClient]]]:
    """`await open_client(worker, token)` → a connected bot-style client (Bearer token, no Origin)."""
    opened: list[LiveClient] = []

    async def _open(worker: Worker, token: str) -> LiveClient:
        connection = await connect(
            worker.ws_url,
            additional_headers={"Authorization": f"Bearer {token}"},
            open_timeout=FRAME_TIMEOUT,
        )
        client = LiveClient(connection, worker)
        opened.append(client)
        return client

    yield _open
    for client in opened:
        await client.close()
    # ORM calls from the test ran on asgiref's worker thread; don't leave its connection open.
    await database_sync_to_async(connections.close_all)()
