"""The WebSocket side's database calls, taken in turns on Channels' one ORM thread.

Consumers may not touch the ORM on the event loop; Channels' `database_sync_to_async` sends each
call to one thread per process, and each trip costs more than many of the calls themselves: the
hand-over to the thread and back, a connection from the pool with its health check, and closing it
after (measured in a reconnect storm: the pool's check alone was 8% of the worker's time). Here the
thread, once there, takes every call waiting — including those made while it works — before it
returns: one trip and one connection for all of them, and each caller is answered as soon as its own
call is done. Nothing waits on purpose: a call made when the thread is idle starts at once.

Calls run in the order made, as on the one thread before. A call whose caller is gone (its socket
closed, its task cancelled) before the call starts is skipped. After a call fails with a database
error the connection is checked before the next one, as a new trip would.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from channels.db import database_sync_to_async
from django.db import DatabaseError, close_old_connections


@dataclass
class _Call:
    fn: Callable[..., Any]
    args: tuple
    kwargs: dict[str, Any]
    future: asyncio.Future


@dataclass
class _Turns:
    # Appended to on the event loop, taken from by the ORM thread (deque: safe across threads).
    waiting: deque[_Call] = field(default_factory=deque)
    runner: asyncio.Task[None] | None = None


# Per event loop (weak: a closed loop's calls go with it).
_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Turns] = weakref.WeakKeyDictionary()


async def run(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Run the synchronous `fn(*args, **kwargs)` on the ORM thread and return what it returns."""
    loop = asyncio.get_running_loop()
    turns = _turns.get(loop)
    if turns is None:
        turns = _turns[loop] = _Turns()
    future = loop.create_future()
    turns.waiting.append(_Call(fn, args, kwargs, future))
    if turns.runner is None:
        turns.runner = loop.create_task(_take_turns(turns))
    return await future


async def _take_turns(turns: _Turns) -> None:
    loop = asyncio.get_running_loop()
    try:
        # Checked again here, on the loop: a call made just as the thread found nothing left.
        while turns.waiting:
            try:
                await database_sync_to_async(_turn)(loop, turns.waiting)
            except BaseException as error:  # the trip itself failed: answer who still waits
                while turns.waiting:
                    call = turns.waiting.popleft()
                    if not call.future.done():
                        call.future.set_exception(error)
                if not isinstance(error, Exception):
                    raise
    finally:
        turns.runner = None


def _turn(loop: asyncio.AbstractEventLoop, waiting: deque[_Call]) -> None:
    while True:
        try:
            call = waiting.popleft()
        except IndexError:
            return
        if call.future.done():  # cancelled: its caller is gone
            continue
        try:
            result, error = call.fn(*call.args, **call.kwargs), None
        except Exception as failed:
            result, error = None, failed
            if isinstance(failed, DatabaseError):
                close_old_connections()  # a broken connection is replaced for the next call
        try:
            loop.call_soon_threadsafe(_settle, call.future, result, error)
        except RuntimeError:  # the event loop has closed: nobody is left to answer
            return


def _settle(future: asyncio.Future, result: Any, error: Exception | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
