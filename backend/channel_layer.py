"""The channels-redis layer, made to outlive a Redis outage.

Channels runs each consumer's channel-layer `receive()` inside the consumer's dispatch loop: when it
raises — Redis killed, restarting, or a read timing out — the whole consumer task dies and daphne
closes the socket with 1011 (and logs a traceback per socket). Here `receive()` waits for Redis to
come back instead, so the socket stays open: its frames are answered meanwhile (work that needs
Redis gets the retriable `unavailable` error), and once Redis answers again the consumer receives
as before. Whatever was published during the outage is lost from the layer, never from the event
log: the socket's next ping re-joins its channel groups (an empty restarted Redis has forgotten
them) and catches up by seq. See docs/protocol.md, "Delivery notes for operators".

The process-local channels (one per socket) are also received differently. channels-redis has every
waiting `receive()` run two tasks — one for its channel's queue, one for the lock that lets one of
them at a time read Redis for the whole process — with a queue, futures and an `asyncio.wait` each:
~6 KB of every idle socket, for a message that rarely comes. Here one reader task per process reads
Redis while anyone waits and hands each message to its channel's one waiting future; a message that
arrives while its consumer is busy waits in a small per-channel backlog (bounded by the layer's
`capacity`, the oldest dropped first, as channels-redis does).
"""

from __future__ import annotations

import asyncio
import collections
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


def _retry_delay(attempt: int) -> float:
    # Jittered, so the sockets of a process do not all hit a returning Redis at once.
    return random.uniform(0.5, 1.0) * min(RETRY_CAP, 0.1 * 2**attempt)


class _Inbox:
    """A process-local channel with a consumer waiting on it or messages waiting for its consumer."""

    __slots__ = ("backlog", "since", "waiter")

    def __init__(self) -> None:
        self.waiter: asyncio.Future[dict[str, Any]] | None = None
        self.backlog: collections.deque[dict[str, Any]] | None = None
        self.since = 0.0  # when the backlog began (time.monotonic())


class RedisChannelLayer(_RedisChannelLayer):
    _last_warning = 0.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._inboxes: dict[str, _Inbox] = {}
        self._waiting = 0  # inboxes with a waiter: the reader runs while there are any
        self._reader: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._swept_at = time.monotonic()

    async def receive(self, channel: str) -> dict[str, Any]:
        if "!" in channel:
            return await self._receive_local(channel)
        attempt = 0
        while True:
            try:
                return await super().receive(channel)
            except REDIS_DOWN as error:
                outage()
                self._warn(error)
            await asyncio.sleep(_retry_delay(attempt))
            attempt += 1

    # --- process-local channels ------------------------------------------------------------------

    async def _receive_local(self, channel: str) -> dict[str, Any]:
        assert self.require_valid_channel_name(channel)
        assert self.non_local_name(channel).endswith(self.client_prefix + "!"), "Wrong client prefix"
        loop = asyncio.get_running_loop()
        self._adopt(loop)
        inbox = self._inboxes.get(channel)
        if inbox is None:
            inbox = self._inboxes[channel] = _Inbox()
        elif inbox.backlog:
            message = inbox.backlog.popleft()
            if not inbox.backlog:
                del self._inboxes[channel]
            else:
                inbox.since = time.monotonic()  # its consumer is alive: not swept
            return message
        if inbox.waiter is not None:
            raise RuntimeError(f"two receivers on one process-local channel: {channel}")
        waiter = inbox.waiter = loop.create_future()
        self._waiting += 1
        if self._reader is None:
            self._reader = loop.create_task(self._read(self.non_local_name(channel)))
        try:
            return await waiter
        except asyncio.CancelledError:
            # The consumer is gone (Channels cancels its receive when the socket closes); what
            # arrives for it from now on waits in a backlog, as in channels-redis.
            if inbox.waiter is waiter:
                inbox.waiter = None
                self._waiting -= 1
            if not self._waiting and self._reader is not None:
                # Nobody waits: messages stay in Redis until someone does. (channels-redis, too,
                # stops reading when the receive that reads is cancelled.)
                self._reader.cancel()
                self._reader = None
            raise
        finally:
            if inbox.waiter is None and not inbox.backlog and self._inboxes.get(channel) is inbox:
                del self._inboxes[channel]

    def _adopt(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._loop is loop:
            return
        if self._waiting and self._loop is not None and not self._loop.is_closed():
            raise RuntimeError("Two event loops are trying to receive() on one channel layer at once!")
        # A closed loop's receivers (a test's, async_to_sync's) are gone with it; what arrived for
        # a channel and was not received yet is kept, as channels-redis keeps it.
        self._inboxes = {name: inbox for name, inbox in self._inboxes.items() if inbox.backlog}
        for inbox in self._inboxes.values():
            inbox.waiter = None
        self._waiting, self._reader, self._loop = 0, None, loop

    async def _read(self, real_channel: str) -> None:
        """Read this process's messages from Redis while anyone waits for one."""
        attempt = 0
        while True:
            try:
                target, message = await self.receive_single(real_channel)
                attempt = 0
            except REDIS_DOWN as error:
                outage()
                self._warn(error)
                await asyncio.sleep(_retry_delay(attempt))
                attempt += 1
                continue
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("channel layer: a message could not be read; reading on")
                await asyncio.sleep(_retry_delay(attempt))
                attempt += 1
                continue
            for channel in target if isinstance(target, list) else (target,):
                self._deliver(channel, message)
            if not self._waiting:
                # Everyone waiting got theirs: stop between reads, never in the middle of one (a
                # read cancelled after Redis popped a message would lose it).
                self._reader = None
                return

    def _deliver(self, channel: str, message: dict[str, Any]) -> None:
        inbox = self._inboxes.get(channel)
        if inbox is None:
            inbox = self._inboxes[channel] = _Inbox()
        waiter = inbox.waiter
        if waiter is not None and not waiter.done():
            inbox.waiter = None
            self._waiting -= 1
            waiter.set_result(message)
            return
        if inbox.backlog is None:
            inbox.backlog = collections.deque(maxlen=self.capacity)  # full: the oldest goes
            inbox.since = time.monotonic()
            self._sweep(inbox.since)
        inbox.backlog.append(message)

    def _sweep(self, now: float) -> None:
        """Forget backlogs nobody came for within the layer's message expiry: their consumer is gone
        (a message for a socket that was just closing). Redis would have expired them as well;
        channels-redis kept them for the life of the process."""
        if now - self._swept_at < self.expiry:
            return
        self._swept_at = now
        for name in [
            name
            for name, inbox in self._inboxes.items()
            if inbox.waiter is None and inbox.backlog and now - inbox.since > self.expiry
        ]:
            del self._inboxes[name]

    def _warn(self, error: Exception) -> None:
        now = time.monotonic()
        if now - RedisChannelLayer._last_warning >= WARN_EVERY:
            RedisChannelLayer._last_warning = now
            logger.warning("channel layer: Redis unavailable (%s); receivers keep retrying", error)
