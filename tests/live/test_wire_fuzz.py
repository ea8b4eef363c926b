"""Hostile frames that only exist on the wire, against a real daphne worker (issue #7, bad input):
a text frame that is not UTF-8, a binary frame, an empty frame, a frame between our 64 KiB limit
and daphne's 1 MiB transport limit, a 2 MiB frame, and deep nesting. Each gets the documented
answer (docs/protocol.md: an `error` frame, or a dropped connection — 1006 — for what the WebSocket
layer refuses), the worker logs no traceback, and the other sockets on that worker carry on. The
in-process fuzzing of frame contents is tests/chat/test_frame_fuzz.py."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid

import pytest
from websockets.exceptions import ConnectionClosed

from chat.models import Thread
from chat.services import thread_create

from .conftest import FRAME_TIMEOUT, LiveClient, Worker

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

# Autobahn (daphne's WebSocket layer) fails a connection for a text frame that is not UTF-8 (it
# would be close code 1007) or a message over daphne's --websocket_max_message_size of 1 MiB (1009)
# by dropping TCP without a closing handshake (its `failByDrop`): the client sees 1006.
CLOSE_DROPPED = 1006


@pytest.fixture
def thread(closed_group, librarian) -> Thread:
    return thread_create(actor=librarian, group=closed_group, title="Draadloos")


async def _still_works(client: LiveClient, thread: Thread) -> None:
    await client.send("ping")
    await client.expect("pong")
    client_id = str(uuid.uuid4())
    await client.send("message.send", thread=thread.pk, body="Nog steeds hier", client_id=client_id)
    while (frame := await client.next())["type"] != "ack":
        assert frame["type"] != "error", frame
    assert frame["client_id"] == client_id


async def _closed_with(client: LiveClient) -> int | None:
    """The close code the server sent; fails if the socket stays open."""
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(FRAME_TIMEOUT):
            while True:
                await client.connection.recv()
    return client.connection.close_code


def _log_since(worker: Worker, offset: int) -> str:
    return worker.log.read_bytes()[offset:].decode(errors="replace")


async def test_wire_level_hostile_frames(workers, open_client, token_for, member, other_member, thread):
    worker = workers[0]
    offset = worker.log.stat().st_size
    bystander = await open_client(worker, await token_for(other_member))
    fuzzer = await open_client(worker, await token_for(member))

    # Frames the consumer answers with an error; the socket stays open.
    nested = "[" * 30_000 + "]" * 30_000  # under the 64 KiB limit, far over the parser's depth
    answered = [
        (b'{"type": "ping"}', "invalid_json"),  # binary: text frames only
        (b"\x00\xff\xfe", "invalid_json"),
        ("", "invalid_json"),
        ('{"type": "ping", "x": ' + nested + "}", "invalid_json"),
        ('{"type": "message.send", "thread": ' + "[" * 500 + "]" * 500 + "}", "validation_error"),
        (json.dumps({"type": "ping", "pad": "x" * (200 * 1024)}), "frame_too_large"),
    ]
    for payload, code in answered:
        await fuzzer.connection.send(payload)
        error = await fuzzer.expect("error")
        assert error["code"] == code, (error, str(payload)[:80])
    await _still_works(fuzzer, thread)

    # Not UTF-8 in a text frame: the WebSocket layer drops the connection.
    await fuzzer.connection.send(b'{"type": "ping", "x": "\xc3\x28"}', text=True)
    assert await _closed_with(fuzzer) == CLOSE_DROPPED

    # 2 MiB: over daphne's transport limit, dropped before it reaches the application.
    big = await open_client(worker, await token_for(member))
    # (The drop can reach the client while it is still writing the 2 MiB: then `send` raises.)
    with contextlib.suppress(ConnectionClosed):
        await big.connection.send(json.dumps({"type": "ping", "pad": "x" * (2 << 20)}))
    assert await _closed_with(big) == CLOSE_DROPPED

    # The other socket on that worker never noticed.
    await _still_works(bystander, thread)
    log = _log_since(worker, offset)
    # Both dropped sockets were disconnected cleanly by the consumer (groups left, presence dropped).
    assert log.count("WSDISCONNECT") == 2, log[-4000:]
    assert "Traceback" not in log, log[-4000:]
    assert not [line for line in log.splitlines() if line.startswith(("ERROR", "CRITICAL"))], log[-4000:]
