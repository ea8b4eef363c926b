"""Who is online in a group.

A user is online in a group while one of their sockets is subscribed to it and pinged within
PRESENCE_TTL seconds. With REDIS_URL the state is shared by all workers (one sorted set per group,
member "<user_id>:<connection>", score = last seen); without it, it lives in this process.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from typing import Protocol

import redis.asyncio as redis
from django.conf import settings

logger = logging.getLogger(__name__)


class _Store(Protocol):
    async def touch(self, group_id: int, member: str, now: float) -> float | None:
        """Record `member` as seen now; returns when it was seen before (None: never)."""

    async def drop(self, group_id: int, member: str) -> None: ...
    async def members(self, group_id: int, since: float) -> list[str]: ...


class _MemoryStore:
    def __init__(self) -> None:
        self._data: dict[int, dict[str, float]] = {}

    async def touch(self, group_id: int, member: str, now: float) -> float | None:
        entries = self._data.setdefault(group_id, {})
        before = entries.get(member)
        entries[member] = now
        return before

    async def drop(self, group_id: int, member: str) -> None:
        self._data.get(group_id, {}).pop(member, None)

    async def members(self, group_id: int, since: float) -> list[str]:
        entries = self._data.get(group_id, {})
        for member in [m for m, seen in entries.items() if seen < since]:
            del entries[member]
        return list(entries)


class _RedisStore:
    def __init__(self, url: str, prefix: str) -> None:
        self._url = url
        self._prefix = prefix
        # One client per event loop: redis.asyncio connections are bound to the loop that made
        # them. Weak keys, so a closed loop's client goes with it and an id is never reused.
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, redis.Redis] = (
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

    def _key(self, group_id: int) -> str:
        return f"{self._prefix}:presence:{group_id}"

    async def touch(self, group_id: int, member: str, now: float) -> float | None:
        key = self._key(group_id)
        client = self._client()
        async with client.pipeline(transaction=False) as pipe:
            pipe.zscore(key, member)
            pipe.zadd(key, {member: now})
            pipe.expire(key, settings.KENNISCLOUD["PRESENCE_TTL"] * 4)
            before, _added, _expiry = await pipe.execute()
        return before

    async def drop(self, group_id: int, member: str) -> None:
        await self._client().zrem(self._key(group_id), member)

    async def members(self, group_id: int, since: float) -> list[str]:
        key = self._key(group_id)
        client = self._client()
        async with client.pipeline(transaction=False) as pipe:
            pipe.zremrangebyscore(key, "-inf", f"({since}")
            pipe.zrange(key, 0, -1)
            _removed, members = await pipe.execute()
        return [m.decode() if isinstance(m, bytes) else m for m in members]


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


def _member(user_id: int, connection: str) -> str:
    return f"{user_id}:{connection}"


async def online_user_ids(group_id: int) -> list[int]:
    since = time.time() - settings.KENNISCLOUD["PRESENCE_TTL"]
    members = await _get_store().members(group_id, since)
    return sorted({int(m.split(":", 1)[0]) for m in members})


async def touch(group_id: int, user_id: int, connection: str) -> bool:
    """Record the connection as alive; True when the user was not online before. A connection that
    was fresh already (its ping every 25 s, inside PRESENCE_TTL) costs one round trip, not a read of
    the whole online set."""
    now = time.time()
    since = now - settings.KENNISCLOUD["PRESENCE_TTL"]
    member = _member(user_id, connection)
    seen = await _get_store().touch(group_id, member, now)
    if seen is not None and seen >= since:
        return False
    prefix = f"{user_id}:"
    others = [m for m in await _get_store().members(group_id, since) if m.startswith(prefix) and m != member]
    return not others


async def drop(group_id: int, user_id: int, connection: str) -> bool:
    """Forget the connection; True when the user is no longer online in the group."""
    await _get_store().drop(group_id, _member(user_id, connection))
    return user_id not in await online_user_ids(group_id)


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


# Per event loop: group → (when, the online users' briefs), as last read.
_briefs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, tuple[float, list]]] = (
    weakref.WeakKeyDictionary()
)


async def online_briefs(group_id: int, *, fresh: bool = False) -> list:
    """Who is online in the group (user briefs), read at most every ANNOUNCE_DELAY seconds per
    process unless `fresh`: when hundreds subscribe at once, each is told the same list."""
    from channels.db import database_sync_to_async

    from accounts.selectors import user_briefs

    cache = _briefs.setdefault(asyncio.get_running_loop(), {})
    now = time.monotonic()
    cached = cache.get(group_id)
    if not fresh and cached is not None and now - cached[0] < ANNOUNCE_DELAY:
        return cached[1]
    briefs = await database_sync_to_async(user_briefs)(user_ids=await online_user_ids(group_id))
    cache[group_id] = (now, briefs)
    return briefs


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
