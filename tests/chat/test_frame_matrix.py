"""The WebSocket permission matrix: every frame type the consumer routes (chat/consumers.py
`LiveConsumer.routes`, with the moderation and meetup-question frames) × every kind of actor ×
public and closed group, with the outcome written out below: `ok` (the frame's answer — `subscribed`,
`ack`, `pong`… — or, for frames answered by events, no error), or the `error` frame's code.

A closed group, and everything in it, is `not_found` for whoever may not see it — never `forbidden`
or `permission_denied`, which would tell that it exists. An anonymous socket never gets this far: it
is closed with 4001 at the handshake. A guard fails when a frame type has no row.

Each actor has one socket for the whole table. Rows that change what they act on (hide, delete, ban…)
get a fresh message, thread or member for every attempt that should succeed, prepared as in
tests/moderation/test_permissions.py, so one actor's success never changes another's outcome.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from accounts.models import User
from chat import services as chat_services
from chat.consumers import LiveConsumer
from chat.models import Message
from groups.models import Group
from meetups import questions
from meetups.models import Meetup, Question
from tests.conftest import add_member, make_user
from tests.meetups.factories import make_meetup
from tests.moderation.test_permissions import (
    Place,
    World,
    _banned,
    _held,
    _hidden,
    _locked,
    _muted,
    _pinned,
    build_world,
)

pytestmark = pytest.mark.django_db(transaction=True)

ACTORS = ("outsider", "member", "muted", "banned", "host", "librarian", "other_librarian", "staff")
# Who sees the closed group: its active members (a mute does not end membership, a ban does), the
# librarians of its library, and staff.
SEES_CLOSED = ("member", "muted", "host", "librarian", "staff")
OK = "ok"
MEMBER_ONLY = "not_a_member"
DENIED = "permission_denied"


def table(default: str, **overrides: str) -> dict[str, str]:
    unknown = set(overrides) - set(ACTORS)
    assert not unknown, unknown
    return {actor: overrides.get(actor, default) for actor in ACTORS}


def closed_twin(public: dict[str, str]) -> dict[str, str]:
    return {actor: (outcome if actor in SEES_CLOSED else "not_found") for actor, outcome in public.items()}


# Who may write into the conversation: members and the library's librarians (staff count as
# librarians everywhere); a mute or ban says so by name.
WRITERS = table(MEMBER_ONLY, member=OK, muted="muted", banned="banned", host=OK, librarian=OK, staff=OK)
# Typing and marking read are not writes: a muted member still may; a banned one is no member.
PRESENT = table(MEMBER_ONLY, member=OK, muted=OK, host=OK, librarian=OK, staff=OK)
HOSTS = table(DENIED, host=OK, librarian=OK, staff=OK)
LIBRARIANS = table(DENIED, librarian=OK, staff=OK)
OWN_MESSAGE = table(DENIED, member=OK, muted="muted", banned="banned")


@dataclass
class Scene:
    """One group of the world, with what the frames act on."""

    place: Place  # the group, a thread with a message by "member", a plain member as target
    own: dict[str, int]  # actor → a message of their own (written before a mute or ban)
    meetup: Meetup
    question: Question  # asked by the target member


@dataclass
class Attempt:
    """What one actor's frame refers to: the scene, plus fresh objects for rows that need them."""

    scene: Scene
    actor: str
    fresh: Place | None

    @property
    def group(self) -> Group:
        return self.scene.place.group

    def own_message(self) -> int:
        return self.scene.own.get(self.actor, self.scene.place.message.pk)


Fields = Callable[[Attempt], dict[str, Any]]
Prepare = Callable[[Place, Any], None]
REASON = {"reason": "Volgens de huisregels"}


@dataclass
class Row:
    fields: Fields
    public: dict[str, str]
    answer: str | None = None  # the frame that says ok; None: no error before the next pong
    fresh: str | None = None  # "message", "thread" or "member": a new one for each attempt
    prepare: Prepare | None = None  # run by the library's librarian on the fresh objects
    closed: dict[str, str] | None = None  # None: closed_twin(public)

    def expected(self, visibility: str) -> dict[str, str]:
        if visibility == "public":
            return self.public
        return self.closed if self.closed is not None else closed_twin(self.public)


def _msg(a: Attempt) -> int:
    return a.fresh.message.pk if a.fresh else a.scene.place.message.pk


def _member(a: Attempt, **extra: Any) -> dict[str, Any]:
    assert a.fresh is not None
    return {"group": a.group.slug, "member": a.fresh.target_id, **extra}


