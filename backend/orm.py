"""Where the WebSocket side runs its database work.

Channels' `database_sync_to_async` runs every call of every consumer on one thread per process
(thread-sensitive mode), so a worker does one database call at a time: a send waits for the
catch-up reads, pings and handshakes of every other socket, and the thread sits idle during each
round trip to PostgreSQL. On PostgreSQL we run them on a small pool of threads instead — each with
its own connection from the psycopg pool, returned after every call — so the waits overlap.
SQLite (zero configuration) keeps the one thread: it takes one writer at a time anyway.

`KENNISCLOUD_ORM_THREADS` sets the pool's size (default 4; 0: the one shared thread). Keep it
below `KENNISCLOUD_DB_POOL_SIZE`, which HTTP requests draw from too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from channels.db import DatabaseSyncToAsync
from django.conf import settings
from django.db import connections

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def _threads() -> int:
    if connections["default"].vendor != "postgresql":
        return 0
    return settings.KENNISCLOUD["ORM_THREADS"]


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=_threads(), thread_name_prefix="orm")
        return _executor


async def run(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Run `fn` (synchronous, using the ORM) from async code; its connection is released after."""
    if _threads() <= 0:
        return await DatabaseSyncToAsync(fn)(*args, **kwargs)
    return await DatabaseSyncToAsync(fn, thread_sensitive=False, executor=_pool())(*args, **kwargs)
