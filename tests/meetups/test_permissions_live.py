"""The permission matrix of live mode and joining (meetups/live_views.py): every endpoint × every kind
of actor, for a live meetup of a public and of a closed group. Guests reach only their own meetup;
a closed group's meetup answers 404 to outsiders and other guests, like one that does not exist.

Real sessions throughout (force_login), so the guest guard of the authentication classes runs."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest
from django.urls import resolve
from rest_framework.test import APIClient

from meetups.models import Meetup
from tests.meetups.factories import make_guest, make_live, make_meetup

pytestmark = pytest.mark.django_db

ACTORS = ("anon", "outsider", "member", "host", "librarian", "guest", "other_guest")

# (name, method, path(meetup), body, {actor: status}) — actors left out expect `default`.
Row = tuple[str, str, Callable[[Meetup], str], dict | None, dict[str, int], int]

ROWS: list[Row] = [
    (
        "live start",
        "post",
        lambda m: f"/api/v1/meetups/{m.pk}/live/start/",
        None,
        {"anon": 401, "host": 200, "librarian": 200, "guest": 403, "other_guest": 403},
        403,
    ),
    (
        "live end",
        "post",
        lambda m: f"/api/v1/meetups/{m.pk}/live/end/",
        None,
        {"anon": 401, "host": 200, "librarian": 200, "guest": 403, "other_guest": 403},
        403,
    ),
    (
        "live snapshot",
        "get",
        lambda m: f"/api/v1/meetups/{m.pk}/live/",
        None,
        {"other_guest": 404},
        200,
    ),
    ("qr code", "get", lambda m: f"/api/v1/meetups/{m.pk}/qr.svg", None, {"other_guest": 404}, 200),
    ("join info", "get", lambda m: f"/api/v1/join/{m.join_code}/", None, {}, 200),
    ("join", "post", lambda m: f"/api/v1/join/{m.join_code}/", {"display_name": "Gerda"}, {}, 200),
]

# In a closed group: whoever does not see the group gets 404 (guests of the meetup see it).
CLOSED_HIDDEN = {"anon", "outsider", "other_guest"}


@pytest.fixture
def world(library, librarian, public_group, closed_group, member, host, outsider):
    places = {}
    for kind, group in (("public", public_group), ("closed", closed_group)):
        meetup = make_live(make_meetup(group, host))
        places[kind] = SimpleNamespace(meetup=meetup, guest=make_guest(meetup))
    other = make_live(make_meetup(public_group, host, title="Ander"))
    users = {
        "outsider": outsider,
        "member": member,
        "host": host,
        "librarian": librarian,
        "other_guest": make_guest(other),
    }
    return SimpleNamespace(places=places, users=users)


def client_for(world, place, actor: str) -> APIClient:
    client = APIClient()
    user = place.guest if actor == "guest" else world.users.get(actor)
    if user is not None:
        client.force_login(user)
    return client


def expected(row: Row, actor: str, kind: str) -> int:
    _name, _method, _path, _body, table, default = row
    if actor.endswith("guest") and table.get(actor) == 403:
        return 403  # guest_not_allowed: refused before anything is looked up
    if kind == "closed" and actor in CLOSED_HIDDEN and row[0] not in ("join info", "join"):
        return 401 if actor == "anon" and row[1] == "post" else 404
    return table.get(actor, default)


@pytest.mark.parametrize("kind", ["public", "closed"])
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_live_permission_matrix(world, row, actor, kind):
    place = world.places[kind]
    _name, method, path, body, _table, _default = row
    response = getattr(client_for(world, place, actor), method)(path(place.meetup), body, format="json")
    assert response.status_code == expected(row, actor, kind), (row[0], actor, kind, response.content[:200])


def covered_endpoints(*_args) -> set[tuple[str, str]]:
    """(method, route) of every row above (for the coverage guard in tests/api/test_permissions.py)."""
    fake = SimpleNamespace(pk=1, join_code="ABCDEF")
    return {
        (method, resolve(path(fake)).route.removeprefix("api/v1/")) for _n, method, path, _b, _t, _d in ROWS
    }