def _own_or_fresh(a: Attempt) -> int:
    """message.delete: the muted and banned delete their own message; everyone else tries a fresh
    one by "member" (only "member" may, and then it is gone — hence fresh)."""
    assert a.fresh is not None
    return a.scene.own[a.actor] if a.actor in ("muted", "banned") else a.fresh.message.pk


FRAMES: dict[str, Row] = {
    "subscribe": Row(lambda a: {"group": a.group.slug}, table(OK, banned="banned"), "subscribed"),
    # Answered for any slug, without looking it up: nothing to leak.
    "unsubscribe": Row(lambda a: {"group": a.group.slug}, table(OK), "unsubscribed", closed=table(OK)),
    "message.send": Row(
        lambda a: {"thread": a.scene.place.thread.pk, "body": "Hallo", "client_id": str(uuid.uuid4())},
        WRITERS,
        "ack",
    ),
    "message.edit": Row(lambda a: {"id": a.own_message(), "body": "Aangepast"}, OWN_MESSAGE),
    # Deleting one's own message only removes one's own words: allowed while muted or banned.
    "message.delete": Row(
        lambda a: {"id": _own_or_fresh(a)}, table(DENIED, member=OK, muted=OK, banned=OK), fresh="message"
    ),
    "reaction.add": Row(lambda a: {"id": a.scene.place.message.pk, "emoji": "👍"}, WRITERS),
    "reaction.remove": Row(lambda a: {"id": a.scene.place.message.pk, "emoji": "👍"}, WRITERS),
    "typing": Row(lambda a: {"thread": a.scene.place.thread.pk}, PRESENT),
    "read": Row(lambda a: {"thread": a.scene.place.thread.pk, "seq": 0}, PRESENT),
    "ping": Row(lambda a: {}, table(OK), "pong", closed=table(OK)),
    # A library's report queue: its librarians and staff; for anyone else the library "is not there".
    "moderation.subscribe": Row(
        lambda a: {"library": a.group.library.slug},
        table("not_found", librarian=OK, staff=OK),
        "moderation.subscribed",
        closed=table("not_found", librarian=OK, staff=OK),
    ),
    "message.hide": Row(lambda a: {"id": _msg(a), **REASON}, HOSTS, fresh="message"),
    "message.unhide": Row(lambda a: {"id": _msg(a)}, HOSTS, fresh="message", prepare=_hidden),
    "message.remove": Row(lambda a: {"id": _msg(a), **REASON}, LIBRARIANS, fresh="message"),
    "message.pin": Row(lambda a: {"id": _msg(a)}, HOSTS, fresh="message"),
    "message.unpin": Row(lambda a: {"id": _msg(a)}, HOSTS, fresh="message", prepare=_pinned),
    "thread.lock": Row(lambda a: {"thread": a.fresh.thread.pk, **REASON}, HOSTS, fresh="thread"),
    "thread.unlock": Row(lambda a: {"thread": a.fresh.thread.pk}, HOSTS, fresh="thread", prepare=_locked),
    # On a fresh thread: slow mode on the whole group would hold up the fresh objects of later rows.
    "group.slow_mode": Row(
        lambda a: {"group": a.group.slug, "thread": a.fresh.thread.pk, "seconds": 30}, HOSTS, fresh="thread"
    ),
    "member.mute": Row(lambda a: _member(a, minutes=10, **REASON), LIBRARIANS, fresh="member"),
    "member.unmute": Row(lambda a: _member(a), LIBRARIANS, fresh="member", prepare=_muted),
    "member.ban": Row(lambda a: _member(a, **REASON), LIBRARIANS, fresh="member"),
    "member.unban": Row(lambda a: _member(a), LIBRARIANS, fresh="member", prepare=_banned),
    "member.kick": Row(lambda a: _member(a, **REASON), LIBRARIANS, fresh="member"),
    # Whoever can see a message may report it (once each).
    "message.report": Row(lambda a: {"id": _msg(a), "category": "spam"}, table(OK)),
    "message.approve": Row(lambda a: {"id": _msg(a)}, HOSTS, fresh="message", prepare=_held),
    "message.reject": Row(lambda a: {"id": _msg(a), **REASON}, HOSTS, fresh="message", prepare=_held),
    "question.ask": Row(lambda a: {"meetup": a.scene.meetup.pk, "body": "Mag dat?"}, WRITERS),
    "question.vote": Row(lambda a: {"question": a.scene.question.pk, "vote": True}, WRITERS),
    "question.state": Row(lambda a: {"question": a.scene.question.pk, "state": "answered"}, HOSTS),
}


def test_every_frame_type_has_a_row():
    """A new frame type in the consumer's route table fails here until it has a row above."""
    assert set(LiveConsumer().routes()) == set(FRAMES)


# --- the world -----------------------------------------------------------------------------------


