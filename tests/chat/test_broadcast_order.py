"""A group's sequenced frames are handed to a process's sockets in seq order, even when two
publishers' frames cross on their way (backend/broadcast.py, `_InOrder`) — through Redis pub/sub and
through the in-process path of a zero-configuration run alike."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest

from backend import broadcast, metrics

WAIT = 5.0  # bounds a failing test only


class Socket:
    """Stands in for a LiveConsumer: records what the broadcaster hands it."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()

    async def fan_out(self, message: dict[str, Any], frames: broadcast.Frames) -> None:
        self.received.append(message)
        self.arrived.set()

    async def got(self, n: int) -> list[Any]:
        """What the first `n` frames were: a sequenced frame's seq, or another frame's type."""
        async with asyncio.timeout(WAIT):
            while len(self.received) < n:
                self.arrived.clear()
                await self.arrived.wait()
        return [m["event"]["seq"] if m["type"] == "group.event" else m["type"] for m in self.received]


@pytest.fixture(params=["redis", "in-process"])
def group_id(request, settings) -> int:
    if request.param == "in-process":
        settings.REDIS_URL = ""
    # A group of this test's own: a channel nobody else publishes to.
    return uuid.uuid4().int % 10**9


def publish_seq(group_id: int, seq: int) -> None:
    event = {"type": "message.created", "group": "g", "seq": seq, "message": {"body": f"nr {seq}"}}
    broadcast.publish(group_id, {"type": "group.event", "group_id": group_id, "event": event})


def count(outcome: str) -> float:
    """kenniscloud_reordered_events_total{outcome=…}, as /metrics would show it."""
    samples = [s for metric in metrics.REORDERED.collect() for s in metric.samples]
    wanted = [s.value for s in samples if s.name.endswith("_total") and s.labels == {"outcome": outcome}]
    return wanted[0] if wanted else 0.0


async def test_frames_that_cross_are_handed_on_in_seq_order(group_id):
    socket = Socket()
    await broadcast.join(group_id, socket)
    before = count("in_order")
    for seq in (1, 3, 4, 2, 5):
        publish_seq(group_id, seq)
    assert await socket.got(5) == [1, 2, 3, 4, 5]
    assert count("in_order") - before == 2
    await broadcast.leave(group_id, socket)


async def test_a_frame_that_never_comes_holds_the_later_ones_up_only_briefly(group_id):
    socket = Socket()
    await broadcast.join(group_id, socket)
    publish_seq(group_id, 1)
    assert await socket.got(1) == [1]
    before = count("expired")
    started = time.monotonic()
    publish_seq(group_id, 4)  # 2 and 3 are lost: the socket fills them from the event log
    publish_seq(group_id, 3)
    assert await socket.got(3) == [1, 3, 4]
    assert time.monotonic() - started >= broadcast.HOLD_SECONDS
    assert count("expired") - before == 2
    # Late after all: handed on (the socket drops what it has), and the order goes on from 4.
    publish_seq(group_id, 2)
    publish_seq(group_id, 5)
    assert await socket.got(5) == [1, 3, 4, 2, 5]
    await broadcast.leave(group_id, socket)


async def test_frames_without_a_seq_are_not_held(group_id):
    socket = Socket()
    await broadcast.join(group_id, socket)
    publish_seq(group_id, 1)
    publish_seq(group_id, 3)
    broadcast.publish(
        group_id, {"type": "group.revoked", "group_id": group_id, "user_id": 7, "reason": "removed"}
    )
    assert await socket.got(2) == [1, "group.revoked"]
    publish_seq(group_id, 2)
    assert await socket.got(4) == [1, "group.revoked", 2, 3]
    await broadcast.leave(group_id, socket)


async def test_a_process_that_left_a_group_starts_its_order_afresh(group_id):
    socket = Socket()
    await broadcast.join(group_id, socket)
    before = count("expired")
    publish_seq(group_id, 1)
    publish_seq(group_id, 3)  # held: 2 is missing
    assert await socket.got(1) == [1]
    await broadcast.leave(group_id, socket)  # what it held goes with it

    again = Socket()
    await broadcast.join(group_id, again)
    publish_seq(group_id, 7)  # the first frame since joining: nothing to wait for
    assert await again.got(1) == [7]
    await asyncio.sleep(2 * broadcast.HOLD_SECONDS)
    assert [m["event"]["seq"] for m in again.received] == [7]
    assert count("expired") == before  # nothing was held over to the new order
    await broadcast.leave(group_id, again)
