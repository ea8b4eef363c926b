"""Who is online in a group.

A user is online in a group while one of their sockets is subscribed to it and pinged within
PRESENCE_TTL seconds. With REDIS_URL the state is shared by all workers (one sorted set per group,
member "<user_id>:<connection>", score = last seen); without it, it lives in this process.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from typing import Protocol

import redis.asyncio as redis
from django.conf import settings


class _Store(Protocol):
    async def touch(self, group_id: int, member: str, now: float) -> None: ...
    async def drop(self, group_id: int, member: str) -> None: ...
    async def members(self, group_id: int, since: float) -> list[str]: ...


class _MemoryStore:
    def __init__(self) -> None:
        self._data: dict[int, dict[str, float]] = {}

    async def touch(self, group_id: int, member: str, now: float) -> None:
        self._data.setdefault(group_id, {})[member] = now

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

    async def touch(self, group_id: int, member: str, now: float) -> None:
        key = self._key(group_id)
        client = self._client()
        async with client.pipeline(transaction=False) as pipe:
            pipe.zadd(key, {member: now})
            pipe.expire(key, settings.KENNISCLOUD["PRESENCE_TTL"] * 4)
            await pipe.execute()

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
    """Record the connection as alive; True when the user was not online before."""
    before = await online_user_ids(group_id)
    await _get_store().touch(group_id, _member(user_id, connection), time.time())
    return user_id not in before


async def drop(group_id: int, user_id: int, connection: str) -> bool:
    """Forget the connection; True when the user is no longer online in the group."""
    await _get_store().drop(group_id, _member(user_id, connection))
    return user_id not in await online_user_ids(group_id)
