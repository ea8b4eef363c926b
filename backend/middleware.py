"""The innermost middleware: keeps Django's middleware chain in sync mode under ASGI.

Under ASGI Django runs each middleware in async mode when the one below it is async. Django's own
middlewares (sessions, locale, CSRF, auth, messages, …) are `MiddlewareMixin`s with sync hooks, so
in async mode each hook is one `sync_to_async` trip to the thread-sensitive thread and back: 19
switches between the event loop and that thread for every API request, ~1.4 ms of CPU of a ~4.3 ms
history page (in process, debug off). None of our HTTP views is async, so nothing gains from the
async mode. Being sync-only, this one makes every middleware above it sync: the chain runs in one
trip to the thread (7 switches in all, most of them Django's request handling around the view).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class SyncChain:
    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)
