"""Live fan-out of a knowledge group's frames: one subscription per process and group, one
serialised frame per kind of viewer.

Stock Channels sends one channel-layer message per member socket and wakes one consumer per member
(~200 µs of Python each: see docs/performance.md). Here each server process keeps its own sockets per
group (`Broadcaster.listeners`) and, with `REDIS_URL`, subscribes once per group to a Redis pub/sub
channel; a publisher PUBLISHes a frame once, every process receives it once, decodes it once, and
hands it to its local sockets. A sequenced event is serialised at most twice — the full form
(moderators, and everyone when nothing is withheld) and the member form with a hidden, held or
removed message's text withheld (`Frames`) — however many sockets receive it. Without Redis
(zero-config `make run`) the frames stay inside the process: publishers in any thread hand them to
the event loop(s) that have listeners.

Guarantees are the consumer's, unchanged: it delivers a group's events in seq order with no gaps or
duplicates, filling any gap from the event log. Pub/sub delivers at most once, so anything published
while a process was cut off from Redis is missing: after a reconnect every local listener is told to
`group.resync` (fill from the log) — and the socket's ping remains the safety net.

Two processes' frames for one group can cross: each publishes after its own commit, so seq 8 from one
worker may reach Redis before seq 7 from the other. Every socket would then read the log for seq 7
(a database call each, queued behind the sends). So a sequenced frame that arrives ahead of the next
expected one is held here, per group and process, for at most `HOLD_SECONDS`: when the missing one
comes, both go on in order; when it does not, the held ones go on anyway and the sockets fill the gap.

Messages (the payload is JSON; `type` decides what listeners do):
- `group.event`: a stored, sequenced change (`event`, `committed_at`);
- `group.ephemeral`: typing and presence, not stored, no seq;
- `group.access_changed`: who may see the group changed; every socket checks its access again;
- `group.revoked`: one user lost access (left, removed, banned); their sockets stop at once — on the
  group's channel, so that no event published after it can reach them before it;
- `group.resync` (local only): this process may have missed frames; fill from the event log.
Only `backend/realtime.py` calls this module.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
import time
import weakref
from typing import Any, Protocol

import redis
import redis.asyncio as aioredis
from django.conf import settings
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

from backend import metrics, wire
from backend.channel_layer import REDIS_DOWN, outage

logger = logging.getLogger(__name__)

HOLD_SECONDS = 0.05  # how long a frame that arrived ahead of an earlier one waits for it
SUBSCRIBE_TIMEOUT = 5.0  # seconds a socket's subscribe waits for Redis to confirm the channel
RETRY_CAP = 1.0  # seconds between reconnection attempts at most
WARN_EVERY = 10.0


class Listener(Protocol):
    """A socket that receives a group's frames (chat.consumers.LiveConsumer)."""

    async def fan_out(self, message: dict[str, Any], frames: Frames) -> None: ...


class Frames:
    """One published frame, serialised at most once per kind of viewer.

    `chat.events.redact` shapes a sequenced event per viewer: moderators get it whole; members get
    a hidden, held or removed message without its text — except the author of a held message, who
    sees it waiting. So there are at most two forms, whatever the number of sockets; each is also
    framed for the wire once (backend/wire.py). `delivered` counts the sockets it was written to."""

    __slots__ = ("event", "_text", "_framed", "_withheld", "delivered", "dispatched")

    def __init__(self, event: dict[str, Any]) -> None:
        self.event = event
        self._text: dict[bool, str] = {}
        self._framed: dict[bool, bytes] = {}
        message = event.get("message")
        self._withheld = isinstance(message, dict) and bool(message.get("moderation"))
        self.delivered = 0
        self.dispatched = False  # handed to every local socket (later deliveries count themselves)

    def _whole(self, moderator: bool, viewer_id: int | None) -> bool:
        if moderator or not self._withheld:
            return True
        message = self.event["message"]
        return message["moderation"]["state"] == "held" and message["author"]["id"] == viewer_id

    def full(self) -> str:
        return self._form(True)

    def text(self, *, moderator: bool, viewer_id: int | None) -> str:
        """The frame as `redact(event, moderator=…, viewer_id=…)` would give it, serialised."""
        return self._form(self._whole(moderator, viewer_id))

    def framed(self, *, moderator: bool, viewer_id: int | None) -> bytes:
        """`text`, framed as a WebSocket text message."""
        whole = self._whole(moderator, viewer_id)
        framed = self._framed.get(whole)
        if framed is None:
            framed = self._framed[whole] = wire.frame(self._form(whole))
        return framed

    def _form(self, whole: bool) -> str:
        text = self._text.get(whole)
        if text is None:
            if whole:
                text = json.dumps(self.event, ensure_ascii=False)
            else:
                from chat.events import redact  # chat depends on backend, not the reverse

                text = json.dumps(redact(self.event, moderator=False), ensure_ascii=False)
            self._text[whole] = text
        return text


