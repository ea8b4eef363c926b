"""The ping's access re-check, shared by the sockets that ping at about the same time.

Every socket pings (the browser every 25 s) and each ping re-checks, from the database, which of
its groups the user may still see, their last seq and the user's moderator role
(LiveConsumer.on_ping). One trip to the database per ping made 2,000 idle sockets cost a third of a
core; here the pings that arrive within PING_BATCH_SECONDS of each other in one process share one
trip of three queries (chat.selectors.live_states), whatever their number.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field

from backend import orm_turns

from .selectors import live_states

PING_BATCH_SECONDS = 0.2  # what a pong may wait for other pings to share its query

State = tuple[dict[int, int], set[int]]


@dataclass
class _Batch:
    asks: list[tuple[object, list[int], asyncio.Future[State]]] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None
    running: set[asyncio.Task[None]] = field(default_factory=set)


_batches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Batch] = weakref.WeakKeyDictionary()


async def live_state(user, group_ids: list[int]) -> State:
    """For a signed-in user who is not a meetup guest: of `group_ids`, those still visible with
    their last seq, and those the user moderates."""
    loop = asyncio.get_running_loop()
    batch = _batches.get(loop)
    if batch is None:
        batch = _batches[loop] = _Batch()
    future: asyncio.Future[State] = loop.create_future()
    batch.asks.append((user, group_ids, future))
    if batch.timer is None:
        batch.timer = loop.call_later(PING_BATCH_SECONDS, _flush, batch)
    return await future


def _flush(batch: _Batch) -> None:
    asks, batch.asks, batch.timer = batch.asks, [], None
    task = asyncio.get_running_loop().create_task(_run(asks))
    batch.running.add(task)  # held until done: the loop keeps only weak references to tasks
    task.add_done_callback(batch.running.discard)


async def _run(asks: list[tuple[object, list[int], asyncio.Future[State]]]) -> None:
    try:
        states = await orm_turns.run(live_states, [(user, ids) for user, ids, _ in asks])
    except Exception as error:  # the database is unreachable: each ping answers as it would alone
        for _, _, future in asks:
            if not future.done():
                future.set_exception(error)
        return
    for (_, _, future), state in zip(asks, states, strict=True):
        if not future.done():
            future.set_result(state)
