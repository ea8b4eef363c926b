"""Counters and markers in the shared cache — one Redis round trip each.

Django's cache API needs four round trips for "read the previous window, count one in this one"
(get, add, exists, incr — and a new redis-py client object for each); on Redis this takes one
pipelined trip. "Set it unless it is there, and say what is there" takes two (add, get); on Redis
one `SET … NX GET`. Values stay plain numbers, so the cache API reads and changes them as usual.
"""

from __future__ import annotations

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache


def window_hit(*, previous_key: str, current_key: str, timeout: int) -> tuple[int, int]:
    """Add one to `current_key` (created at 0 with `timeout` seconds to live) and return the
    previous window's count and the new count."""
    cache = caches["default"]  # the backend itself (django.core.cache.cache is a proxy)
    if isinstance(cache, RedisCache):
        previous = cache.make_and_validate_key(previous_key)
        current = cache.make_and_validate_key(current_key)
        pipe = cache._cache.get_client(current, write=True).pipeline(transaction=False)
        pipe.get(previous)
        pipe.incr(current)
        pipe.expire(current, timeout)
        before, count, _ = pipe.execute()
        return int(before or 0), int(count)
    before = cache.get(previous_key, 0)
    cache.add(current_key, 0, timeout=timeout)
    try:
        return before, cache.incr(current_key)
    except ValueError:  # expired between add and incr
        cache.set(current_key, 1, timeout=timeout)
        return before, 1


def add_or_get(key: str, value: float, timeout: int) -> float | None:
    """Set `key` to `value` (for `timeout` seconds) unless it is set: None when this call set it,
    else the number it holds (0.0 if it vanished meanwhile or holds no number)."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        full_key = cache.make_and_validate_key(key)
        client = cache._cache.get_client(full_key, write=True)
        before = client.set(full_key, repr(value), ex=timeout, nx=True, get=True)
        return None if before is None else _number(before)
    if cache.add(key, value, timeout=timeout):
        return None
    return _number(cache.get(key, 0.0))


def _number(stored: object) -> float:
    try:
        return float(stored.decode() if isinstance(stored, bytes) else stored)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
