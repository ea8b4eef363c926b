"""The permission matrix for reach and notifications: feeds, the private calendar URL and the inbox ×
every kind of actor (the actors and the world of tests/api/test_permissions.py). A closed group's feed
answers 404 to everyone — feeds are anonymous; the private feed opens with its token alone."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from meetups.models import CalendarToken
from notifications.services import notify
from tests.api import test_permissions as matrix
from tests.api.test_permissions import ACTORS, ANON_401, _route, client_for, run_matrix, table
from tests.meetups.factories import make_meetup

world = matrix.world  # fixtures of the shared matrix
_fast_password_hashing = matrix._fast_password_hashing

# (name, method, path(world, extra), data, expected)
ROWS = [
    ("agenda-ics", "get", lambda w, x: f"/api/v1/libraries/{w.library.slug}/agenda.ics", None, table(200)),
    ("agenda-atom", "get", lambda w, x: f"/api/v1/libraries/{w.library.slug}/agenda.atom", None, table(200)),
    ("agenda-json", "get", lambda w, x: f"/api/v1/libraries/{w.library.slug}/agenda.json", None, table(200)),
    (
        "group-ics-public",
        "get",
        lambda w, x: f"/api/v1/groups/{w.places['public'].group.slug}/meetups.ics",
        None,
        table(200),
    ),
    (
        "group-ics-closed",
        "get",
        lambda w, x: f"/api/v1/groups/{w.places['closed'].group.slug}/meetups.ics",
        None,
        table(404),
    ),
    ("private-ics", "get", lambda w, x: f"/api/v1/calendar/{x.token}.ics", None, table(200)),
    ("private-ics-wrong", "get", lambda w, x: "/api/v1/calendar/niet-het-token.ics", None, table(404)),
    ("my-calendar", "get", lambda w, x: "/api/v1/me/calendar/", None, table(200, **ANON_401)),
    ("my-calendar-rotate", "post", lambda w, x: "/api/v1/me/calendar/", None, table(200, **ANON_401)),
    ("notifications", "get", lambda w, x: "/api/v1/notifications/", None, table(200, **ANON_401)),
    (
        "notifications-read",
        "post",
        lambda w, x: "/api/v1/notifications/read/",
        lambda: {"all": True},
        table(200, **ANON_401),
    ),
]


@pytest.fixture
def extra(world):
    for visibility, place in world.places.items():
        make_meetup(place.group, world.users["host"], title=f"Bijeenkomst {visibility}")
    token = CalendarToken.objects.create(user=world.users["member"])
    notify(user_ids=[u.pk for u in world.users.values() if u], kind="meetup.cancelled", data={"meetup": 1})
    return SimpleNamespace(token=token.token)


@pytest.mark.parametrize(("name", "method", "path", "data", "expected"), ROWS, ids=[r[0] for r in ROWS])
def test_reach_matrix(world, extra, name, method, path, data, expected):
    assert run_matrix(world, method, path(world, extra), data) == expected


@pytest.mark.parametrize("actor", [a for a in ACTORS if a != "anonymous"])
def test_public_feeds_never_show_the_closed_group(world, extra, actor):
    client = client_for(world.users[actor])
    for suffix in ("agenda.ics", "agenda.atom", "agenda.json"):
        body = client.get(f"/api/v1/libraries/{world.library.slug}/{suffix}").content.decode()
        assert "Bijeenkomst public" in body
        assert "Bijeenkomst closed" not in body


def covered_endpoints(library_slug: str) -> set[tuple[str, str]]:
    """(method, route) of every row above (for the coverage guard in tests/api/test_permissions.py)."""
    group = SimpleNamespace(slug="g")
    fake_world = SimpleNamespace(
        library=SimpleNamespace(slug=library_slug),
        places={"public": SimpleNamespace(group=group), "closed": SimpleNamespace(group=group)},
    )
    fake_extra = SimpleNamespace(token="t")
    return {(method, _route(path(fake_world, fake_extra))) for _n, method, path, _d, _e in ROWS}