class _InOrder:
    """A group's sequenced frames in one process: `last`, the highest seq handed on (None: none
    yet); `held`, those that came ahead of a missing one (by seq); `due`, when they go on anyway."""

    __slots__ = ("last", "held", "due")

    def __init__(self) -> None:
        self.last: int | None = None
        self.held: dict[int, dict[str, Any]] = {}
        self.due: float | None = None


def channel_name(group_id: int) -> str:
    """The Redis pub/sub channel of one group's frames."""
    return f"{_prefix()}:fan:{group_id}"


def _prefix() -> str:
    layer = settings.CHANNEL_LAYERS.get("default", {})
    return layer.get("CONFIG", {}).get("prefix") or "kc"


def _redis_url() -> str:
    return getattr(settings, "REDIS_URL", "") or ""


# --- publishing ------------------------------------------------------------------------------------

_sync_client: redis.Redis | None = None
_sync_lock = threading.Lock()


def _publisher() -> redis.Redis:
    global _sync_client
    with _sync_lock:
        if _sync_client is None:
            # One reconnection attempt, then the caller logs and moves on (the event is stored).
            _sync_client = redis.Redis.from_url(
                _redis_url(), socket_timeout=5, socket_connect_timeout=2, retry=Retry(NoBackoff(), 1)
            )
        return _sync_client


def publish(group_id: int, message: dict[str, Any]) -> None:
    """Send a frame to every socket of the group in every process (any thread, sync code)."""
    payload = json.dumps(message, ensure_ascii=False)
    if _redis_url():
        _publisher().publish(channel_name(group_id), payload)
    else:
        _publish_locally(group_id, payload)


async def apublish(group_id: int, message: dict[str, Any]) -> None:
    """`publish` from the event loop, without blocking it on Redis."""
    payload = json.dumps(message, ensure_ascii=False)
    if _redis_url():
        await _broadcaster().publish(group_id, payload)
    else:
        _publish_locally(group_id, payload)


def _publish_locally(group_id: int, payload: str) -> None:
    for broadcaster in list(_broadcasters.values()):
        if group_id in broadcaster.listeners:
            broadcaster.hand_over(payload)


# --- receiving ------------------------------------------------------------------------------------

# One broadcaster per event loop (daphne has one; tests make one per test). Weak keys: a closed
# loop's broadcaster, its Redis connections and its tasks go with it.
_broadcasters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Broadcaster] = weakref.WeakKeyDictionary()


def _broadcaster() -> Broadcaster:
    loop = asyncio.get_running_loop()
    broadcaster = _broadcasters.get(loop)
    if broadcaster is None:
        broadcaster = Broadcaster(loop)
        _broadcasters[loop] = broadcaster
    return broadcaster


async def join(group_id: int, listener: Listener) -> None:
    """Start delivering the group's frames to `listener`. Returns once frames published from now on
    are certain to arrive (Redis confirmed the subscription), so that a catch-up read after it
    misses nothing. Raises a Redis connection error when Redis cannot confirm in time."""
    await _broadcaster().join(group_id, listener)


