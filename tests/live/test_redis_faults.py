"""Redis fault drills (issue #7): real daphne workers on a PRIVATE redis-server that the drills kill,
restart empty, expire and back up — never the shared server. Real websockets clients with bearer
tokens. Each drill prints its measured figures; only the issue's pass figures are asserted as bounds.

Clients here ping every PING_INTERVAL seconds (the browser client pings every 25 s,
frontend/src/realtime/client.ts `pingIntervalMs`), and reconnect with jittered back-off.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import socket
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import connections
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from chat.models import Message, Thread
from chat.services import thread_create
from groups.models import Group
from tests.conftest import add_member, make_user

from .conftest import LIVE_RATE_LIMIT, Worker, _ready, _start, _stop, _test_database_url
from .redis_server import PrivateRedis

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

PING_INTERVAL = 2.0
# daphne closes a socket that does not answer its keep-alive ping: production runs daphne's defaults
# (ping after 20 s idle, close 30 s later: a stalled socket is gone within 50 s); the drills use
# shorter ones so the stalled-reader drill fits in the test budget.
DAPHNE_PING_INTERVAL = 2
DAPHNE_PING_TIMEOUT = 4
ANSWER_TIMEOUT = 15.0  # a send that gets neither ack nor error this long is a failure
BACKOFF_BASE = 0.1
BACKOFF_CAP = 1.0
T0 = time.monotonic()
TIMELINE: dict[str, float] = {}


# --- servers ----------------------------------------------------------------------------------


DAPHNE_PING = ("--ping-interval", str(DAPHNE_PING_INTERVAL), "--ping-timeout", str(DAPHNE_PING_TIMEOUT))


def _worker_env(redis_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": redis_url,
        "KENNISCLOUD_CHANNEL_PREFIX": "drill",
        "KENNISCLOUD_RATE_LIMIT_MESSAGES": LIVE_RATE_LIMIT,
        "DJANGO_DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def _start_workers(logs: Path, env: dict[str, str], count: int) -> tuple[list, list[Worker]]:
    started = []
    for n in range(count):
        log = logs / f"worker{n}.log"
        started.append((_start(log, env, DAPHNE_PING), log))
    return started, [_ready(process, log) for process, log in started]


@pytest.fixture(scope="module")
def private_redis(tmp_path_factory) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path_factory.mktemp("redis") / "redis.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def drill_workers(django_db_setup, private_redis, tmp_path_factory) -> Iterator[list[Worker]]:
    """Two daphne workers on the private Redis."""
    started: list = []
    try:
        started, running = _start_workers(
            tmp_path_factory.mktemp("daphne"), _worker_env(private_redis.url), 2
        )
        yield running
    finally:
        for process, _log in started:
            _stop(process)


@pytest.fixture
def redis_up(private_redis) -> PrivateRedis:
    """The private Redis, running (a drill before may have left it killed after a failure)."""
    if private_redis.process is None or private_redis.process.poll() is not None:
        private_redis.start()
    return private_redis


class LogWatch:
    """What the workers log from now on: a traceback means a consumer task died or a frame failed."""

    def __init__(self, workers: list[Worker]) -> None:
        self.starts = {worker.log: worker.log.stat().st_size for worker in workers}

    def new_text(self) -> str:
        text = []
        for log, start in self.starts.items():
            with log.open("rb") as handle:
                handle.seek(start)
                text.append(handle.read().decode(errors="replace"))
        return "\n".join(text)

    def assert_no_traceback(self) -> None:
        text = self.new_text()
        assert "Traceback" not in text and "Exception inside application" not in text, text[-6000:]


# --- data ---------------------------------------------------------------------------------------


def _conversation(size: int) -> tuple[Group, Thread, list]:
    from groups import services as group_services
    from tests.conftest import make_group, make_library

    library = make_library()
    librarian = make_user("Bibliothecaris")
    group_services.librarian_add(library=library, user=librarian)
    group = make_group(library, visibility="closed", creator=librarian)
    users = [make_user(f"Deelnemer {n}") for n in range(size)]
    for user in users:
        add_member(group, user)
    thread = thread_create(actor=librarian, group=group, title="Storing")
    group.refresh_from_db()
    return group, thread, users


# --- a resilient client ---------------------------------------------------------------------------


class DrillClient:
    """A websockets client the way the browser client behaves: it reads all the time, pings every
    PING_INTERVAL, reconnects with jittered back-off and resubscribes with `after_seq`, and retries
    a send with the same `client_id` until it is acked. It records everything it saw."""

    def __init__(
        self, name: str, worker: Worker, token: str, slug: str, ping_interval: float | None = PING_INTERVAL
    ) -> None:
        self.ping_interval = ping_interval  # None: this client never pings
        self.name = name
        self.worker = worker
        self.token = token
        self.slug = slug
        self.connection: ClientConnection | None = None
        self.last_seq: int | None = None
        self.seqs: list[int] = []  # every sequenced frame received, in order
        self.received: dict[int, float] = {}  # message id -> monotonic time it arrived
        self.waiters: dict[str, asyncio.Future] = {}
        self.ack_count = 0
        self.retriable_errors = 0
        self.other_errors: list[dict] = []
        self.close_codes: list[int | None] = []
        self.connects = 0
        self.pongs = 0
        self.pong_times: list[float] = []
        self.ping_errors: list[float] = []
        self.pings_sent: list[float] = []
        self.resyncs = 0
        self.presence: list[tuple[float, list[int]]] = []
        self.live = asyncio.Event()  # connected and subscribed
        self._tasks: list[asyncio.Task] = []
        self._stopping = False

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._run()), asyncio.create_task(self._pinger())]
        await asyncio.wait_for(self.live.wait(), timeout=ANSWER_TIMEOUT)

    async def stop(self) -> None:
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.connection is not None:
            await self.connection.close()

    async def _run(self) -> None:
        attempt = 0
        while not self._stopping:
            try:
                self.connection = await connect(
                    self.worker.ws_url,
                    additional_headers={"Authorization": f"Bearer {self.token}"},
                    open_timeout=ANSWER_TIMEOUT,
                    max_queue=None,
                )
                self.connects += 1
                await self._subscribe()
                async for raw in self.connection:
                    attempt = 0
                    self._on_frame(json.loads(raw))
                self.close_codes.append(self.connection.close_code)
            except (OSError, ConnectionClosed, TimeoutError) as error:
                code = getattr(getattr(error, "rcvd", None), "code", None)
                self.close_codes.append(code)
            self.live.clear()
            self.connection = None
            for waiter in self.waiters.values():
                if not waiter.done():
                    waiter.set_result(None)  # no answer: the sender retries
            await asyncio.sleep(random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)))
            attempt += 1

    async def _subscribe(self) -> None:
        fields: dict[str, Any] = {"type": "subscribe", "group": self.slug, "ref": "subscribe"}
        if self.last_seq is not None:
            fields["after_seq"] = self.last_seq
        await self.connection.send(json.dumps(fields))

    async def _subscribe_later(self, connection: ClientConnection) -> None:
        await asyncio.sleep(random.uniform(BACKOFF_BASE, BACKOFF_CAP))
        if self.connection is connection:
            try:
                await self._subscribe()
            except ConnectionClosed:
                pass

    async def _pinger(self) -> None:
        if self.ping_interval is None:
            return
        await asyncio.sleep(random.uniform(0, self.ping_interval))  # clients do not ping in step
        while True:
            await asyncio.sleep(self.ping_interval)
            if self.connection is not None and self.live.is_set():
                try:
                    await self.connection.send(json.dumps({"type": "ping", "ref": "ping"}))
                    self.pings_sent.append(time.monotonic())
                except ConnectionClosed:
                    pass

    def _on_frame(self, frame: dict) -> None:
        kind = frame["type"]
        if "seq" in frame and "group" in frame:
            seq = frame["seq"]
            self.seqs.append(seq)
            self.last_seq = seq if self.last_seq is None else max(self.last_seq, seq)
            if kind == "message.created":
                self.received.setdefault(frame["message"]["id"], time.monotonic())
        elif kind == "subscribed":
            if self.last_seq is None:
                self.last_seq = frame["last_seq"]
            self.live.set()
        elif kind == "resync_required":
            self.resyncs += 1
        elif kind == "pong":
            self.pongs += 1
            self.pong_times.append(time.monotonic())
        elif kind == "presence":
            self.presence.append((time.monotonic(), [user["id"] for user in frame["online"]]))
        elif kind == "error" and frame.get("ref") == "subscribe" and frame.get("retriable"):
            self.retriable_errors += 1
            self._tasks.append(asyncio.create_task(self._subscribe_later(self.connection)))
        elif kind == "error" and frame.get("ref") == "ping" and frame.get("retriable"):
            self.retriable_errors += 1
            self.ping_errors.append(time.monotonic())
        elif kind in ("ack", "error"):
            waiter = self.waiters.get(frame.get("client_id") or frame.get("ref") or "")
            if waiter is not None and not waiter.done():
                waiter.set_result(frame)
            elif kind == "error":
                self.other_errors.append(frame)

    async def request(self, frame: dict, key: str) -> dict | None:
        """Send a frame and wait for the ack/error that names `key`; None if the socket went down."""
        waiter = asyncio.get_running_loop().create_future()
        self.waiters[key] = waiter
        try:
            if self.connection is None or not self.live.is_set():
                return None
            try:
                await self.connection.send(json.dumps(frame))
            except ConnectionClosed:
                return None
            try:
                return await asyncio.wait_for(waiter, timeout=ANSWER_TIMEOUT)
            except TimeoutError:
                raise AssertionError(
                    f"{self.name}: no answer to {frame['type']} in {ANSWER_TIMEOUT} s "
                    f"(sent at {time.monotonic() - ANSWER_TIMEOUT - T0:.1f} s; {TIMELINE})"
                ) from None
        finally:
            self.waiters.pop(key, None)

    async def send_message(self, thread_id: int, body: str, deadline: float) -> dict:
        """Send until acked, always with the same client_id."""
        client_id = str(uuid.uuid4())
        frame = {"type": "message.send", "thread": thread_id, "body": body, "client_id": client_id}
        attempt = 0
        while True:
            answer = await self.request(frame, client_id)
            if answer is not None and answer["type"] == "ack":
                self.ack_count += 1
                return answer
            if answer is not None:
                if not answer.get("retriable"):
                    self.other_errors.append(answer)
                    raise AssertionError(f"{self.name}: a send got a non-retriable error: {answer}")
                self.retriable_errors += 1
            assert time.monotonic() < deadline, f"{self.name}: a send was not acked before the deadline"
            await asyncio.sleep(random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)))
            attempt += 1

    def first_pong_after(self, moment: float) -> float | None:
        return next((t for t in self.pong_times if t > moment), None)

    async def ping_pong(self) -> None:
        before = self.pongs
        await asyncio.wait_for(self.live.wait(), timeout=ANSWER_TIMEOUT)
        await self.connection.send(json.dumps({"type": "ping"}))
        async with asyncio.timeout(ANSWER_TIMEOUT):
            while self.pongs == before:
                await asyncio.sleep(0.02)


async def _wait_until(condition, timeout: float, what: str) -> float:
    """Poll until `condition()`; return the monotonic time it became true."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)
    return time.monotonic()


