"""The moderation permission matrix, over REST (every endpoint in moderation/urls.py) and over the
WebSocket (every frame in moderation/frames.py): who may do what, per issue 3 part 1.

- hosts of the group: hide/unhide, pin/unpin, lock/unlock, slow mode — nothing else;
- librarians of the group's library, and staff: everything;
- librarians of another library, members (muted or not), banned former members, outsiders: nothing.
A closed group, and everything in it, answers 404/not_found to whoever may not see it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import transaction
from django.urls import resolve
from django.utils import timezone
from rest_framework.test import APIClient

from chat import services as chat_services
from chat.models import Message, Thread
from groups import services as group_services
from groups.models import Group, Library, Role
from moderation import services as moderation
from moderation import urls as moderation_urls
from moderation.frames import MODERATION_FRAMES
from moderation.models import AuditEntry
from tests.api.test_permissions import served_endpoints
from tests.conftest import add_member, make_group, make_library, make_user

ACTORS = (
    "anonymous",
    "outsider",
    "member",
    "host",
    "librarian",
    "other_librarian",
    "staff",
    "muted",
    "banned",
)
# A socket needs an account. The muted and banned are in tests/chat/test_frame_matrix.py's matrix of
# every frame.
WS_ACTORS = ("outsider", "member", "host", "librarian", "other_librarian", "staff")
SEES_CLOSED = ("member", "host", "librarian", "staff", "muted")
STATUS_CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Place:
    group: Group
    thread: Thread
    message: Message  # written by "member"
    target_id: int  # a plain member: the one muted, banned, kicked


@dataclass
class World:
    library: Library
    users: dict[str, Any]
    places: dict[str, Place] = field(default_factory=dict)


def build_world() -> World:
    library = make_library()
    users: dict[str, Any] = {
        "anonymous": None,
        "outsider": make_user("Buiten"),
        "member": make_user("Anouk"),
        "host": make_user("Gastvrouw"),
        "librarian": make_user("Sanne"),
        "other_librarian": make_user("Elders"),
        "staff": make_user("Beheer", staff=True),
        "muted": make_user("Gedempt"),
        "banned": make_user("Verbannen"),
    }
    group_services.librarian_add(library=library, user=users["librarian"])
    group_services.librarian_add(library=make_library("Andere bieb"), user=users["other_librarian"])
    world = World(library=library, users=users)
    for visibility in ("public", "closed"):
        group = make_group(library, visibility=visibility)  # founded by yet another librarian
        add_member(group, users["member"])
        add_member(group, users["host"], role=Role.HOST)
        target = make_user("Bram")
        add_member(group, target)
        thread = chat_services.thread_create(
            actor=users["member"], group=group, title="Gesprek", body="Eerste bericht"
        )
        for sanctioned in ("muted", "banned"):  # each with a message from before the sanction
            add_member(group, users[sanctioned])
            chat_services.message_send(
                author=users[sanctioned], thread=thread, body=f"Van {sanctioned}", client_id=uuid.uuid4()
            )
        librarian = users["librarian"]
        moderation.member_mute(actor=librarian, group=group, user=users["muted"], reason="Rust")
        moderation.member_ban(actor=librarian, group=group, user=users["banned"], reason="Weg")
        world.places[visibility] = Place(
            group=group,
            thread=thread,
            message=Message.objects.get(thread=thread, author=users["member"]),
            target_id=target.pk,
        )
    return world


def table(default: Any, **overrides: Any) -> dict[str, Any]:
    unknown = set(overrides) - set(ACTORS)
    assert not unknown, unknown
    return {actor: overrides.get(actor, default) for actor in ACTORS}


def hidden(public: dict[str, Any]) -> dict[str, Any]:
    """The closed-group twin: whoever may not see the group gets 404 (anonymous still 401 first)."""
    return {
        actor: (expected if actor in SEES_CLOSED or actor == "anonymous" else 404)
        for actor, expected in public.items()
    }


def hosts(ok: Any) -> dict[str, Any]:
    return table(403, anonymous=401, host=ok, librarian=ok, staff=ok)


def librarians(ok: Any) -> dict[str, Any]:
    return table(403, anonymous=401, librarian=ok, staff=ok)


# --- preconditions for the undo actions, set by the library's librarian --------------------------

Prepare = Callable[[Place, Any], None]


# Fetched again each time: a rolled-back savepoint does not reset the objects in memory.


def _hidden(place: Place, librarian) -> None:
    message = Message.objects.select_related("group").get(pk=place.message.pk)
    moderation.message_hide(actor=librarian, message=message, reason="Nakijken")


def _held(place: Place, librarian) -> None:
    Message.objects.filter(pk=place.message.pk).update(held_at=timezone.now(), moderation_reason="Nakijken")


def _pinned(place: Place, librarian) -> None:
    message = Message.objects.select_related("group").get(pk=place.message.pk)
    moderation.message_pin(actor=librarian, message=message, pinned=True)


def _locked(place: Place, librarian) -> None:
    thread = Thread.objects.select_related("group").get(pk=place.thread.pk)
    moderation.thread_lock(actor=librarian, thread=thread, locked=True)


def _muted(place: Place, librarian) -> None:
    target = group_services.User.objects.get(pk=place.target_id)
    moderation.member_mute(actor=librarian, group=place.group, user=target, reason="Rust", minutes=5)


def _banned(place: Place, librarian) -> None:
    target = group_services.User.objects.get(pk=place.target_id)
    moderation.member_ban(actor=librarian, group=place.group, user=target, reason="Weg")


# --- REST --------------------------------------------------------------------------------------


def _msg(p: Place) -> str:
    return f"/api/v1/moderation/messages/{p.message.pk}/"


def _member(p: Place) -> str:
    return f"/api/v1/moderation/groups/{p.group.slug}/members/{p.target_id}/"


REASON = {"reason": "Volgens de huisregels"}

# (name, method, path, data, prepare, expected for the public group)
REST_ROWS: list[tuple[str, str, Callable[[Place], str], dict | None, Prepare | None, dict]] = [
    ("hide", "post", lambda p: _msg(p) + "hide/", REASON, None, hosts(200)),
    ("unhide", "delete", lambda p: _msg(p) + "hide/", None, _hidden, hosts(200)),
    ("remove", "post", lambda p: _msg(p) + "remove/", REASON, None, librarians(200)),
    ("pin", "post", lambda p: _msg(p) + "pin/", None, None, hosts(200)),
    ("unpin", "delete", lambda p: _msg(p) + "pin/", None, _pinned, hosts(200)),
    ("lock", "post", lambda p: f"/api/v1/moderation/threads/{p.thread.pk}/lock/", REASON, None, hosts(200)),
    (
        "unlock",
        "delete",
        lambda p: f"/api/v1/moderation/threads/{p.thread.pk}/lock/",
        None,
        _locked,
        hosts(200),
    ),
    (
        "slow-mode",
        "put",
        lambda p: f"/api/v1/moderation/groups/{p.group.slug}/slow-mode/",
        {"seconds": 30},
        None,
        hosts(200),
    ),
    (
        "sanctions",
        "get",
        lambda p: f"/api/v1/moderation/groups/{p.group.slug}/sanctions/",
        None,
        _muted,
        hosts(200),
    ),
    ("mute", "post", lambda p: _member(p) + "mute/", {**REASON, "minutes": 10}, None, librarians(201)),
    ("unmute", "delete", lambda p: _member(p) + "mute/", None, _muted, librarians(204)),
    ("ban", "post", lambda p: _member(p) + "ban/", REASON, None, librarians(201)),
    (
        "ban-library-wide",
        "post",
        lambda p: _member(p) + "ban/",
        {**REASON, "library_wide": True},
        None,
        librarians(201),
    ),
    ("unban", "delete", lambda p: _member(p) + "ban/", None, _banned, librarians(204)),
    ("kick", "post", lambda p: _member(p) + "kick/", REASON, None, librarians(204)),
]

# Library-level: the audit log, for the library's librarians and staff only.
AUDIT_ROWS = [
    ("audit", lambda w: f"/api/v1/moderation/libraries/{w.library.slug}/audit/", librarians(200)),
    (
        "audit-csv",
        lambda w: f"/api/v1/moderation/libraries/{w.library.slug}/audit/?format=csv",
        librarians(200),
    ),
]


@pytest.fixture
def world(db) -> World:
    return build_world()


def outcome(response) -> int | str:
    """The status, or for a 400 its error code; denials carry the one error shape."""
    if response.status_code < 400:
        return response.status_code
    body = response.json()
    assert isinstance(body.get("code"), str) and isinstance(body.get("detail"), str), body
    if response.status_code == 400:
        return body["code"]
    assert body["code"] == STATUS_CODES[response.status_code], body
    return response.status_code


def run_matrix(world: World, method: str, path: str, data: dict | None, prepare) -> dict[str, Any]:
    """Each actor in a savepoint that is rolled back: one actor's ban never changes the next's world.
    An allowed call writes exactly one audit entry (a list writes none); a refused one writes none."""
    results = {}
    client = APIClient()
    for actor in ACTORS:
        client.force_authenticate(world.users[actor])
        with transaction.atomic():
            if prepare is not None:
                prepare()
            audited = AuditEntry.objects.count()
            kwargs = {"format": "json"} if data is not None else {}
            if data is not None:
                kwargs["data"] = data
            response = getattr(client, method)(path, **kwargs)
            results[actor] = outcome(response)
            written = AuditEntry.objects.count() - audited
            assert written == (1 if response.status_code < 300 and method != "get" else 0), (actor, written)
            transaction.set_rollback(True)
    return results


REST_CASES = []
for _name, _method, _path, _data, _prepare, _public in REST_ROWS:
    REST_CASES.append(pytest.param("public", _method, _path, _data, _prepare, _public, id=f"{_name}-public"))
    REST_CASES.append(
        pytest.param("closed", _method, _path, _data, _prepare, hidden(_public), id=f"{_name}-closed")
    )


@pytest.mark.parametrize(("visibility", "method", "path", "data", "prepare", "expected"), REST_CASES)
def test_rest_moderation_endpoints(world, visibility, method, path, data, prepare, expected):
    place = world.places[visibility]
    librarian = world.users["librarian"]
    setup = None if prepare is None else (lambda: prepare(place, librarian))
    assert run_matrix(world, method, path(place), data, setup) == expected


@pytest.mark.parametrize(("path", "expected"), [pytest.param(r[1], r[2], id=r[0]) for r in AUDIT_ROWS])
def test_rest_audit_log(world, path, expected):
    assert (
        run_matrix(
            world, "get", path(world), None, lambda: _hidden(world.places["closed"], world.users["librarian"])
        )
        == expected
    )


def test_other_library_audit_log_is_not_readable_by_this_librarian(world):
    other = make_library("Derde bieb")
    client = APIClient()
    client.force_authenticate(world.users["librarian"])
    assert outcome(client.get(f"/api/v1/moderation/libraries/{other.slug}/audit/")) == 403


# --- the matrix covers every moderation endpoint -----------------------------------------------


def _route(path: str) -> str:
    return resolve(path.split("?")[0]).route.removeprefix("api/v1/")


def covered_endpoints(library_slug: str = "bieb") -> set[tuple[str, str]]:
    """(method, route) of every row above; tests/api/test_permissions.py's guard counts these too."""
    some = SimpleNamespace(pk=1, slug="groep")
    place = SimpleNamespace(group=some, thread=some, message=some, target_id=1)
    covered = {(method, _route(path(place))) for _n, method, path, *_rest in REST_ROWS}
    covered |= {
        ("get", _route(path(SimpleNamespace(library=SimpleNamespace(slug=library_slug)))))
        for _n, path, _e in AUDIT_ROWS
    }
    from tests.moderation.test_appeals import appeal_routes  # their own tests
    from tests.moderation.test_automatic import automatic_routes
    from tests.moderation.test_reports import report_routes
    from tests.moderation.test_state import state_routes

    return covered | report_routes() | automatic_routes() | appeal_routes() | state_routes()


