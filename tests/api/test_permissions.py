"""The permission matrix: every endpoint in backend/api_urls.py × every kind of actor × public and
closed groups. A closed group, and everything in it, answers 404 to anyone who is not an active member
(or a librarian of its library, or staff) — exactly like something that does not exist. A muted member
still sees the group but may not write (`muted`); a banned one is no member any more (`banned` where
they try to write or join, 404 in the closed group).

Each row runs all actors against one freshly built world; every call runs in a savepoint that is
rolled back, so one actor's leave or delete never changes what the next actor sees.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, resolve
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_token_create
from backend import api_urls
from chat import services as chat_services
from chat.models import Message, Thread
from groups import services as group_services
from groups.models import Group, Library, MembershipState, Role
from moderation import services as moderation
from tests.conftest import PASSWORD, add_member, make_group, make_library, make_user

ACTORS = (
    "anonymous",
    "outsider",  # signed in, no membership
    "pending",  # asked to join, not approved
    "member",
    "host",
    "librarian",  # librarian of the group's library, not a member of the group
    "staff",
    "other_librarian",  # librarian of another library
    "muted",  # a member muted in the group (by its librarian)
    "banned",  # a former member banned from the group
)
MANAGERS = ("host", "librarian", "staff")
SEES_CLOSED = ("member", "host", "librarian", "staff", "muted")
STATUS_CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}
# A 400 is written as its error code, and so is a 403 that names a sanction.
NOT_A_MEMBER = "not_a_member"
ALREADY_MEMBER = "already_member"
SANCTIONS = ("muted", "banned")
WRITES = {"muted": "muted", "banned": "banned"}  # what the sanctioned hear when they write


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Place:
    group: Group
    thread: Thread
    message: Message  # written by "member"
    target_id: int  # another active member: role changes and removal
    pending_id: int  # the "pending" actor: approval


@dataclass
class World:
    library: Library
    users: dict[str, Any]
    places: dict[str, Place] = field(default_factory=dict)
    member_token_id: int = 0


@pytest.fixture
def world(db) -> World:
    library = make_library()
    users: dict[str, Any] = {
        "anonymous": None,
        "outsider": make_user("Buiten"),
        "pending": make_user("Wachtend"),
        "member": make_user("Anouk"),
        "host": make_user("Gastvrouw"),
        "librarian": make_user("Sanne"),
        "staff": make_user("Beheer", staff=True),
        "other_librarian": make_user("Elders"),
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
        add_member(group, users["pending"], state=MembershipState.PENDING)
        target = make_user("Bram")
        add_member(group, target)
        add_member(group, users["muted"])
        add_member(group, users["banned"])
        moderation.member_mute(actor=users["librarian"], group=group, user=users["muted"], reason="Rust")
        moderation.member_ban(actor=users["librarian"], group=group, user=users["banned"], reason="Weg")
        thread = chat_services.thread_create(
            actor=users["member"], group=group, title="Gesprek", body="Eerste bericht"
        )
        world.places[visibility] = Place(
            group=group,
            thread=thread,
            message=Message.objects.get(thread=thread),
            target_id=target.pk,
            pending_id=users["pending"].pk,
        )
    token, _raw = api_token_create(email=users["member"].email, password=PASSWORD, name="bot")
    world.member_token_id = token.pk
    return world


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def outcome(response) -> int | str:
    """The status, or for a 400 its error code; denials must carry the one error shape."""
    if response.status_code < 400:
        return response.status_code
    body = response.json()
    assert isinstance(body.get("code"), str) and body["code"], body
    assert isinstance(body.get("detail"), str) and body["detail"], body
    if response.status_code == 400 or (response.status_code == 403 and body["code"] in SANCTIONS):
        return body["code"]
    assert body["code"] == STATUS_CODES[response.status_code], body
    return response.status_code


def run_matrix(world: World, method: str, path: str, data: Callable[[], Any] | None) -> dict[str, Any]:
    results = {}
    client = APIClient()  # one client for all actors: every new one loads the middleware again
    for actor in ACTORS:
        client.force_authenticate(world.users[actor])  # None: anonymous
        with transaction.atomic():
            kwargs = {"format": "json"} if method in ("post", "patch") else {}
            payload = data() if data is not None else None
            if payload is not None:
                kwargs["data"] = payload
            response = getattr(client, method)(path, **kwargs)
            results[actor] = outcome(response)
            transaction.set_rollback(True)
    return results


def table(default: Any, **overrides: Any) -> dict[str, Any]:
    unknown = set(overrides) - set(ACTORS)
    assert not unknown, unknown
    return {actor: overrides.get(actor, default) for actor in ACTORS}


def hidden(public: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """The closed-group twin of a public row: whoever may not see the group gets 404 — anonymous
    callers of endpoints that need an account still get 401 first."""
    closed = {
        actor: (expected if actor in SEES_CLOSED or (actor == "anonymous" and expected == 401) else 404)
        for actor, expected in public.items()
    }
    closed.update(overrides)
    return closed


# --- endpoints outside any group -----------------------------------------------------------------

ANON_401 = {"anonymous": 401}

GLOBAL_ROWS = [
    ("libraries-list", "get", lambda w: "/api/v1/libraries/", None, table(200)),
    ("library-detail", "get", lambda w: f"/api/v1/libraries/{w.library.slug}/", None, table(200)),
    (
        "library-create",
        "post",
        lambda w: "/api/v1/libraries/",
        lambda w: {"name": "Bibliotheek Nieuw", "slug": "nieuw"},
        table(403, **ANON_401, staff=201),
    ),
    (
        "library-patch",
        "patch",
        lambda w: f"/api/v1/libraries/{w.library.slug}/",
        lambda w: {"name": "Andere naam"},
        table(403, **ANON_401, staff=200),
    ),
    ("groups-list", "get", lambda w: "/api/v1/groups/", None, table(200)),
    (
        "group-create",
        "post",
        lambda w: "/api/v1/groups/",
        lambda w: {"library": w.library.slug, "name": "Nieuwe groep"},
        table(403, **ANON_401, librarian=201, staff=201),
    ),
    ("me", "get", lambda w: "/api/v1/me/", None, table(200, **ANON_401)),
    ("me-patch", "patch", lambda w: "/api/v1/me/", lambda w: {"language": "en"}, table(200, **ANON_401)),
    ("tokens-list", "get", lambda w: "/api/v1/auth/tokens/", None, table(200, **ANON_401)),
    (
        "token-revoke",
        "delete",
        lambda w: f"/api/v1/auth/tokens/{w.member_token_id}/",
        None,
        table(404, **ANON_401, member=204),
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "data", "expected"),
    [pytest.param(*row[1:], id=row[0]) for row in GLOBAL_ROWS],
)
def test_global_endpoints(world, method, path, data, expected):
    payload = None if data is None else lambda: data(world)
    assert run_matrix(world, method, path(world), payload) == expected


def test_token_create_needs_credentials_not_a_session(world):
    member = world.users["member"]
    for actor in ACTORS:
        client = client_for(world.users[actor])
        good = client.post(
            "/api/v1/auth/token/", {"email": member.email, "password": PASSWORD}, format="json"
        )
        assert good.status_code == 201, actor
        bad = client.post("/api/v1/auth/token/", {"email": member.email, "password": "fout"}, format="json")
        assert bad.status_code == 401
        assert bad.json()["code"] == "authentication_failed"
    assert ApiToken.objects.filter(user=member).count() == 1 + len(ACTORS)


# --- endpoints inside a group --------------------------------------------------------------------


def _group(p: Place) -> str:
    return f"/api/v1/groups/{p.group.slug}/"


def _message(p: Place) -> str:
    return f"/api/v1/messages/{p.message.pk}/"


MEMBERS_POST = table(NOT_A_MEMBER, **ANON_401, **WRITES, member=201, host=201, librarian=201, staff=201)
MEMBERS_ACT = table(NOT_A_MEMBER, **ANON_401, **WRITES, member=200, host=200, librarian=200, staff=200)
# Marking read is no write: a muted member still may.
MEMBERS_READ = table(NOT_A_MEMBER, **ANON_401, member=200, host=200, librarian=200, staff=200, muted=200)
MANAGE = table(403, **ANON_401, host=200, librarian=200, staff=200)
AUTHOR = table(403, **ANON_401, member=200)

GROUP_ROWS = [
    ("group-detail", "get", _group, None, table(200)),
    ("group-patch", "patch", _group, lambda p: {"description": "Nieuw"}, MANAGE),
    (
        "group-join",
        "post",
        lambda p: _group(p) + "join/",
        lambda p: {},
        table(
            200,
            **ANON_401,
            pending=ALREADY_MEMBER,
            member=ALREADY_MEMBER,
            host=ALREADY_MEMBER,
            muted=ALREADY_MEMBER,
            banned="banned",
        ),
    ),
    (
        "group-leave",
        "post",
        lambda p: _group(p) + "leave/",
        None,
        table(NOT_A_MEMBER, **ANON_401, pending=204, member=204, host=204, muted=204),
    ),
    ("members-list", "get", lambda p: _group(p) + "members/", None, table(200, **ANON_401)),
    (
        "member-approve",
        "post",
        lambda p: _group(p) + f"members/{p.pending_id}/approve/",
        None,
        MANAGE,
    ),
    (
        "member-role",
        "patch",
        lambda p: _group(p) + f"members/{p.target_id}/",
        lambda p: {"role": "host"},
        MANAGE,
    ),
    (
        "member-remove",
        "delete",
        lambda p: _group(p) + f"members/{p.target_id}/",
        None,
        table(403, **ANON_401, host=204, librarian=204, staff=204),
    ),
    ("threads-list", "get", lambda p: _group(p) + "threads/", None, table(200)),
    ("threads-create", "post", lambda p: _group(p) + "threads/", lambda p: {"title": "Nieuw"}, MEMBERS_POST),
    ("events", "get", lambda p: _group(p) + "events/?after_seq=0", None, table(200)),
    ("thread-detail", "get", lambda p: f"/api/v1/threads/{p.thread.pk}/", None, table(200)),
    ("messages-list", "get", lambda p: f"/api/v1/threads/{p.thread.pk}/messages/", None, table(200)),
    (
        "messages-catch-up",
        "get",
        lambda p: f"/api/v1/threads/{p.thread.pk}/messages/?after_seq=0",
        None,
        table(200),
    ),
    (
        "message-create",
        "post",
        lambda p: f"/api/v1/threads/{p.thread.pk}/messages/",
        lambda p: {"body": "Hallo", "client_id": str(uuid.uuid4())},
        MEMBERS_POST,
    ),
    ("read", "post", lambda p: f"/api/v1/threads/{p.thread.pk}/read/", lambda p: {"seq": 2}, MEMBERS_READ),
    ("message-detail", "get", _message, None, table(200)),
    ("message-patch", "patch", _message, lambda p: {"body": "Aangepast"}, AUTHOR),
    ("message-delete", "delete", _message, None, table(403, **ANON_401, member=204)),
    ("reaction-add", "post", lambda p: _message(p) + "reactions/", lambda p: {"emoji": "👍"}, MEMBERS_ACT),
    ("reaction-remove", "delete", lambda p: _message(p) + f"reactions/{quote('👍')}/", None, MEMBERS_ACT),
]

GROUP_CASES = []
for name, method, path, data, public in GROUP_ROWS:
    closed = hidden(public, pending=204) if name == "group-leave" else hidden(public)
    GROUP_CASES.append(pytest.param("public", method, path, data, public, id=f"{name}-public"))
    GROUP_CASES.append(pytest.param("closed", method, path, data, closed, id=f"{name}-closed"))


@pytest.mark.parametrize(("visibility", "method", "path", "data", "expected"), GROUP_CASES)
def test_group_endpoints(world, visibility, method, path, data, expected):
    place = world.places[visibility]
    payload = None if data is None else lambda: data(place)
    assert run_matrix(world, method, path(place), payload) == expected


# --- lists: what is absent is as good as missing -------------------------------------------------


@pytest.mark.parametrize("actor", ACTORS)
def test_group_list_shows_closed_groups_only_to_those_who_may_see_them(world, actor):
    slugs = {g["slug"] for g in client_for(world.users[actor]).get("/api/v1/groups/").json()}
    assert world.places["public"].group.slug in slugs
    assert (world.places["closed"].group.slug in slugs) == (actor in SEES_CLOSED)
    filtered = client_for(world.users[actor]).get(f"/api/v1/groups/?library={world.library.slug}").json()
    assert {g["slug"] for g in filtered} == slugs
    assert client_for(world.users[actor]).get("/api/v1/groups/?library=bestaat-niet").json() == []


@pytest.mark.parametrize("actor", ["member", "host", "librarian", "staff", "outsider"])
def test_pending_requests_are_listed_only_for_managers(world, actor):
    place = world.places["public"]
    response = client_for(world.users[actor]).get(f"/api/v1/groups/{place.group.slug}/members/")
    states = {(m["user"]["id"], m["state"]) for m in response.json()}
    assert (place.pending_id, "active") not in states
    assert ((place.pending_id, "pending") in states) == (actor in MANAGERS)
    assert (world.users["member"].pk, "active") in states


@pytest.mark.parametrize("actor", SEES_CLOSED)
def test_invite_code_is_shown_only_to_managers_of_the_closed_group(world, actor):
    place = world.places["closed"]
    body = client_for(world.users[actor]).get(f"/api/v1/groups/{place.group.slug}/").json()
    assert (body["invite_code"] == place.group.invite_code) == (actor in MANAGERS)
    if actor not in MANAGERS:
        assert body["invite_code"] is None


def test_unknown_api_paths_answer_in_the_error_shape(world):
    response = APIClient().get("/api/v1/bestaat-niet/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    response = client_for(world.users["member"]).put("/api/v1/libraries/", {}, format="json")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


# --- the matrix covers every endpoint ------------------------------------------------------------


def _route(path: str) -> str:
    return resolve(path.split("?")[0]).route.removeprefix("api/v1/")


def served_endpoints(patterns, prefix: str = "") -> set[tuple[str, str]]:
    """(method, route) for every API view in `patterns`, descending into `include`d URLconfs."""
    served = set()
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            served |= served_endpoints(pattern.url_patterns, route)
            continue
        assert isinstance(pattern, URLPattern), pattern
        view_class = getattr(pattern.callback, "cls", None)
        if view_class is None or pattern.name in ("schema", "api-docs"):
            continue  # schema and docs: below
        for method in ("get", "post", "put", "patch", "delete"):
            if hasattr(view_class, method):
                served.add((method, route))
    return served


# Included URLconfs with their own matrix: moderation/ (tests/moderation/test_permissions.py),
# resources (tests/resources/test_permissions.py) and meetups (tests/meetups/test_permissions_*.py).


def test_the_matrix_covers_every_endpoint(world):
    """A new view or method in backend/api_urls.py (or a URLconf it includes) fails here until it has
    a row above — or in the matrix of the included URLconf."""
    from tests.meetups import (
        test_permissions_core,
        test_permissions_live,
        test_permissions_qa,
        test_permissions_reach,
    )
    from tests.moderation.test_permissions import covered_endpoints as moderation_covered
    from tests.resources.test_permissions import covered_endpoints as resources_covered

    served = served_endpoints(api_urls.urlpatterns)
    assert any(route.startswith("moderation/") for _method, route in served)  # includes are walked
    covered = {(method, _route(path(world))) for _name, method, path, _data, _expected in GLOBAL_ROWS}
    covered |= {
        (method, _route(path(world.places["public"]))) for _name, method, path, _data, _expected in GROUP_ROWS
    }
    covered.add(("post", "auth/token/"))  # test_token_create_needs_credentials_not_a_session
    covered |= moderation_covered(world.library.slug)
    covered |= resources_covered(world.library.slug)
    for meetups_matrix in (
        test_permissions_core,
        test_permissions_live,
        test_permissions_qa,
        test_permissions_reach,
    ):
        covered |= meetups_matrix.covered_endpoints(world.library.slug)
    assert served - covered == set()


@pytest.mark.parametrize("path", ["/api/v1/schema/", "/api/v1/docs/"])
def test_schema_and_docs_are_public(db, path):
    assert APIClient().get(path).status_code == 200


def test_the_schema_describes_every_endpoint_without_warnings(db, tmp_path):
    """drf-spectacular resolves every view, serializer and authentication class (a view it cannot
    describe is left out of the schema with only a warning)."""
    from django.core.management import call_command

    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/meetups/{meetup_id}/questions/" in (tmp_path / "schema.yaml").read_text()