@pytest.fixture
async def open_clients(token_for):
    """`await open_clients(workers, users, slug)`: one started DrillClient per user, spread over the
    workers; all stopped after the test."""
    opened: list[DrillClient] = []

    async def _open(
        workers: list[Worker], users: list, slug: str, ping_interval: float | None = PING_INTERVAL
    ) -> list[DrillClient]:
        tokens = [await token_for(user) for user in users]
        clients = [
            DrillClient(f"client{len(opened) + n}", workers[n % len(workers)], token, slug, ping_interval)
            for n, token in enumerate(tokens)
        ]
        opened.extend(clients)
        await asyncio.gather(*(client.start() for client in clients))
        return clients

    yield _open
    await asyncio.gather(*(client.stop() for client in opened))
    await database_sync_to_async(connections.close_all)()


def _assert_gapless(client: DrillClient, first: int, last: int) -> None:
    assert client.seqs == list(range(first, last + 1)), (
        f"{client.name}: seqs not gapless/unique: {_describe_seqs(client.seqs, first, last)}"
    )


def _describe_seqs(seqs: list[int], first: int, last: int) -> str:
    duplicates = len(seqs) - len(set(seqs))
    missing = sorted(set(range(first, last + 1)) - set(seqs))
    return f"{len(seqs)} frames, {duplicates} duplicates, missing {missing[:20]}"


