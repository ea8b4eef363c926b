"""Fixtures for the chat tests: threads, and real WebSocket clients on `backend.asgi.application`.

`connect(user)` opens a socket the way a browser does (a real session cookie and an allowed
Origin); `connect(user, token=True)` the way a bot does (a real personal API token, no Origin).
Every socket a test opens is closed at teardown, so no consumer outlives its test's database.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any, Protocol

import pytest
from channels import DEFAULT_CHANNEL_LAYER
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from django.test import Client

from accounts.models import User
from accounts.services import api_token_create
from chat import services as chat_services
from chat.models import Thread
from groups.models import Group
from tests.conftest import PASSWORD

# Generous: a frame normally arrives in milliseconds; the timeout only bounds a failing test.
FRAME_TIMEOUT = 5.0
ALLOWED_ORIGIN = b"http://127.0.0.1"


@pytest.fixture(autouse=True)
def _fresh_channel_layer() -> Iterator[None]:
    """The channel layer object is process-wide, but channels-redis keeps receive state on it
    (locks, buffers, a receive counter) that belongs to the event loop that used it, and every
    async test runs on a new loop. Each test gets its own layer object (the same Redis)."""
    channel_layers.backends.pop(DEFAULT_CHANNEL_LAYER, None)
    yield
    channel_layers.backends.pop(DEFAULT_CHANNEL_LAYER, None)


@pytest.fixture
def fast_password_hashing(settings) -> None:
    """Users are created with a password (so real tokens can be issued); PBKDF2 would cost ~0.3 s
    per user."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_thread(group: Group, author: User, title: str = "Zonnepanelen op de bieb") -> Thread:
    return chat_services.thread_create(actor=author, group=group, title=title)


@pytest.fixture
def closed_thread(closed_group, librarian) -> Thread:
    return make_thread(closed_group, librarian)


@pytest.fixture
def public_thread(public_group, librarian) -> Thread:
    return make_thread(public_group, librarian)


# --- WebSocket clients -------------------------------------------------------------------------


def session_headers(user: User) -> list[tuple[bytes, bytes]]:
    """A browser's credentials: the user's session cookie, from a real login."""
    client = Client()
    client.force_login(user)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    return [(b"cookie", f"{settings.SESSION_COOKIE_NAME}={key}".encode())]


def token_headers(user: User) -> list[tuple[bytes, bytes]]:
    """A bot's credentials: a freshly issued personal API token."""
    _token, raw = api_token_create(email=user.email, password=PASSWORD, name="test bot")
    return [(b"authorization", f"Bearer {raw}".encode())]


