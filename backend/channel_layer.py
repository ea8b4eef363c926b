"""The channels-redis layer, made to outlive a Redis outage.

Channels runs each consumer's channel-layer `receive()` inside the consumer's dispatch loop: when it
raises — Redis killed, restarting, or a read timing out — the whole consumer task dies and daphne
closes the socket with 1011 (and logs a traceback per socket). Here `receive()` waits for Redis to
come back instead, so the socket stays open: its frames are answered meanwhile (work that needs
Redis gets the retriable `unavailable` error), and once Redis answers again the consumer receives
as before. Whatever was published during the outage is lost from the layer, never from the event
log: the socket's next ping re-joins its channel groups (an empty restarted Redis has forgotten
them) and catches up by seq. See docs/protocol.md, "Delivery notes for operators".
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Any

import redis.exceptions
from channels_redis.core import RedisChannelLayer as _RedisChannelLayer

logger = logging.getLogger(__name__)

REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
RETRY_CAP = 1.0  # seconds between tries at most: receiving resumes within ~1 s of Redis returning
WARN_EVERY = 10.0  # one log line per process this often during an outage, not one per socket


_outages = 0


def outages() -> int:
    """How many times this process found Redis unreachable (channel layer or broadcast): a socket
    that joined its channel groups before the latest one joins them again (chat.consumers)."""
    return _outages


def outage() -> None:
    global _outages
    _outages += 1


class RedisChannelLayer(_RedisChannelLayer):
    _last_warning = 0.0

    async def receive(self, channel: str) -> dict[str, Any]:
        attempt = 0
        while True:
            try:
                return await super().receive(channel)
            except REDIS_DOWN as error:
                outage()
                self._warn(error)
            # Jittered, so the sockets of a process do not all hit a returning Redis at once.
            await asyncio.sleep(random.uniform(0.5, 1.0) * min(RETRY_CAP, 0.1 * 2**attempt))
            attempt += 1

    def _warn(self, error: Exception) -> None:
        now = time.monotonic()
        if now - RedisChannelLayer._last_warning >= WARN_EVERY:
            RedisChannelLayer._last_warning = now
            logger.warning("channel layer: Redis unavailable (%s); receivers keep retrying", error)
