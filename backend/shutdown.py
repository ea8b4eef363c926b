"""A graceful SIGTERM for daphne (a deploy, `docker stop`): close every open socket with 1000 and
let each consumer's `disconnect` run — it leaves its channel groups, so no stale group
members of this process stay behind in Redis — then stop the server.

Without this, daphne cancels the consumers (their `disconnect` never runs) and drops the TCP
connections: clients only notice a dead connection (1006), and the channel layer keeps the dead
sockets as group members until `group_expiry`.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import weakref
from typing import Any

logger = logging.getLogger(__name__)

# 1000, not 1001 (going away): autobahn, under daphne, lets an application close only with 1000 or
# 3000–4999. Clients reconnect after any close but 4001/4003 (docs/protocol.md).
CLOSE_SHUTDOWN = 1000
DRAIN_SECONDS = 5.0  # well inside docker's default 10 s grace before SIGKILL

_open: weakref.WeakSet[Any] = weakref.WeakSet()
_draining = False


def track(consumer: Any) -> None:
    _open.add(consumer)


def untrack(consumer: Any) -> None:
    _open.discard(consumer)


def draining() -> bool:
    return _draining


def install() -> None:
    """Take over SIGTERM once daphne's (Twisted's) reactor runs; does nothing under other servers."""
    if "twisted.internet.reactor" not in sys.modules:
        return
    from twisted.internet import reactor

    def on_sigterm(signum: int, frame: Any) -> None:
        reactor.callFromThread(_start_drain)

    # Twisted installs its own handlers while starting; this runs after them.
    reactor.callWhenRunning(signal.signal, signal.SIGTERM, on_sigterm)


def _start_drain() -> None:
    global _draining
    if _draining:
        return
    _draining = True
    asyncio.ensure_future(_drain())


async def _drain() -> None:
    from twisted.internet import reactor

    consumers = list(_open)
    logger.info("SIGTERM: closing %d sockets", len(consumers))
    try:
        await asyncio.gather(*(c.close(code=CLOSE_SHUTDOWN) for c in consumers), return_exceptions=True)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DRAIN_SECONDS
        while _open and loop.time() < deadline:
            await asyncio.sleep(0.05)
        if _open:
            logger.warning("SIGTERM: %d sockets did not close in time", len(_open))
    finally:
        reactor.stop()
