"""Django's Redis cache, with one connection pool and one redis-py client per process.

Django keeps cache backends per async context (`caches` is an asgiref `Local`): under ASGI every
new task — each turn of the consumers' ORM thread (backend/orm_turns.py), each HTTP request — that
touches the cache builds a new backend, and with it a new `RedisCacheClient` (which reads redis-py's
package metadata), a new connection pool and a new TCP connection to Redis. In a chat send that was
~30% of the ORM thread's time. On top, `RedisCacheClient.get_client` built a new `redis.Redis` for
every call (~0.2 ms of CPU: a table of ~170 response callbacks).

Here all backends with the same servers and options share one `RedisCacheClient` — its pools, and
one `redis.Redis` per pool. Both are safe to share between threads (each command borrows a
connection from the pool).
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.utils.functional import cached_property


class _SharedClients(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client

    def _get_connection_pool(self, write: bool) -> Any:
        with _lock:  # two threads must not each make a pool (and connections) for the same server
            return super()._get_connection_pool(write)


_lock = threading.Lock()
# (servers, options) → the client all backends with that configuration use. Option values are
# compared as they compare (a Retry object: by identity — the settings' objects live as long as the
# process, and the key holds them).
_shared: dict[tuple, _SharedClients] = {}


class RedisCache(DjangoRedisCache):
    @cached_property
    def _cache(self) -> _SharedClients:
        key = (tuple(self._servers), tuple(sorted(self._options.items(), key=lambda item: item[0])))
        try:
            client = _shared.get(key)
        except TypeError:  # an option that cannot be a key (e.g. a dict): not shared
            return _SharedClients(self._servers, **self._options)
        if client is None:
            with _lock:
                client = _shared.get(key)
                if client is None:
                    client = _shared[key] = _SharedClients(self._servers, **self._options)
        return client
