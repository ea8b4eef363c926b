"""Django's HTTP side under ASGI, one thread trip per request.

Django's `ASGIHandler` runs a request in several trips between the event loop and a thread: the
`request_started` signal, the middleware chain and view (adapted back and forth between async and
sync mode: none of our views or middlewares is async), and closing the response (`request_finished`)
— each a hand-over with its own wait for the GIL — and it makes a one-thread executor per request
(`ThreadSensitiveContext`). Here the body is read on the event loop, and everything Django does
before the response is sent — `request_started`, the sync middleware chain and view, and for an
ordinary (not streaming) response `close()` with `request_finished` — runs in one call on a thread
of the loop's pool: one trip, the request's database connection used and given back within it.

A streaming response (a file from WhiteNoise, an export) is sent by Django's own code and closed
after it, as before. Async views would not run here: none exists (a test keeps it so).
"""

from __future__ import annotations

from contextlib import closing
from typing import Any

from asgiref.sync import sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix


class OneTripHandler(ASGIHandler):
    def __init__(self) -> None:
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)  # the chain as WSGI runs it: no async adapters

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        with closing(body_file):
            # Not thread-sensitive: each request's call uses one pool thread from start to end, so
            # requests do not queue behind each other or behind the sockets' ORM thread.
            response = await sync_to_async(self._respond, thread_sensitive=False)(scope, body_file)
            await self.send_response(response, send)
            if response.streaming:
                await sync_to_async(response.close, thread_sensitive=False)()

    def _respond(self, scope: dict[str, Any], body_file: Any) -> HttpResponseBase:
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        response = error_response if request is None else self.get_response(request)
        response._handler_class = self.__class__
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size  # the server chunks the body itself
        if not response.streaming:
            response.close()  # request_finished: the connection goes back before the bytes go out
        return response


def application() -> OneTripHandler:
    """Django set up, and its HTTP handler (what `get_asgi_application()` returns, in one trip)."""
    import django

    django.setup(set_prefix=False)
    return OneTripHandler()
