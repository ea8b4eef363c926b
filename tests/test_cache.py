"""The Redis cache keeps one redis-py client per connection pool (backend/cache.py)."""

from __future__ import annotations

from django.core.cache import caches

from backend.cache import RedisCache
from tests.conftest import in_threads


def test_the_cache_is_redis_and_reuses_its_client():
    cache = caches["default"]
    assert isinstance(cache, RedisCache)
    assert cache._cache.get_client("a", write=True) is cache._cache.get_client("b", write=True)


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