def test_the_matrix_covers_every_moderation_endpoint():
    """A new view or method in moderation/urls.py fails here until it has a row above."""
    served = served_endpoints(moderation_urls.urlpatterns, "moderation/")
    assert served, "moderation/urls.py serves nothing?"
    assert served - covered_endpoints() == set()


def test_audit_log_exports_csv(world):
    _hidden(world.places["public"], world.users["librarian"])
    client = APIClient()
    client.force_authenticate(world.users["librarian"])
    response = client.get(f"/api/v1/moderation/libraries/{world.library.slug}/audit/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "time,action,actor,target,group,message,thread,reason,before,after"
    # The world's mutes and bans (two groups), and the hide.
    assert len(lines) == 6 and ",hide,Sanne,Anouk," in lines[1]
    # ... and the JSON list, also with an explicit ?format=json
    rows = client.get(f"/api/v1/moderation/libraries/{world.library.slug}/audit/?format=json").json()
    assert [r["action"] for r in rows] == ["hide", "ban", "mute", "ban", "mute"]


# --- WebSocket ---------------------------------------------------------------------------------


@dataclass
class Fresh:
    """Objects made for one actor's attempt, so earlier attempts do not change its outcome."""

    place: Place
    thread: Thread
    message: Message
    target_id: int


def _fresh(world: World, visibility: str, prepare: Prepare | None) -> Fresh:
    base = world.places[visibility]
    thread = chat_services.thread_create(
        actor=world.users["librarian"], group=base.group, title="Nieuw gesprek", body="Nieuw bericht"
    )
    target = make_user("Doelwit")
    add_member(base.group, target)
    place = Place(
        group=base.group, thread=thread, message=Message.objects.get(thread=thread), target_id=target.pk
    )
    if prepare is not None:
        prepare(place, world.users["librarian"])
    return Fresh(place=place, thread=thread, message=place.message, target_id=target.pk)


def _member_frame(f: Fresh, **extra: Any) -> dict[str, Any]:
    return {"group": f.place.group.slug, "member": f.target_id, **extra}


WS_HOSTS = {
    "outsider": "permission_denied",
    "member": "permission_denied",
    "host": "ok",
    "librarian": "ok",
    "other_librarian": "permission_denied",
    "staff": "ok",
}
WS_LIBRARIANS = {**WS_HOSTS, "host": "permission_denied"}

# (frame type, fields, prepare, expected in the public group)
WS_ROWS: list[tuple[str, Callable[[Fresh], dict], Prepare | None, dict]] = [
    ("message.hide", lambda f: {"id": f.message.pk, **REASON}, None, WS_HOSTS),
    ("message.unhide", lambda f: {"id": f.message.pk}, _hidden, WS_HOSTS),
    ("message.remove", lambda f: {"id": f.message.pk, **REASON}, None, WS_LIBRARIANS),
    ("message.pin", lambda f: {"id": f.message.pk}, None, WS_HOSTS),
    ("message.unpin", lambda f: {"id": f.message.pk}, _pinned, WS_HOSTS),
    ("thread.lock", lambda f: {"thread": f.thread.pk, **REASON}, None, WS_HOSTS),
    ("thread.unlock", lambda f: {"thread": f.thread.pk}, _locked, WS_HOSTS),
    ("group.slow_mode", lambda f: {"group": f.place.group.slug, "seconds": 30}, None, WS_HOSTS),
    ("member.mute", lambda f: _member_frame(f, minutes=10, **REASON), None, WS_LIBRARIANS),
    ("member.unmute", lambda f: _member_frame(f), _muted, WS_LIBRARIANS),
    ("member.ban", lambda f: _member_frame(f, **REASON), None, WS_LIBRARIANS),
    ("member.unban", lambda f: _member_frame(f), _banned, WS_LIBRARIANS),
    ("member.kick", lambda f: _member_frame(f, **REASON), None, WS_LIBRARIANS),
    ("message.approve", lambda f: {"id": f.message.pk}, _held, WS_HOSTS),
    ("message.reject", lambda f: {"id": f.message.pk, **REASON}, _held, WS_HOSTS),
]


def _ws_hidden(public: dict[str, str]) -> dict[str, str]:
    return {a: (e if a in SEES_CLOSED else "not_found") for a, e in public.items()}


WS_CASES = []
for _frame, _fields, _prepare, _public in WS_ROWS:
    WS_CASES.append(pytest.param("public", _frame, _fields, _prepare, _public, id=f"{_frame}-public"))
    WS_CASES.append(
        pytest.param("closed", _frame, _fields, _prepare, _ws_hidden(_public), id=f"{_frame}-closed")
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("visibility", "frame", "fields", "prepare", "expected"), WS_CASES)
async def test_ws_moderation_frames(connect, db_call, visibility, frame, fields, prepare, expected):
    world = await db_call(build_world)
    results = {}
    for actor in WS_ACTORS:
        fresh = await db_call(_fresh, world, visibility, prepare)
        audited = await db_call(AuditEntry.objects.count)
        accepted, ws = await connect(world.users[actor])
        assert accepted
        ref = uuid.uuid4().hex[:8]
        await ws.send(frame, ref=ref, **fields(fresh))
        await ws.send("ping")  # frames are handled in order: a success answers nothing before the pong
        # The fresh message is the librarian's own: they may hear the notice about it first.
        reply = await ws.next(ignore=("presence", "moderation.notice"))
        if reply["type"] == "pong":
            results[actor] = "ok"
        else:
            assert reply["type"] == "error" and reply["ref"] == ref, reply
            results[actor] = reply["code"]
            assert (await ws.next(ignore=("presence", "moderation.notice")))["type"] == "pong"
        written = await db_call(AuditEntry.objects.count) - audited
        assert written == (1 if results[actor] == "ok" else 0), (actor, written)
        await ws.close()
    assert results == expected


def test_every_moderation_frame_is_in_the_matrix():
    # message.report is open to everyone who can see the message: tests/moderation/test_reports.py.
    assert {row[0] for row in WS_ROWS} | {"message.report"} == set(MODERATION_FRAMES)
