"""Who is online in a group.

A user is online in a group while one of their sockets is subscribed to it and pinged within
PRESENCE_TTL seconds. With REDIS_URL the state is shared by all workers (per group a sorted set of
user ids and per user one of connections, scored by when last seen; see _RedisStore); without it, it
lives in this process.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from dataclasses import dataclass, field
from typing import Protocol

import redis.asyncio as redis
from django.conf import settings

logger = logging.getLogger(__name__)


class _Store(Protocol):
    async def touch(self, group_id: int, user_id: int, connection: str, now: float, since: float) -> bool:
        """Record the connection as seen now; True when its user was not online (seen since
        `since`) in the group before."""

    async def drop(self, group_id: int, user_id: int, connection: str, since: float) -> bool:
        """Forget the connection; True when its user has no connection seen since `since` left."""

    async def online(self, group_id: int, since: float) -> list[int]:
        """The users seen since `since`; forgets the others."""


class _MemoryStore:
    def __init__(self) -> None:
        self._data: dict[int, dict[int, dict[str, float]]] = {}  # group → user → connection → seen

    async def touch(self, group_id: int, user_id: int, connection: str, now: float, since: float) -> bool:
        connections = self._data.setdefault(group_id, {}).setdefault(user_id, {})
        was_online = any(seen >= since for seen in connections.values())
        connections[connection] = now
        return not was_online

    async def drop(self, group_id: int, user_id: int, connection: str, since: float) -> bool:
        users = self._data.get(group_id, {})
        connections = users.get(user_id, {})
        connections.pop(connection, None)
        if any(seen >= since for seen in connections.values()):
            return False
        users.pop(user_id, None)
        return True

    async def online(self, group_id: int, since: float) -> list[int]:
        users = self._data.get(group_id, {})
        for user_id in [u for u, conns in users.items() if not any(s >= since for s in conns.values())]:
            del users[user_id]
        return list(users)


# One command per touch rather than five (ZSCORE, two ZADDs, two EXPIREs): every ping of every
# subscribed socket makes one, and packing and parsing five was most of a touch's CPU.
# KEYS: the group's online users, the user's connections to it. ARGV: user id, now, connection,
# seconds to keep. Returns when the user was last seen in the group before (nil: never).
_TOUCH = """
local before = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return before
"""


@dataclass
class _Batch:
    """Touches waiting for the next trip to Redis, and whether one is under way."""

    waiting: list[tuple[int, int, str, float, float, asyncio.Future[bool]]] = field(default_factory=list)
    running: bool = False


class _RedisStore:
    """Per group: a sorted set of its online users (score: when any of their connections was last
    seen) and, per user, one of their connections — so a socket's arrival, ping and departure
    each cost one or two round trips, never a read of everyone online (a meetup's start, or a
    reconnect storm, would otherwise read members² entries)."""

    def __init__(self, url: str, prefix: str) -> None:
        self._url = url
        self._prefix = prefix
        # One client per event loop: redis.asyncio connections are bound to the loop that made
        # them. Weak keys, so a closed loop's client goes with it and an id is never reused.
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, redis.Redis] = (
            weakref.WeakKeyDictionary()
        )
        self._touches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Batch] = (
            weakref.WeakKeyDictionary()
        )

    def _client(self) -> redis.Redis:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            # As large a pool as the channel layer's: redis-py's default (100) raises, not waits, when
            # the ~100 sockets of a killed worker reconnect (or a drained one's disconnect) at once.
            max_connections = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["max_connections"]
            client = redis.Redis.from_url(
                self._url, retry=settings.REDIS_RECONNECT_ONCE, max_connections=max_connections
            )
            self._clients[loop] = client
        return client

    def _users_key(self, group_id: int) -> str:
        return f"{self._prefix}:presence-users:{group_id}"

    def _connections_key(self, group_id: int, user_id: int) -> str:
        return f"{self._prefix}:presence-connections:{group_id}:{user_id}"

    async def touch(self, group_id: int, user_id: int, connection: str, now: float, since: float) -> bool:
        # Touches made while one is on its way to Redis go together in the next trip: in a reconnect
        # storm or a meetup's start hundreds of sockets arrive at once, and each its own pipeline
        # meant a Redis connection each (the pool grew to hundreds, each connect a handshake).
        loop = asyncio.get_running_loop()
        batch = self._touches.get(loop)
        if batch is None:
            batch = self._touches[loop] = _Batch()
        future = loop.create_future()
        batch.waiting.append((group_id, user_id, connection, now, since, future))
        if not batch.running:
            batch.running = True
            loop.create_task(self._touch_all(batch))
        return await future

    async def _touch_all(self, batch: _Batch) -> None:
        keep = settings.KENNISCLOUD["PRESENCE_TTL"] * 4
        try:
            while batch.waiting:
                touches, batch.waiting = batch.waiting, []
                try:
                    async with self._client().pipeline(transaction=False) as pipe:
                        for group_id, user_id, connection, now, _since, _future in touches:
                            users = self._users_key(group_id)
                            connections = self._connections_key(group_id, user_id)
                            pipe.eval(_TOUCH, 2, users, connections, user_id, now, connection, keep)
                        replies = await pipe.execute()
                except Exception as error:
                    for *_touch, future in touches:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for (*_touch, since, future), before in zip(touches, replies, strict=True):
                    if not future.done():
                        future.set_result(before is None or float(before) < since)
        finally:
            batch.running = False

    async def drop(self, group_id: int, user_id: int, connection: str, since: float) -> bool:
        connections = self._connections_key(group_id, user_id)
        async with self._client().pipeline(transaction=False) as pipe:
            pipe.zrem(connections, connection)
            pipe.zremrangebyscore(connections, "-inf", f"({since}")
            pipe.zcard(connections)
            *_rest, left = await pipe.execute()
        if left:
            return False
        await self._client().zrem(self._users_key(group_id), user_id)
        return True

    async def online(self, group_id: int, since: float) -> list[int]:
        users = self._users_key(group_id)
        async with self._client().pipeline(transaction=False) as pipe:
            pipe.zremrangebyscore(users, "-inf", f"({since}")
            pipe.zrange(users, 0, -1)
            _removed, members = await pipe.execute()
        return [int(m) for m in members]


_store: _Store | None = None


def _get_store() -> _Store:
    global _store
    if _store is None:
        if settings.REDIS_URL:
            prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"].get("prefix", "kc")
            _store = _RedisStore(settings.REDIS_URL, prefix)
        else:
            _store = _MemoryStore()
    return _store


def _since() -> float:
    return time.time() - settings.KENNISCLOUD["PRESENCE_TTL"]


async def online_user_ids(group_id: int) -> list[int]:
    return sorted(await _get_store().online(group_id, _since()))


async def touch(group_id: int, user_id: int, connection: str) -> bool:
    """Record the connection as alive; True when the user was not online before. One round trip."""
    return await _get_store().touch(group_id, user_id, connection, time.time(), _since())


async def drop(group_id: int, user_id: int, connection: str) -> bool:
    """Forget the connection; True when the user is no longer online in the group."""
    return await _get_store().drop(group_id, user_id, connection, _since())


# --- announcing who is online, coalesced ---------------------------------------------------------

ANNOUNCE_DELAY = 0.5  # seconds: one presence frame per group and process for a burst of changes

# Per event loop (weak: a closed loop's pending announcements go with it), group → its timer.
_announcing: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, asyncio.TimerHandle]] = (
    weakref.WeakKeyDictionary()
)


def announce(group_id: int, group_slug: str) -> None:
    """Tell the group's sockets who is online, once for all the changes of the next ANNOUNCE_DELAY
    seconds in this process: when a meetup starts, hundreds join within seconds, and a frame per
    join to every member would cost O(members²) frames."""
    loop = asyncio.get_running_loop()
    pending = _announcing.setdefault(loop, {})
    if group_id in pending:
        return
    pending[group_id] = loop.call_later(
        ANNOUNCE_DELAY, lambda: loop.create_task(_announce_now(pending, group_id, group_slug))
    )


# Per event loop: group → (when, the online users' briefs), as last read — kept ANNOUNCE_DELAY
# seconds; older ones are swept at most as often (a meetup's list of hundreds stayed for the life of
# the process once everyone had left).
_briefs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, tuple[float, list]]] = (
    weakref.WeakKeyDictionary()
)
_briefs_swept = 0.0


async def online_briefs(group_id: int, *, fresh: bool = False) -> list:
    """Who is online in the group (user briefs), read at most every ANNOUNCE_DELAY seconds per
    process unless `fresh`: when hundreds subscribe at once, each is told the same list."""
    from accounts.selectors import user_briefs
    from backend import orm_turns

    cache = _briefs.setdefault(asyncio.get_running_loop(), {})
    now = time.monotonic()
    cached = cache.get(group_id)
    if not fresh and cached is not None and now - cached[0] < ANNOUNCE_DELAY:
        return cached[1]
    briefs = await orm_turns.run(user_briefs, user_ids=await online_user_ids(group_id))
    _sweep_briefs(cache, now)
    cache[group_id] = (now, briefs)
    return briefs


def _sweep_briefs(cache: dict[int, tuple[float, list]], now: float) -> None:
    global _briefs_swept
    if now - _briefs_swept < ANNOUNCE_DELAY:
        return
    _briefs_swept = now
    for group_id in [g for g, (when, _briefs) in cache.items() if now - when >= ANNOUNCE_DELAY]:
        del cache[group_id]


async def _announce_now(pending: dict[int, asyncio.TimerHandle], group_id: int, group_slug: str) -> None:

    from backend import realtime
    from backend.channel_layer import REDIS_DOWN

    pending.pop(group_id, None)  # changes from now on get a frame of their own
    try:
        online = await online_briefs(group_id, fresh=True)
        event = {"type": "presence", "group": group_slug, "online": online}
        await realtime.apublish_ephemeral(group_id, event)
    except REDIS_DOWN as error:  # presence is advisory: the next change or ping announces again
        logger.warning("announcing presence in group %s failed: Redis unavailable (%s)", group_id, error)
    except Exception:
        logger.exception("announcing presence in group %s failed", group_id)
