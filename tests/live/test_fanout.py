"""The live fan-out across real daphne processes (backend/broadcast.py): every member on every
process gets every event exactly once, in seq order, however the senders interleave; a client that
stops reading never holds up the others and, dropped for it, loses nothing."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from websockets.asyncio.client import connect

from chat.models import Thread
from chat.services import thread_create
from groups.models import Group
from tests.conftest import add_member, make_user

from .conftest import FRAME_TIMEOUT, running_workers, worker_env

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

SENDERS_PER_WORKER = 2
MESSAGES_PER_SENDER = 20
RECEIVERS_PER_WORKER = 3


@pytest.fixture
def thread(closed_group, librarian) -> Thread:
    return thread_create(actor=librarian, group=closed_group, title="Samen lezen")


def _members(group: Group, count: int) -> list:
    users = [make_user(f"Deelnemer {n}") for n in range(count)]
    for user in users:
        add_member(group, user)
    return users


async def _subscribed(client, slug: str) -> int:
    await client.send("subscribe", group=slug)
    while (frame := await client.next())["type"] != "subscribed":
        pass
    return frame["last_seq"]


async def test_members_on_two_processes_get_every_message_once_in_seq_order(
    workers, open_client, token_for, closed_group, thread
):
    users = await database_sync_to_async(_members)(
        closed_group, 2 * (SENDERS_PER_WORKER + RECEIVERS_PER_WORKER)
    )
    clients = [await open_client(workers[n % 2], await token_for(user)) for n, user in enumerate(users)]
    senders, receivers = clients[: 2 * SENDERS_PER_WORKER], clients[2 * SENDERS_PER_WORKER :]
    assert {c.worker.port for c in senders} == {c.worker.port for c in receivers} == {w.port for w in workers}
    start = {id(c): await _subscribed(c, closed_group.slug) for c in clients}

    async def send_all(client) -> list[int]:
        seqs = []
        for n in range(MESSAGES_PER_SENDER):
            client_id = str(uuid.uuid4())
            await client.send("message.send", thread=thread.pk, body=f"bericht {n}", client_id=client_id)
            while (frame := await client.next())["type"] != "ack":
                pass  # its own and the others' live frames: read by the receivers below
            assert frame["client_id"] == client_id
            seqs.append(frame["seq"])
        return seqs

    total = len(senders) * MESSAGES_PER_SENDER

    async def receive_all(client) -> list[dict[str, Any]]:
        frames = []
        while len(frames) < total:
            frame = await client.next()
            if frame["type"] == "message.created":
                frames.append(frame)
        return frames

    acked, received = await asyncio.gather(
        asyncio.gather(*(send_all(c) for c in senders)), asyncio.gather(*(receive_all(c) for c in receivers))
    )
    all_seqs = sorted(seq for seqs in acked for seq in seqs)
    first = min(start.values()) + 1
    assert all_seqs == list(range(first, first + total))  # the senders interleaved; seqs are gapless
    for client, frames in zip(receivers, received, strict=True):
        assert [f["seq"] for f in frames] == all_seqs, f"worker {client.worker.port}"
        assert len({f["message"]["id"] for f in frames}) == total
    # And nothing more arrives: no duplicate came late.
    for client in receivers:
        await client.send("ping")
        assert (await client.expect("pong"))["type"] == "pong"


# --- a client that stops reading -----------------------------------------------------------------

BACKLOG = 64 * 1024  # the slow-socket limit of this module's worker (default: 1 MiB)
BODY = "x" * 9000  # ~18 KB per frame (the body and its HTML)


@pytest.fixture(scope="module")
def small_backlog_worker(django_db_setup, tmp_path_factory):
    env = worker_env(KENNISCLOUD_MAX_SOCKET_BACKLOG=str(BACKLOG), KENNISCLOUD_RATE_LIMIT_MESSAGES="1000")
    with running_workers(1, tmp_path_factory.mktemp("daphne-slow"), env) as (worker,):
        yield worker


async def _stalled_connection(url: str, token: str):
    """A websockets client whose socket takes in little: once its one-frame queue is full it stops
    reading, the kernel's small receive buffer fills, and the server's writes pile up."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    host, port = url.removeprefix("ws://").split("/")[0].split(":")
    await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
    return await connect(url, sock=sock, additional_headers={"Authorization": f"Bearer {token}"}, max_queue=1)


async def test_a_client_that_stops_reading_blocks_nobody_and_resumes_without_loss(
    small_backlog_worker, open_client, token_for, closed_group, thread
):
    worker = small_backlog_worker
    sender_user, *reader_users = await database_sync_to_async(_members)(closed_group, 4)
    slow_user = reader_users.pop()
    sender = await open_client(worker, await token_for(sender_user))
    readers = [await open_client(worker, await token_for(user)) for user in reader_users]
    for client in [sender, *readers]:
        await _subscribed(client, closed_group.slug)
    slow = await _stalled_connection(worker.ws_url, await token_for(slow_user))
    await slow.send(json.dumps({"type": "subscribe", "group": closed_group.slug}))
    subscribed = None
    while subscribed is None:
        frame = json.loads(await slow.recv())
        subscribed = frame if frame["type"] == "subscribed" else None
    # From here on the slow client reads nothing.

    # ~5 MB of frames: beyond what the kernel buffers for one socket (Linux grows a socket's send
    # buffer up to 4 MB) and the worker's 64 KB limit.
    count = 300
    latencies: list[float] = []

    async def read_all(client) -> list[int]:
        seqs = []
        while len(seqs) < count:
            frame = await client.next()
            if frame["type"] == "message.created":
                latencies.append(time.monotonic() - float(frame["message"]["body"].split(" ")[0]))
                seqs.append(frame["seq"])
        return seqs

    async def send_all() -> list[int]:
        seqs = []
        for _ in range(count):
            client_id = str(uuid.uuid4())
            body = f"{time.monotonic()} {BODY}"
            await sender.send("message.send", thread=thread.pk, body=body, client_id=client_id)
            while (frame := await sender.next())["type"] != "ack":
                pass
            seqs.append(frame["seq"])
        return seqs

    sent, *read = await asyncio.gather(send_all(), *(read_all(c) for c in readers))
    for seqs in read:
        assert seqs == sent
    # The readers kept up while the slow client's frames piled up and it was dropped.
    assert max(latencies) < FRAME_TIMEOUT / 2, max(latencies)

    # The slow client reads again: what the kernel held, then the end of the connection...
    got: list[int] = []
    try:
        while True:
            async with asyncio.timeout(FRAME_TIMEOUT):
                frame = json.loads(await slow.recv())
            if frame["type"] == "message.created":
                got.append(frame["seq"])
    except Exception as error:  # noqa: BLE001 - the server dropped it: ConnectionClosed
        assert "ConnectionClosed" in type(error).__name__, (repr(error), len(got), worker.log_tail())
    assert len(got) < count, "the server did not drop the slow client"
    assert got == sent[: len(got)]  # in order, nothing skipped up to where it was dropped

    # ...and, reconnected, resumes from the last seq it has: exactly the rest, in order.
    again = await open_client(worker, await token_for(slow_user))
    last = got[-1] if got else subscribed["last_seq"]
    await again.send("subscribe", group=closed_group.slug, after_seq=last)
    rest = []
    while (frame := await again.next())["type"] != "subscribed":
        if frame["type"] == "message.created":
            rest.append(frame["seq"])
    assert got + rest == sent
    dropped = worker.log.read_text(errors="replace")
    assert "socket dropped: its client stopped reading" in dropped