class WS:
    """One client socket. `next()` returns the next frame, skipping `presence` frames unless asked
    (they arrive whenever anyone's online state changes and would make every test about them)."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.communicator = communicator

    async def send(self, frame_type: str, **fields: Any) -> None:
        await self.communicator.send_json_to({"type": frame_type, **fields})

    async def send_raw(self, text: str) -> None:
        await self.communicator.send_to(text_data=text)

    async def next(
        self, *, ignore: Iterable[str] = ("presence",), timeout: float = FRAME_TIMEOUT
    ) -> dict[str, Any]:
        skip = set(ignore)
        while True:
            output = await self.communicator.receive_output(timeout)
            assert output["type"] == "websocket.send", f"socket closed instead: {output}"
            frame = json.loads(output["text"])
            if frame["type"] not in skip:
                return frame

    async def expect(self, frame_type: str, **ignore: Any) -> dict[str, Any]:
        frame = await self.next(**ignore)
        assert frame["type"] == frame_type, frame
        return frame

    async def expect_nothing(self, timeout: float = 0.3, *, ignore: Iterable[str] = ("presence",)) -> None:
        """No frame (other than `ignore`d ones) arrives within `timeout` seconds."""
        skip = set(ignore)
        while not await self.communicator.receive_nothing(timeout):
            output = await self.communicator.receive_output()
            assert output["type"] == "websocket.send", f"socket closed instead: {output}"
            frame = json.loads(output["text"])
            assert frame["type"] in skip, f"unexpected frame: {frame}"

    async def next_n(self, n: int, **ignore: Any) -> list[dict[str, Any]]:
        return [await self.next(**ignore) for _ in range(n)]

    async def subscribe(
        self, group: Group | str, after_seq: int | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Subscribe and read up to `subscribed`: returns (catch-up frames, the subscribed frame)."""
        slug = group if isinstance(group, str) else group.slug
        fields: dict[str, Any] = {"group": slug}
        if after_seq is not None:
            fields["after_seq"] = after_seq
        await self.send("subscribe", **fields)
        frames = []
        while (frame := await self.next())["type"] != "subscribed":
            frames.append(frame)
        assert frame["group"] == slug, frame
        return frames, frame

    async def send_message(self, thread: Thread, body: str, client_id: uuid.UUID | None = None) -> str:
        client_id = str(client_id or uuid.uuid4())
        await self.send("message.send", thread=thread.pk, body=body, client_id=client_id)
        return client_id

    async def ack_and_echo(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """After a `message.send` on a subscribed socket: its `ack` and its own `message.created`,
        which may come in either order (the ack is the socket's answer, the event the group's)."""
        frames = {frame["type"]: frame for frame in await self.next_n(2)}
        assert set(frames) == {"ack", "message.created"}, frames
        return frames["ack"], frames["message.created"]

    async def ping(self) -> None:
        await self.send("ping")
        await self.expect("pong")

    async def closed_with(self, timeout: float = FRAME_TIMEOUT) -> int | None:
        """The close code of the next output, which must be a close (presence frames aside: they
        arrive whenever anyone's online state changes)."""
        output = await self.communicator.receive_output(timeout)
        while output["type"] == "websocket.send" and json.loads(output["text"])["type"] == "presence":
            output = await self.communicator.receive_output(timeout)
        assert output["type"] == "websocket.close", output
        return output.get("code")

    async def close(self) -> None:
        await self.communicator.disconnect()


_DEFAULT: Any = object()


class Connect(Protocol):
    def __call__(
        self,
        user: User | None = None,
        *,
        token: bool = False,
        origin: bytes | None = ...,
        headers: list[tuple[bytes, bytes]] | None = None,
        path: str = "/ws/",
    ) -> Awaitable[tuple[bool, WS]]: ...


@pytest.fixture
async def connect(fast_password_hashing) -> AsyncIterator[Connect]:
    """`await connect(user)` → (accepted, WS).

    Browser-style by default: the user's session cookie and an allowed Origin. `token=True` is
    bot-style: a fresh personal API token and no Origin. `origin` overrides the Origin header
    (None: leave it out); `headers` replaces all handshake headers."""
    from backend.asgi import application

    opened: list[WebsocketCommunicator] = []

    async def _connect(
        user: User | None = None,
        *,
        token: bool = False,
        origin: bytes | None = _DEFAULT,
        headers: list[tuple[bytes, bytes]] | None = None,
        path: str = "/ws/",
    ) -> tuple[bool, WS]:
        if headers is None:
            headers = []
            if origin is _DEFAULT:
                origin = None if token else ALLOWED_ORIGIN
            if origin is not None:
                headers.append((b"origin", origin))
            if user is not None:
                credentials = token_headers if token else session_headers
                headers += await database_sync_to_async(credentials)(user)
        communicator = WebsocketCommunicator(application, path, headers=headers)
        opened.append(communicator)
        accepted, _detail = await communicator.connect(timeout=FRAME_TIMEOUT)
        return accepted, WS(communicator)

    yield _connect
    for communicator in opened:
        # A finished application already reported its outcome to the test (a refused handshake,
        # or a timeout that cancelled it); the others must shut down cleanly.
        if not communicator.future.done():
            await communicator.disconnect(timeout=FRAME_TIMEOUT)
    # The consumers' ORM work ran on asgiref's shared worker thread; a connection left open there
    # would block flushing and dropping the test database.
    await database_sync_to_async(connections.close_all)()


@pytest.fixture
def db_call() -> Callable[..., Awaitable[Any]]:
    """`await db_call(fn, **kwargs)`: run a service or query from an async test."""

    async def call(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return await database_sync_to_async(fn)(*args, **kwargs)

    return call
