"""Shared fixtures. The suite runs against real PostgreSQL and Redis (`make test` sets
DATABASE_URL and REDIS_URL); factories are plain functions that go through our services."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from allauth.account.models import EmailAddress
from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.db import connection, connections
from rest_framework.test import APIClient

from accounts.models import User
from groups import services as group_services
from groups.models import Group, Library, Membership, MembershipState, Role

PASSWORD = "correct-horse-battery-9"

# The suite's tests make many REST requests as one user, and so do the servers they start (daphne
# workers inherit this environment): no per-user REST throttling there, unless a test sets rates
# (tests/api/test_throttling.py). Visitors keep the `anon` rate.
for _scope in ("USER", "WRITE", "SEARCH"):
    os.environ.setdefault(f"KENNISCLOUD_{_scope}_RATE", "off")


def pytest_configure(config: pytest.Config) -> None:
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine or not settings.REDIS_URL:
        pytest.exit(
            "The test suite needs real PostgreSQL and Redis: run `make test`, or set DATABASE_URL "
            "(postgres://…) and REDIS_URL (redis://…/9 — a database the suite may flush).",
            returncode=2,
        )


@pytest.fixture(scope="session", autouse=True)
def _close_orm_thread_connection(django_db_setup) -> Iterator[None]:
    """Consumers run their database calls on Channels' one ORM thread (backend/orm_turns.py); the
    connection it last used must be closed before the test database is dropped."""
    yield
    SyncToAsync.single_thread_executor.submit(connections.close_all).result()


@pytest.fixture(autouse=True)
def _clean_redis() -> Iterator[None]:
    """Rate-limit counters, presence and channel-layer state never leak between tests."""
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _no_user_throttling(settings) -> None:
    """The settings were loaded before the environment above was set: the same, in this process."""
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "user": None, "write": None, "search": None},
    }


@pytest.fixture(autouse=True)
def _close_db_connections_after_async() -> Iterator[None]:
    # Async tests run ORM calls in worker threads; a connection left open there blocks dropping
    # the test database at the end of the session.
    yield
    connections.close_all()


# --- concurrency -------------------------------------------------------------------------------


def in_threads(count: int, work: Callable[[int], object]) -> list[object]:
    """Run `work(i)` in `count` real threads released at once; each thread has (and closes) its own
    database connection. Re-raises the first exception."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count
    errors: list[Exception] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = work(i)
        except Exception as exc:  # re-raised in the test thread below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not any(worker.is_alive() for worker in workers)
    if errors:
        raise errors[0]
    return results


# --- factories ---------------------------------------------------------------------------------

_counter = iter(range(1, 10**9))


def _password_hash() -> str:
    # PBKDF2 takes ~0.3 s by design. Factory users share one hash of PASSWORD, computed once per
    # hasher configuration (a test may switch PASSWORD_HASHERS), so any process running the same
    # settings (daphne in live tests) still verifies it.
    return _hash_with(tuple(settings.PASSWORD_HASHERS))


@functools.cache
def _hash_with(hashers: tuple[str, ...]) -> str:
    return make_password(PASSWORD)


def make_user(
    display_name: str | None = None, *, staff: bool = False, verified: bool = True, **extra: Any
) -> User:
    """A user who has confirmed their e-mail address (`verified=False`: one who has not) — with
    e-mail verification mandatory (the default) only those log in and get personal tokens."""
    n = next(_counter)
    password = extra.pop("password", PASSWORD)
    user = User.objects.create(
        email=User.objects.normalize_email(extra.pop("email", f"user{n}@example.org")),
        password=_password_hash() if password == PASSWORD else make_password(password),
        display_name=display_name or f"Lid {n}",
        is_staff=staff,
        **extra,
    )
    if verified and user.email:
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def make_library(name: str = "Bibliotheek Testdorp") -> Library:
    n = next(_counter)
    return Library.objects.create(name=f"{name} {n}", slug=f"bieb-{n}")


def make_group(
    library: Library, *, visibility: str = "public", creator: User | None = None, name: str | None = None
) -> Group:
    n = next(_counter)
    if creator is None:
        creator = make_user("Bibliothecaris")
        group_services.librarian_add(library=library, user=creator)
    return group_services.group_create(
        actor=creator,
        library=library,
        name=name or f"Groep {n}",
        slug=f"groep-{n}",
        description="",
        themes=["test"],
        visibility=visibility,
    )


def add_member(
    group: Group, user: User, role: str = Role.MEMBER, state: str = MembershipState.ACTIVE
) -> Membership:
    return Membership.objects.create(group=group, user=user, role=role, state=state)


@pytest.fixture
def library(db) -> Library:
    return make_library()


@pytest.fixture
def librarian(library) -> User:
    user = make_user("Sanne")
    group_services.librarian_add(library=library, user=user)
    return user


@pytest.fixture
def public_group(library, librarian) -> Group:
    return make_group(library, visibility="public", creator=librarian)


@pytest.fixture
def closed_group(library, librarian) -> Group:
    return make_group(library, visibility="closed", creator=librarian)


