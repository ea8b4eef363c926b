"""REST throttles (DRF) on top of the per-user message and write limits of the services.

Counted in the cache — Redis when REDIS_URL is set — so every worker shares one count per user (or
per address without an account). A refused request gets 429 `throttled` with `Retry-After`
(backend.exceptions). The rates are REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (README: the
KENNISCLOUD_*_RATE variables), read at each request; a scope without a rate is not throttled.

- `anon`: every request without an account, per address;
- `user`: every request of a signed-in user, across all their sessions and tokens;
- `write`: their POST/PUT/PATCH/DELETE requests;
- `search`: expensive reads a view opts into with `throttle_scope = "search"` (catalogue search,
  suggestions, resolving a link or ISBN).
"""

from __future__ import annotations

from typing import Any

from rest_framework import throttling
from rest_framework.settings import api_settings

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class _Rates:
    scope: str | None

    def get_rate(self) -> str | None:
        # DRF reads its rates once, at import; these follow the settings (and tests' overrides).
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonRateThrottle(_Rates, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_Rates, throttling.UserRateThrottle):
    """Signed-in users only: visitors have the `anon` rate."""

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class WriteRateThrottle(UserRateThrottle):
    scope = "write"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if request.method in SAFE_METHODS:
            return None
        return super().get_cache_key(request, view)


class ScopedRateThrottle(_Rates, throttling.ScopedRateThrottle):
    """A view's own scope (`throttle_scope`), per user or, without an account, per address."""
