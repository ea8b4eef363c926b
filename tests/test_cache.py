"""The Redis cache shares one client and connection pool per process (backend/cache.py)."""

from __future__ import annotations

import asyncio
import contextvars

from asgiref.sync import sync_to_async
from django.core.cache import caches

from backend.cache import RedisCache
from tests.conftest import in_threads


def test_every_context_shares_one_client_and_pool():
    """Django makes a cache backend per async context (every ORM-thread turn, every request):
    they must not each open their own pool and connections to Redis."""

    def backend_and_client() -> tuple[object, object, object]:
        backend = caches["default"]
        return backend, backend._cache, backend._cache.get_client("k", write=True)

    async def from_tasks() -> list[tuple[object, object, object]]:
        calls = [sync_to_async(backend_and_client, thread_sensitive=False)() for _ in range(5)]
        return await asyncio.gather(*calls)

    # As under daphne: contexts that have not touched the cache yet (not the test's own).
    seen = contextvars.Context().run(asyncio.run, from_tasks())
    assert all(isinstance(backend, RedisCache) for backend, _, _ in seen)
    assert len({id(backend) for backend, _, _ in seen}) > 1  # Django's per-context backends
    assert len({id(shared) for _, shared, _ in seen}) == 1
    assert len({id(client) for _, _, client in seen}) == 1


def test_the_shared_client_serves_threads_at_once():
    cache = caches["default"]

    def work(n: int) -> object:
        for i in range(50):
            cache.set(f"cache-test:{n}:{i}", i, 30)
            cache.incr(f"cache-test:{n}:{i}")
        return [cache.get(f"cache-test:{n}:{i}") for i in range(50)]

    assert in_threads(8, work) == [list(range(1, 51))] * 8
    assert cache.add("cache-test:once", 1, 30) is True
    assert cache.add("cache-test:once", 2, 30) is False
    assert cache.get("cache-test:once") == 1