def _build() -> tuple[World, dict[str, Scene]]:
    # Every actor, the muted and the banned each with a message from before their sanction; a
    # public and a closed group.
    world = build_world()
    scenes = {}
    for visibility, place in world.places.items():
        own = {
            actor: Message.objects.get(thread=place.thread, author=world.users[actor]).pk
            for actor in ("member", "muted", "banned")
        }
        meetup = make_meetup(place.group, world.users["host"])
        target = User.objects.get(pk=place.target_id)
        question = questions.question_ask(actor=target, meetup=meetup, body="Wanneer begint het?")
        scenes[visibility] = Scene(place=place, own=own, meetup=meetup, question=question)
    return world, scenes


def _fresh(world: World, scene: Scene, kind: str, prepare: Prepare | None) -> Place:
    """The scene's place with one thing new: a message by "member", a thread, or a plain member."""
    base = scene.place
    fresh = Place(group=base.group, thread=base.thread, message=base.message, target_id=base.target_id)
    if kind == "message":
        fresh.message = chat_services.message_send(
            author=world.users["member"], thread=base.thread, body="Nieuw bericht", client_id=uuid.uuid4()
        ).message
    elif kind == "thread":
        fresh.thread = chat_services.thread_create(
            actor=world.users["member"], group=base.group, title="Nieuw gesprek"
        )
    else:
        target = make_user("Doelwit", verified=False)
        add_member(base.group, target)
        fresh.target_id = target.pk
    if prepare is not None:
        prepare(fresh, world.users["librarian"])
    return fresh


async def _outcome(ws, frame_type: str, fields: dict[str, Any], answer: str | None) -> str:
    """Send the frame, then a ping; frames are handled in order, so everything the frame causes on
    this socket — its answer or its error — comes before that pong."""
    ref = uuid.uuid4().hex[:12]
    await ws.send(frame_type, ref=ref, **fields)
    await ws.send("ping")
    pongs = 2 if frame_type == "ping" else 1
    seen, error = set(), None
    while pongs:
        frame = await ws.next(ignore=())
        seen.add(frame["type"])
        if frame["type"] == "pong":
            pongs -= 1
        elif frame["type"] == "error" and frame.get("ref") == ref:
            error = frame["code"]
    if error is not None:
        return error
    return OK if answer is None or answer in seen else f"no {answer}"


def _attempts(world: World, scene: Scene, row: Row, expected: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Each actor's frame fields. Fresh objects only for the attempts expected to succeed: a refusal
    changes nothing, so the others share one set (were one wrongly allowed, the table shows it)."""
    shared = _fresh(world, scene, row.fresh, row.prepare) if row.fresh else None
    fields = {}
    for actor in ACTORS:
        fresh = shared
        if row.fresh and expected[actor] == OK:
            fresh = _fresh(world, scene, row.fresh, row.prepare)
        fields[actor] = row.fields(Attempt(scene=scene, actor=actor, fresh=fresh))
    return fields


async def test_every_frame_for_every_actor_in_public_and_closed_groups(connect, db_call, settings):
    # The matrix is about access, not pace: one member's many writes must not hit the rate limit.
    settings.KENNISCLOUD = {**settings.KENNISCLOUD, "RATE_LIMIT_MESSAGES": 10**6, "RATE_LIMIT_WRITES": 10**6}
    world, scenes = await db_call(_build)
    sockets = {}
    for actor in ACTORS:
        accepted, sockets[actor] = await connect(world.users[actor])
        assert accepted
    mismatches = {}
    for visibility, scene in scenes.items():
        started = time.monotonic()
        for frame_type, row in FRAMES.items():
            expected = row.expected(visibility)
            fields = await db_call(_attempts, world, scene, row, expected)
            # The actors' sockets are independent: all at once (each waits only for its own pong).
            outcomes = await asyncio.gather(
                *(_outcome(sockets[actor], frame_type, fields[actor], row.answer) for actor in ACTORS)
            )
            got = dict(zip(ACTORS, outcomes, strict=True))
            if got != expected:
                mismatches[f"{frame_type} ({visibility})"] = {
                    actor: (got[actor], want) for actor, want in expected.items() if got[actor] != want
                }
        took = time.monotonic() - started
        print(f"{len(FRAMES)} frames × {len(ACTORS)} actors, {visibility} group: {took:.1f} s")
    assert mismatches == {}, "frame (group): {actor: (got, expected)}"


async def test_an_anonymous_socket_never_reaches_a_frame(connect):
    accepted, ws = await connect(None)
    assert accepted  # accepted at the transport level, then closed (docs/protocol.md)
    assert await ws.closed_with() == 4001
