# ruff: noqa: F811  (the `world` fixture is imported and used by name)
"""The permission matrix of the meetup core (places, meetups, support requests, RSVPs): every
endpoint × every kind of actor × public and closed groups (the actors and the world are those of
tests/api/test_permissions.py). A closed group's meetups answer 404 to whoever may not see the group,
exactly like something that does not exist; drafts answer 404 to whoever does not host them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from meetups.models import Branch, Meetup, MeetupStatus, Room, SupportRequest
from tests.api.test_permissions import (  # noqa: F401  (world is a fixture)
    ACTORS,
    ANON_401,
    MANAGE,
    NOT_A_MEMBER,
    _route,
    hidden,
    run_matrix,
    table,
    world,
)
from tests.meetups.factories import make_meetup


@dataclass
class Scene:
    meetup: Meetup  # published, tomorrow, hosted by "host"
    draft: Meetup
    request: SupportRequest  # pending, asks for promotion


@pytest.fixture
def scenes(world) -> dict[str, Scene]:
    host = world.users["host"]
    result = {}
    for visibility, place in world.places.items():
        start = timezone.now() + timedelta(days=1)
        meetup = make_meetup(place.group, host, starts_at=start, title=f"Avond {visibility}")
        draft = make_meetup(place.group, host, status=MeetupStatus.DRAFT, title=f"Concept {visibility}")
        request = SupportRequest.objects.create(
            meetup=meetup, library=world.library, wants_promotion=True, requested_by=host
        )
        result[visibility] = Scene(meetup, draft, request)
    return result


@pytest.fixture
def places(world) -> SimpleNamespace:
    branch = Branch.objects.create(library=world.library, name="Centrale")
    room = Room.objects.create(branch=branch, name="Zaal", capacity=10)
    return SimpleNamespace(library=world.library, branch=branch, room=room)


def _m(s: Scene) -> str:
    return f"/api/v1/meetups/{s.meetup.pk}/"


HOSTS_CREATE = table(403, **ANON_401, host=201, librarian=201, staff=201)
LIBRARIANS = table(403, **ANON_401, librarian=200, staff=200)


def _meetup_input(p, s):
    start = timezone.now() + timedelta(days=3)
    return {
        "title": "Nieuw",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
    }


# (name, method, path(place, scene), data(place, scene), expected for the public group)
ROWS = [
    ("meetups-list", "get", lambda p, s: f"/api/v1/groups/{p.group.slug}/meetups/", None, table(200)),
    (
        "meetup-create",
        "post",
        lambda p, s: f"/api/v1/groups/{p.group.slug}/meetups/",
        _meetup_input,
        HOSTS_CREATE,
    ),
    ("meetup-detail", "get", lambda p, s: _m(s), None, table(200)),
    ("meetup-patch", "patch", lambda p, s: _m(s), lambda p, s: {"title": "Anders"}, MANAGE),
    (
        "meetup-publish",
        "post",
        lambda p, s: f"/api/v1/meetups/{s.draft.pk}/publish/",
        None,
        table(404, **ANON_401, host=200, librarian=200, staff=200),
    ),
    ("meetup-cancel", "post", lambda p, s: _m(s) + "cancel/", lambda p, s: {"reason": "Ziek"}, MANAGE),
    (
        "meetup-support",
        "post",
        lambda p, s: f"/api/v1/meetups/{s.draft.pk}/support/",
        lambda p, s: {"help": "Koffie"},
        table(404, **ANON_401, host=201, librarian=201, staff=201),
    ),
    (
        "rsvp-put",
        "put",
        lambda p, s: _m(s) + "rsvp/",
        lambda p, s: {"answer": "going"},
        # A mute silences the conversation, not the member: they may still come.
        table(NOT_A_MEMBER, **ANON_401, member=200, host=200, muted=200),
    ),
    ("rsvp-delete", "delete", lambda p, s: _m(s) + "rsvp/", None, table(204, **ANON_401)),
    ("rsvps", "get", lambda p, s: _m(s) + "rsvps/", None, MANAGE),
    ("rsvps-csv", "get", lambda p, s: _m(s) + "rsvps.csv", None, MANAGE),
    (
        "support-approve",
        "post",
        lambda p, s: f"/api/v1/support-requests/{s.request.pk}/approve/",
        lambda p, s: {"note": "Prima"},
        LIBRARIANS,
    ),
    (
        "support-decline",
        "post",
        lambda p, s: f"/api/v1/support-requests/{s.request.pk}/decline/",
        lambda p, s: {"note": "Nee"},
        LIBRARIANS,
    ),
]

CASES = []
for name, method, path, data, public in ROWS:
    CASES.append(pytest.param("public", method, path, data, public, id=f"{name}-public"))
    CASES.append(pytest.param("closed", method, path, data, hidden(public), id=f"{name}-closed"))


def _run(world, method, path, payload):
    if method != "put":
        return run_matrix(world, method, path, payload)
    # run_matrix sends a JSON body only with post and patch.
    from django.db import transaction
    from rest_framework.test import APIClient

    from tests.api.test_permissions import outcome

    results = {}
    client = APIClient()
    for actor in ACTORS:
        client.force_authenticate(world.users[actor])
        with transaction.atomic():
            results[actor] = outcome(client.put(path, payload(), format="json"))
            transaction.set_rollback(True)
    return results


@pytest.mark.parametrize(("visibility", "method", "path", "data", "expected"), CASES)
def test_meetup_endpoints(world, scenes, visibility, method, path, data, expected):
    place, scene = world.places[visibility], scenes[visibility]
    payload = None if data is None else lambda: data(place, scene)
    assert _run(world, method, path(place, scene), payload) == expected


# (name, method, path(places), data(places), expected)
GLOBAL_ROWS = [
    ("branches", "get", lambda w: f"/api/v1/libraries/{w.library.slug}/branches/", None, table(200)),
    (
        "branch-create",
        "post",
        lambda w: f"/api/v1/libraries/{w.library.slug}/branches/",
        lambda w: {"name": "Filiaal Noord"},
        table(403, **ANON_401, librarian=201, staff=201),
    ),
    (
        "branch-patch",
        "patch",
        lambda w: f"/api/v1/branches/{w.branch.pk}/",
        lambda w: {"address": "Plein 1"},
        LIBRARIANS,
    ),
    (
        "branch-delete",
        "delete",
        lambda w: f"/api/v1/branches/{w.branch.pk}/",
        None,
        table(403, **ANON_401, librarian=204, staff=204),
    ),
    (
        "room-create",
        "post",
        lambda w: f"/api/v1/branches/{w.branch.pk}/rooms/",
        lambda w: {"name": "Studio", "capacity": 8},
        table(403, **ANON_401, librarian=201, staff=201),
    ),
    ("room-patch", "patch", lambda w: f"/api/v1/rooms/{w.room.pk}/", lambda w: {"capacity": 12}, LIBRARIANS),
    (
        "room-delete",
        "delete",
        lambda w: f"/api/v1/rooms/{w.room.pk}/",
        None,
        table(403, **ANON_401, librarian=204, staff=204),
    ),
    ("agenda", "get", lambda w: f"/api/v1/libraries/{w.library.slug}/meetups/", None, table(200)),
    (
        "support-requests",
        "get",
        lambda w: f"/api/v1/libraries/{w.library.slug}/support-requests/?state=pending",
        None,
        LIBRARIANS,
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "data", "expected"), [pytest.param(*row[1:], id=row[0]) for row in GLOBAL_ROWS]
)
def test_place_and_library_endpoints(world, scenes, places, method, path, data, expected):
    payload = None if data is None else lambda: data(places)
    assert run_matrix(world, method, path(places), payload) == expected


@pytest.mark.parametrize("actor", ACTORS)
def test_the_agenda_and_group_lists_hide_what_the_actor_may_not_see(world, scenes, actor):
    from tests.api.test_permissions import MANAGERS, SEES_CLOSED, client_for

    client = client_for(world.users[actor])
    agenda = {m["id"] for m in client.get(f"/api/v1/libraries/{world.library.slug}/meetups/").json()}
    assert agenda == {scenes["public"].meetup.pk}  # the public agenda never shows closed groups
    for visibility, scene in scenes.items():
        response = client.get(f"/api/v1/groups/{world.places[visibility].group.slug}/meetups/")
        if visibility == "closed" and actor not in SEES_CLOSED:
            assert response.status_code == 404
            continue
        listed = {m["id"] for m in response.json()}
        assert scene.meetup.pk in listed
        assert (scene.draft.pk in listed) == (actor in MANAGERS)


def covered_endpoints(library_slug: str) -> set[tuple[str, str]]:
    """(method, route) of every row above (for the coverage guard in tests/api/test_permissions.py)."""
    ref = SimpleNamespace(pk=1)
    place = SimpleNamespace(group=SimpleNamespace(slug="g"))
    scene = SimpleNamespace(meetup=ref, draft=ref, request=ref)
    covered = {(method, _route(path(place, scene))) for _n, method, path, _d, _e in ROWS}
    fake = SimpleNamespace(library=SimpleNamespace(slug=library_slug), branch=ref, room=ref)
    covered |= {(method, _route(path(fake))) for _n, method, path, _d, _e in GLOBAL_ROWS}
    return covered