async def leave(group_id: int, listener: Listener) -> None:
    await _broadcaster().leave(group_id, listener)


class Broadcaster:
    """The sockets of one event loop per group, and (with Redis) the loop's one pub/sub connection."""

    _last_warning = 0.0

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        # Insertion-ordered (dict keys): frames reach a group's sockets in the order they joined.
        self.listeners: dict[int, dict[Listener, None]] = {}
        self._redis = bool(_redis_url())
        self._client: aioredis.Redis | None = None
        self._pubsub: Any = None
        self._confirmed: dict[str, asyncio.Future[None]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._local: asyncio.Queue[str] | None = None
        self._channels: dict[str, int] = {}
        self._resync: set[str] = set()
        self._requested: set[str] = set()  # SUBSCRIBE being sent
        self._reconnecting = False
        # Sequenced frames per group (see the module's docstring); `_holding`: those holding some.
        # Both are touched only by the one task that hands frames on (the reader), and by `leave`.
        self._order: dict[int, _InOrder] = {}
        self._holding: dict[int, _InOrder] = {}

    # --- membership

    async def join(self, group_id: int, listener: Listener) -> None:
        members = self.listeners.setdefault(group_id, {})
        if listener not in members:
            members[listener] = None
            metrics.GROUP_SOCKETS.inc()
        if not self._redis:
            self._ensure_local_dispatcher()
            return
        channel = channel_name(group_id)
        if channel not in self._channels:
            self._channels[channel] = group_id
            metrics.GROUP_CHANNELS.inc()
        confirmed = self._confirmed.get(channel)
        if confirmed is None or (confirmed.done() and confirmed.exception() is not None):
            confirmed = self.loop.create_future()
            self._confirmed[channel] = confirmed
        if not confirmed.done() and not self._reconnecting and channel not in self._requested:
            # (While the reader reconnects it subscribes every channel itself, this one included.)
            self._requested.add(channel)
            try:
                pubsub = await self._ensure_reader()
                await pubsub.subscribe(channel)
            except REDIS_DOWN as error:
                # The reader resubscribes everything once Redis is back; this socket is told why.
                if not confirmed.done():
                    confirmed.set_exception(error)
                confirmed.exception()  # retrieved: no "never retrieved" warning
                await self.leave(group_id, listener)
                raise
            finally:
                self._requested.discard(channel)
        try:
            await asyncio.wait_for(asyncio.shield(confirmed), SUBSCRIBE_TIMEOUT)
        except (TimeoutError, *REDIS_DOWN) as error:
            await self.leave(group_id, listener)
            raise redis.exceptions.ConnectionError(f"subscribing to {channel}: {error!r}") from error

    async def leave(self, group_id: int, listener: Listener) -> None:
        members = self.listeners.get(group_id)
        if members is None or listener not in members:
            return
        del members[listener]
        metrics.GROUP_SOCKETS.dec()
        if members:
            return
        del self.listeners[group_id]
        self._order.pop(group_id, None)
        self._holding.pop(group_id, None)
        if not self._redis:
            return
        channel = channel_name(group_id)
        if self._channels.pop(channel, None) is not None:
            metrics.GROUP_CHANNELS.dec()
        self._confirmed.pop(channel, None)
        if self._pubsub is not None:
            try:
                await self._pubsub.unsubscribe(channel)
            except REDIS_DOWN:
                pass  # the connection is gone, and its subscriptions with it

    # --- publishing from this loop

    async def publish(self, group_id: int, payload: str) -> None:
        if self._client is None:
            self._client = self._make_client()
        await self._client.publish(channel_name(group_id), payload)

    def hand_over(self, payload: str) -> None:
        """A frame published in this process without Redis; callable from any thread."""
        queue = self._local
        if queue is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            queue.put_nowait(payload)
        elif not self.loop.is_closed():
            self.loop.call_soon_threadsafe(queue.put_nowait, payload)

    # --- delivery

    async def dispatch(self, group_id: int, payload: str | bytes) -> None:
        """Decode a frame once and hand it on to the group's local sockets (`_in_order`)."""
        if self.listeners.get(group_id):
            await self._in_order(group_id, json.loads(payload))

    async def _in_order(self, group_id: int, message: dict[str, Any]) -> None:
        """Hand a decoded frame on — a sequenced one in seq order (held while an earlier one is
        missing, see `_InOrder`). Called by one task only."""
        if not self.listeners.get(group_id):
            return
        event = message.get("event") if message.get("type") == "group.event" else None
        seq = event.get("seq") if isinstance(event, dict) else None
        if not isinstance(seq, int):
            await self._hand_on(group_id, message)
            return
        order = self._order.get(group_id)
        if order is None:
            order = self._order[group_id] = _InOrder()
        if order.last is not None and seq > order.last + 1:
            order.held[seq] = message
            if order.due is None:
                order.due = self.loop.time() + HOLD_SECONDS
                self._holding[group_id] = order
            return
        await self._hand_on(group_id, message)
        if order.last is None or seq > order.last:
            order.last = seq
        while order.held and order.last + 1 in order.held:
            metrics.REORDERED.labels(outcome="in_order").inc()
            order.last += 1
            await self._hand_on(group_id, order.held.pop(order.last))
        if not order.held and order.due is not None:
            order.due = None
            self._holding.pop(group_id, None)

    def _hold_timeout(self) -> float | None:
        """Seconds until the first held frame is due (None: nothing is held)."""
        dues = [order.due for order in self._holding.values() if order.due is not None]
        return max(0.0, min(dues) - self.loop.time()) if dues else None

    async def _release_due(self) -> None:
        now = self.loop.time()
        for group_id, order in list(self._holding.items()):
            if order.due is not None and order.due <= now:
                await self._release(group_id, order)

    async def _release(self, group_id: int, order: _InOrder) -> None:
        """Hand on what a group holds, in seq order: what it waited for did not come (the sockets
        fill the gap from the event log)."""
        held, order.held, order.due = order.held, {}, None
        self._holding.pop(group_id, None)
        for seq in sorted(held):
            metrics.REORDERED.labels(outcome="expired").inc()
            order.last = max(order.last or 0, seq)
            await self._hand_on(group_id, held[seq])

    async def _hand_on(self, group_id: int, message: dict[str, Any]) -> None:
        """Hand a frame to every local socket of the group, in join order. One socket's failure is
        logged and never stops the others."""
        members = self.listeners.get(group_id)
        if not members:
            return
        frames = Frames(message.get("event") or {})
        for listener in list(members):
            try:
                await listener.fan_out(message, frames)
            except Exception:
                logger.exception("delivering %s to a socket failed", message.get("type"))
        frames.dispatched = True
        if frames.delivered:
            metrics.delivered(message.get("committed_at"), count=frames.delivered)

    def _ensure_local_dispatcher(self) -> None:
        if self._local is None:
            self._local = asyncio.Queue()
            self._reader = self.loop.create_task(self._dispatch_local(self._local))

    async def _dispatch_local(self, queue: asyncio.Queue[str]) -> None:
        while True:
            timeout = self._hold_timeout()
            try:
                payload = await (queue.get() if timeout is None else asyncio.wait_for(queue.get(), timeout))
            except TimeoutError:
                payload = None
            await self._release_due()
            if payload is not None:
                message = json.loads(payload)
                await self._in_order(message["group_id"], message)

    # --- the Redis side

    def _make_client(self) -> aioredis.Redis:
        return aioredis.Redis.from_url(
            _redis_url(),
            socket_connect_timeout=2,
            retry=AsyncRetry(NoBackoff(), 0),  # errors surface here: the reader reconnects itself
            health_check_interval=15,  # an idle pub/sub connection is checked, not trusted
        )

    async def _ensure_reader(self) -> Any:
        if self._pubsub is None:
            if self._client is None:
                self._client = self._make_client()
            self._pubsub = self._client.pubsub()
            # Subscribed before the reader starts, so it has a connection to read from.
            await self._pubsub.subscribe(self._control_channel())
        if self._reader is None or self._reader.done():
            self._reader = self.loop.create_task(self._read())
        return self._pubsub

    def _control_channel(self) -> str:
        # Always subscribed: keeps the connection's read loop alive when no group is.
        return f"{_prefix()}:fan:process:{id(self)}"

    async def _read(self) -> None:
        attempt = 0
        while True:
            if self._pubsub is not None and not self._reconnecting:
                try:
                    await self._read_until_error(self._pubsub)
                except asyncio.CancelledError:
                    raise
                except REDIS_DOWN as error:
                    self._warn(error)
                except Exception:
                    logger.exception("broadcast reader failed; reconnecting")
                self._reconnecting = True
                outage()
                for future in self._confirmed.values():
                    if not future.done():  # sockets subscribing now are told to try again
                        future.set_exception(redis.exceptions.ConnectionError("Redis connection lost"))
                        future.exception()
            await asyncio.sleep(random.uniform(0.5, 1.0) * min(RETRY_CAP, 0.1 * 2**attempt))
            attempt += 1
            try:
                await self._resubscribe()
            except REDIS_DOWN as error:
                self._warn(error)
                continue
            except Exception:
                logger.exception("broadcast resubscribe failed")
                continue
            attempt = 0
            self._reconnecting = False

    async def _read_until_error(self, pubsub: Any) -> None:
        while True:
            # A timeout only while frames are held: they go on when due (dispatch).
            message = await pubsub.get_message(timeout=self._hold_timeout())
            await self._release_due()
            if message is None:
                continue
            kind = message["type"]
            channel = message["channel"].decode() if isinstance(message["channel"], bytes) else None
            if kind == "message":
                group_id = self._channels.get(channel or "")
                if group_id is not None:
                    await self.dispatch(group_id, message["data"])
            elif kind == "subscribe" and channel is not None:
                future = self._confirmed.get(channel)
                if future is not None and not future.done():
                    future.set_result(None)
                if channel in self._resync:
                    # Resubscribed after a reconnect: this process may have missed frames.
                    self._resync.discard(channel)
                    group_id = self._channels.get(channel)
                    if group_id is not None:
                        # Frames were missed: what is held goes on now, and the order starts over.
                        order = self._order.pop(group_id, None)
                        if order is not None:
                            await self._release(group_id, order)
                        resync = {"type": "group.resync", "group_id": group_id}
                        await self.dispatch(group_id, json.dumps(resync))

    async def _resubscribe(self) -> None:
        """A fresh connection subscribed to every group that has local sockets. Each group's
        sockets fill from the event log once Redis confirms its channel (in `_read_until_error`):
        whatever was published while the connection was down reaches them that way."""
        old, old_client = self._pubsub, self._client
        self._pubsub = None
        # A fresh client: the old pool's connections all went down with the old server.
        self._client = self._make_client()
        for broken in (old, old_client):
            if broken is not None:
                try:
                    await broken.aclose()
                except Exception:  # noqa: BLE001 - it is broken already
                    pass
        self._confirmed = {
            channel: future
            if (future := self._confirmed.get(channel)) is not None and not future.done()
            else self.loop.create_future()
            for channel in self._channels
        }
        self._resync = set(self._channels)
        pubsub = self._client.pubsub()
        await pubsub.subscribe(self._control_channel(), *self._channels)
        self._pubsub = pubsub

    def _warn(self, error: Exception) -> None:
        now = time.monotonic()
        if now - Broadcaster._last_warning >= WARN_EVERY:
            Broadcaster._last_warning = now
            logger.warning("broadcast: Redis unavailable (%s); reconnecting", error)