# --- drill 1: Redis killed for 10 s during a conversation ----------------------------------------

CLIENTS = 20
MESSAGES = 500
OUTAGE = 10.0


async def test_redis_killed_for_ten_seconds_during_a_conversation(drill_workers, redis_up, open_clients):
    group, thread, users = await database_sync_to_async(_conversation)(CLIENTS)
    logs = LogWatch(drill_workers)
    clients = await open_clients(drill_workers, users, group.slug)
    first_seq = group.last_seq + 1
    per_client = MESSAGES // CLIENTS
    deadline = time.monotonic() + 300  # a bound on retrying, not a figure
    acked = 0

    async def converse(client: DrillClient, n: int) -> list[dict]:
        nonlocal acked
        acks = []
        for k in range(per_client):
            acks.append(await client.send_message(thread.pk, f"{client.name} bericht {k}", deadline))
            acked += 1
        return acks

    started = time.monotonic()
    conversation = asyncio.gather(*(converse(client, n) for n, client in enumerate(clients)))
    await _wait_until(lambda: acked >= MESSAGES // 10, 60, "the conversation to get going")
    redis_up.kill()
    killed_at = time.monotonic()
    TIMELINE["killed"] = killed_at - T0
    acked_before = acked
    await asyncio.sleep(OUTAGE)
    acked_during = acked - acked_before
    redis_up.start()
    back_at = time.monotonic()
    TIMELINE["back"] = back_at - T0

    # Live again: the socket answers a ping with `pong` — which it does only after re-joining its
    # channel groups (a restarted Redis has none) and catching up from the event log.
    live_again = [
        await _wait_until(lambda c=c: c.first_pong_after(back_at), 30, f"{c.name} to answer a ping")
        for c in clients
    ]
    # And the first message sent after Redis returned reaches everyone.
    probe = await clients[0].send_message(thread.pk, "Redis is terug", deadline)
    probe_sent = time.monotonic()
    probe_heard = [
        await _wait_until(lambda c=c: probe["id"] in c.received, 30, f"{c.name} to get the probe")
        for c in clients
    ]
    acks = [ack for client_acks in await conversation for ack in client_acks] + [probe]
    ended = time.monotonic()

    last_seq = first_seq + len(acks) - 1
    await _wait_until(lambda: all(c.last_seq == last_seq for c in clients), 30, "every client to catch up")
    for client in clients:
        await client.ping_pong()

    live_after = max(live_again) - back_at
    retriable = sum(c.retriable_errors for c in clients)
    reconnects = sum(c.connects - 1 for c in clients)
    print(
        f"\n[drill redis-killed] {CLIENTS} clients, {len(acks)} messages in {ended - started:.1f} s; "
        f"Redis down {back_at - killed_at:.1f} s; acked during the outage: {acked_during}; "
        f"retriable errors: {retriable}; reconnects: {reconnects} "
        f"(close codes {sorted({code for c in clients for code in c.close_codes}, key=str)}); "
        f"every client live again (re-subscribed, caught up, answering) {live_after:.2f} s after Redis "
        f"returned (median {sorted(live_again)[len(live_again) // 2] - back_at:.2f} s); the first "
        f"message sent after it was acked {probe_sent - back_at:.2f} s after Redis returned and reached "
        f"all clients {max(probe_heard) - probe_sent:.2f} s after its ack"
    )

    rows = await database_sync_to_async(
        lambda: list(Message.objects.filter(thread=thread).values_list("id", "client_id", "seq"))
    )()
    assert len(rows) == len(acks) == MESSAGES + 1
    assert len({client_id for _id, client_id, _seq in rows}) == len(rows)  # 0 duplicates
    assert sorted(ack["id"] for ack in acks) == sorted(row[0] for row in rows)
    assert sorted(seq for _id, _cid, seq in rows) == list(range(first_seq, last_seq + 1))
    for client in clients:
        _assert_gapless(client, first_seq, last_seq)  # 0 lost, 0 duplicates, in order
        assert client.resyncs == 0 and client.other_errors == [], client.other_errors
    slowest = sorted(clients, key=lambda c: -(c.first_pong_after(back_at) or 0))[:4]
    assert live_after <= 5.0, (
        f"clients live again only {live_after:.2f} s after Redis returned: "
        + "; ".join(
            f"{c.name} pings {[round(t - back_at, 1) for t in c.pings_sent if t > back_at - 3][:6]} "
            f"errors {[round(t - back_at, 1) for t in c.ping_errors if t > back_at - 3][:6]} "
            f"pongs {[round(t - back_at, 1) for t in c.pong_times if t > back_at - 3][:3]}"
            for c in slowest
        )
    )
    logs.assert_no_traceback()


# --- drill 2: Redis restarted empty -----------------------------------------------------------------

RESTART_CLIENTS = 6
RESUBSCRIBE_BOUND = 10.0


async def test_redis_restarted_empty_every_socket_resubscribes_and_catches_up(
    drill_workers, redis_up, open_clients
):
    group, thread, users = await database_sync_to_async(_conversation)(RESTART_CLIENTS)
    logs = LogWatch(drill_workers)
    clients = await open_clients(drill_workers, users, group.slug)
    first_seq = group.last_seq + 1
    sender = clients[0]
    deadline = time.monotonic() + 60
    before = await sender.send_message(thread.pk, "Voor de herstart", deadline)
    await _wait_until(lambda: all(before["id"] in c.received for c in clients), 10, "the first message")

    redis_up.kill()
    redis_up.start()  # empty: no channel-group memberships, no presence
    back_at = time.monotonic()
    # Sent before any socket re-joined: they reach no one live, and must come by catch-up.
    unheard = [await sender.send_message(thread.pk, f"Direct na de herstart {k}", deadline) for k in range(3)]
    resubscribed = [
        await _wait_until(lambda c=c: c.first_pong_after(back_at), 30, f"{c.name} to re-subscribe")
        for c in clients
    ]
    following = await sender.send_message(thread.pk, "De volgende", deadline)
    acked_at = time.monotonic()
    heard = [
        await _wait_until(lambda c=c: following["id"] in c.received, 30, f"{c.name} to get the next one")
        for c in clients
    ]
    last_seq = following["seq"]
    print(
        f"\n[drill redis-restarted-empty] {RESTART_CLIENTS} clients on 2 workers: every socket "
        f"re-subscribed {max(resubscribed) - back_at:.2f} s after the restart; the next message reached "
        f"everyone {max(heard) - acked_at:.2f} s after its ack; {len(unheard)} messages sent before the "
        f"re-join arrived by catch-up; reconnects: {sum(c.connects - 1 for c in clients)}"
    )
    for client in clients:
        _assert_gapless(client, first_seq, last_seq)
        assert all(ack["id"] in client.received for ack in unheard)
        assert client.other_errors == []
    assert max(resubscribed) - back_at <= RESUBSCRIBE_BOUND
    logs.assert_no_traceback()


# --- drill 3: long-lived sockets across the channel layer's group expiry ----------------------------
# A group's frames no longer ride on channel-layer groups (backend/broadcast.py: one pub/sub
# subscription per process, which never expires), so expiry cannot silence a group, pinging or not;
# it still reaps the per-user, per-token and per-session channel groups, which pings renew.

GROUP_EXPIRY = 3  # seconds; production: KENNISCLOUD_GROUP_EXPIRY, default one day
EXPIRY_ROUNDS = 3


@pytest.fixture(scope="module")
def expiry_worker(django_db_setup, private_redis, tmp_path_factory) -> Iterator[Worker]:
    """One worker whose channel-group memberships (user, token, session) lapse after GROUP_EXPIRY
    seconds."""
    started: list = []
    try:
        env = _worker_env(private_redis.url, KENNISCLOUD_GROUP_EXPIRY=str(GROUP_EXPIRY))
        started, running = _start_workers(tmp_path_factory.mktemp("daphne-expiry"), env, 1)
        yield running[0]
    finally:
        for process, _log in started:
            _stop(process)


async def test_sockets_that_ping_keep_receiving_across_group_expiry(expiry_worker, redis_up, open_clients):
    group, thread, users = await database_sync_to_async(_conversation)(3)
    logs = LogWatch([expiry_worker])
    # Pinging (every second, well inside the expiry) and silent: both keep receiving live.
    pinging = await open_clients([expiry_worker], users[:2], group.slug, ping_interval=1.0)
    (silent,) = await open_clients([expiry_worker], users[2:], group.slug, ping_interval=None)
    first_seq = group.last_seq + 1
    deadline = time.monotonic() + 60
    started = time.monotonic()
    sent = []
    for k in range(EXPIRY_ROUNDS):
        await asyncio.sleep(GROUP_EXPIRY + 1)
        sent.append(await pinging[0].send_message(thread.pk, f"Ronde {k}", deadline))
        await _wait_until(
            lambda: all(sent[-1]["id"] in c.received for c in pinging), 10, f"round {k} to arrive"
        )
    elapsed = time.monotonic() - started
    await _wait_until(lambda: sent[-1]["id"] in silent.received, 10, "the silent socket to get the last")
    silent_live = [ack["id"] for ack in sent if ack["id"] in silent.received]
    await silent.ping_pong()
    last_seq = sent[-1]["seq"]
    print(
        f"\n[drill group-expiry] group_expiry {GROUP_EXPIRY} s, {elapsed:.1f} s "
        f"({elapsed / GROUP_EXPIRY:.1f} expiry periods): pinging sockets received {len(sent)}/{len(sent)} "
        f"messages; the silent socket received {len(silent_live)} live"
    )
    for client in pinging:
        _assert_gapless(client, first_seq, last_seq)
    assert silent_live == [ack["id"] for ack in sent]  # a group's frames never lapse
    _assert_gapless(silent, first_seq, last_seq)
    logs.assert_no_traceback()


# --- drill 4: a client that stops reading -------------------------------------------------------------

STALL_MESSAGES = 60
STALL_BODY = "Een lang bericht over het klimaat in de bieb. " * 60  # ~2.8 KB: back-pressure builds fast
STALL_CLOSE_BOUND = 60.0


def _dropped(worker: Worker) -> dict[str, float]:
    """`kenniscloud_dropped_deliveries_total` by reason, from the worker's /metrics."""
    with urllib.request.urlopen(f"{worker.http_url}/metrics", timeout=10) as response:
        text = response.read().decode()
    found = re.findall(
        r'^kenniscloud_dropped_deliveries_total\{reason="([a-z_]+)"\} ([0-9.e+]+)$', text, re.M
    )
    return {reason: float(value) for reason, value in found}


async def test_a_client_that_stops_reading_is_closed_and_catches_up(
    drill_workers, redis_up, open_clients, token_for
):
    group, thread, users = await database_sync_to_async(_conversation)(4)
    logs = LogWatch(drill_workers)
    stalled_user, *others = users
    readers = await open_clients(drill_workers, others[:2], group.slug)
    sender = (await open_clients(drill_workers[1:], others[2:], group.slug))[0]
    first_seq = group.last_seq + 1
    dropped_before = _dropped(drill_workers[0])

    # A client with a small receive buffer that subscribes and then never reads again.
    stalled_token = await token_for(stalled_user)
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", drill_workers[0].port))
    stalled = await connect(
        drill_workers[0].ws_url,
        sock=raw,
        additional_headers={"Authorization": f"Bearer {stalled_token}"},
        open_timeout=ANSWER_TIMEOUT,
        ping_interval=None,
    )
    await stalled.send(json.dumps({"type": "subscribe", "group": group.slug}))
    async with asyncio.timeout(ANSWER_TIMEOUT):
        while (frame := json.loads(await stalled.recv()))["type"] != "subscribed":
            pass
    stalled_last_seq = frame["last_seq"]
    await _wait_until(
        lambda: any(stalled_user.pk in online for _t, online in readers[0].presence), 10, "presence"
    )
    stalled.transport.pause_reading()
    stalled_at = time.monotonic()

    deadline = time.monotonic() + 120
    acks = []
    for k in range(STALL_MESSAGES):
        acks.append(await sender.send_message(thread.pk, f"{k}: {STALL_BODY}", deadline))
        acks[-1]["at"] = time.monotonic()
    last_id = acks[-1]["id"]
    await _wait_until(lambda: all(last_id in r.received for r in readers), 30, "the readers to get all")
    lags = sorted(max(r.received[ack["id"]] for r in readers) - ack["at"] for ack in acks)
    sent_for = time.monotonic() - stalled_at

    # The server gives up on the stalled socket: its presence ends for the others.
    def stalled_gone() -> float | None:
        return next(
            (t for t, online in readers[0].presence if t > stalled_at and stalled_user.pk not in online), None
        )

    await _wait_until(stalled_gone, STALL_CLOSE_BOUND + 10, "the stalled socket to be closed")
    closed_at = stalled_gone()
    stalled.transport.resume_reading()
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(ANSWER_TIMEOUT):
            while True:
                await stalled.recv()

    # It reconnects and resumes after the last seq it saw: everything, in order, exactly once.
    resumed = DrillClient("resumed", drill_workers[0], stalled_token, group.slug)
    resumed.last_seq = stalled_last_seq
    await resumed.start()
    last_seq = first_seq + STALL_MESSAGES - 1
    await _wait_until(lambda: resumed.last_seq == last_seq, 30, "the stalled client to catch up")
    await resumed.stop()
    dropped_after = _dropped(drill_workers[0])
    delta = {r: dropped_after.get(r, 0) - dropped_before.get(r, 0) for r in dropped_after}

    print(
        f"\n[drill stalled-reader] {STALL_MESSAGES} messages of {len(STALL_BODY) // 1000} KB in "
        f"{sent_for:.1f} s "
        f"while one socket did not read: the other sockets got each message {lags[len(lags) // 2]:.3f} s "
        f"(median) / {lags[-1]:.3f} s (max) after its ack; the stalled socket was closed "
        f"{closed_at - stalled_at:.1f} s after it stopped reading (daphne --ping-interval "
        f"{DAPHNE_PING_INTERVAL} --ping-timeout {DAPHNE_PING_TIMEOUT}); after reconnecting it caught up "
        f"{len(resumed.seqs)} events; dropped deliveries counted: {delta}"
    )
    for reader in readers:
        _assert_gapless(reader, first_seq, last_seq)
    assert resumed.seqs == list(range(stalled_last_seq + 1, last_seq + 1))
    assert closed_at - stalled_at <= STALL_CLOSE_BOUND
    # Every delivery the stalled socket missed is counted (on the worker it used) — exactly, unless a
    # reader there had to reconnect too.
    missed = last_seq - stalled_last_seq
    if all(reader.connects == 1 for reader in readers):
        assert delta.get("resumed", 0) == missed
    else:
        assert delta.get("resumed", 0) >= missed
    logs.assert_no_traceback()
