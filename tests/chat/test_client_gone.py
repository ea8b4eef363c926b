"""A client that closes its socket while the server is still answering (navigation, a phone going
to sleep): daphne then refuses the send (`autobahn.exception.Disconnected`) before the consumer has
seen the disconnect. The frame is dropped — the client resumes by seq — and nothing is logged as an
error or takes the socket's task down. Driven at the ASGI level with a `send` that behaves like
daphne's on a closed connection."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from autobahn.exception import Disconnected
from channels.db import database_sync_to_async

from .conftest import ALLOWED_ORIGIN, session_headers

pytestmark = pytest.mark.django_db(transaction=True)


async def test_frames_to_a_client_that_has_gone_are_dropped_quietly(member, public_group, caplog):
    from backend.asgi import application

    headers = [(b"origin", ALLOWED_ORIGIN), *await database_sync_to_async(session_headers)(member)]
    scope = {"type": "websocket", "path": "/ws/", "headers": headers, "query_string": b"", "subprotocols": []}
    incoming: asyncio.Queue = asyncio.Queue()
    sent: list[dict] = []
    refused: list[dict] = []

    async def receive() -> dict:
        return await incoming.get()

    async def send(message: dict) -> None:
        if message["type"] == "websocket.send" and json.loads(message["text"])["type"] != "hello":
            refused.append(message)
            raise Disconnected("Attempt to send on a closed protocol")  # what daphne does then
        sent.append(message)

    await incoming.put({"type": "websocket.connect"})
    frame = json.dumps({"type": "subscribe", "group": public_group.slug, "after_seq": 0})
    await incoming.put({"type": "websocket.receive", "text": frame})
    task = asyncio.create_task(application(scope, receive, send))
    with caplog.at_level(logging.ERROR):
        for _ in range(200):  # until the consumer tried to answer the subscribe
            if refused:
                break
            await asyncio.sleep(0.01)
        assert refused, sent
        await incoming.put({"type": "websocket.disconnect", "code": 1001})
        await asyncio.wait_for(task, 5)  # the consumer ended normally, no exception
    assert sent[0]["type"] == "websocket.accept"
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