@pytest.fixture
def member(public_group, closed_group) -> User:
    user = make_user("Anouk")
    add_member(public_group, user)
    add_member(closed_group, user)
    return user


@pytest.fixture
def other_member(public_group, closed_group) -> User:
    user = make_user("Bram")
    add_member(public_group, user)
    add_member(closed_group, user)
    return user


@pytest.fixture
def host(public_group, closed_group) -> User:
    user = make_user("Host")
    add_member(public_group, user, Role.HOST)
    add_member(closed_group, user, Role.HOST)
    return user


@pytest.fixture
def outsider(db) -> User:
    return make_user("Buitenstaander")


@pytest.fixture
def staff(db) -> User:
    return make_user("Beheer", staff=True)


@pytest.fixture
def api() -> Callable[[User | None], APIClient]:
    """`api(user)` → a DRF client logged in as `user` (or anonymous for None)."""

    def build(user: User | None = None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return build


@pytest.fixture
def new_client_id() -> Callable[[], uuid.UUID]:
    return uuid.uuid4


class LayerListener:
    """How tests see what `backend.realtime` published: a real Redis pub/sub subscription to every
    knowledge group's broadcast channel (as server processes subscribe to theirs), and a real channel
    on the real channel layer for what goes to one user's sockets."""

    def __init__(self) -> None:
        from backend.broadcast import channel_name

        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        self.publisher = redis.Redis.from_url(settings.REDIS_URL)
        self.pubsub = self.publisher.pubsub()
        self.marker_channel = channel_name(0).removesuffix(":0") + ":test-marker"
        self.pubsub.psubscribe(channel_name(0).removesuffix("0") + "*")
        while self.pubsub.get_message(timeout=5) is None:  # the subscription is confirmed
            pass
        self.groups: set[int] = set()
        self.users: set[int] = set()
        self.kept: list[dict[str, Any]] = []  # received before the last listen()

    def listen(self, group: Group) -> LayerListener:
        """Receive the frames published to the group's sockets from now on."""
        self.kept = self._group_frames(5.0)
        self.groups.add(group.pk)
        return self

    def listen_user(self, user_id: int) -> LayerListener:
        """Also receive what is sent to every socket of one user: on the channel layer (unread
        counts, kicks) and, on any group's channel, the end of their access to it."""
        from backend.realtime import user_channel

        self.kept = self._group_frames(5.0)
        self.users.add(user_id)
        async_to_sync(self.layer.group_add)(user_channel(user_id), self.channel)
        return self

    def received(self, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Everything published so far, without waiting for quiet — the groups' frames first, then
        the user channel's: the listener sends itself a marker on each and reads up to it. Redis
        delivers pub/sub messages in the order they were published, and orders a channel's messages
        by send time, so everything published before this call arrives before the markers."""
        return self._group_frames(timeout) + self._layer_messages(timeout)

    def _wanted(self, frame: dict[str, Any]) -> bool:
        if frame.get("type") == "group.revoked":
            return frame["user_id"] in self.users or frame["group_id"] in self.groups
        return frame.get("group_id") in self.groups

    def _group_frames(self, timeout: float) -> list[dict[str, Any]]:
        marker = uuid.uuid4().hex
        self.publisher.publish(self.marker_channel, json.dumps({"type": "test.marker", "marker": marker}))
        frames, self.kept = self.kept, []
        while True:
            message = self.pubsub.get_message(timeout=timeout)
            if message is None:
                raise TimeoutError("the marker did not come back")
            if message["type"] != "pmessage":
                continue
            frame = json.loads(message["data"])
            if frame.get("type") == "test.marker":
                if frame.get("marker") == marker:
                    return frames
            elif self._wanted(frame):
                frames.append(frame)

    def _layer_messages(self, timeout: float) -> list[dict[str, Any]]:
        marker = uuid.uuid4().hex

        async def drain() -> list[dict[str, Any]]:
            await self.layer.send(self.channel, {"type": "test.marker", "marker": marker})
            received = []
            while True:
                message = await asyncio.wait_for(self.layer.receive(self.channel), timeout)
                if message.get("type") == "test.marker" and message.get("marker") == marker:
                    return received
                received.append(message)

        return async_to_sync(drain)()

    def published(self) -> list[dict[str, Any]]:
        """The sequenced group events published so far (see `received`)."""
        return [m["event"] for m in self._group_frames(5.0) if m["type"] == "group.event"]

    def events(self, timeout: float = 1.0) -> list[dict[str, Any]]:
        """The sequenced group events received until the groups are quiet for `timeout` seconds."""
        events = []
        while (message := self.pubsub.get_message(timeout=timeout)) is not None:
            if message["type"] == "pmessage":
                frame = json.loads(message["data"])
                if frame.get("type") == "group.event" and self._wanted(frame):
                    events.append(frame["event"])
        return events

    def close(self) -> None:
        self.pubsub.close()
        self.publisher.close()


@pytest.fixture
def layer_listener() -> Iterator[LayerListener]:
    listener = LayerListener()
    yield listener
    listener.close()
