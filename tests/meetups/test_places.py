"""Branches and rooms of a library: librarians manage them, anyone reads them."""

from __future__ import annotations

import pytest

from meetups.models import Branch, Room
from tests.conftest import make_library, make_user
from tests.meetups.factories import make_meetup, make_room

pytestmark = pytest.mark.django_db


def test_librarians_manage_branches_and_rooms(api, library, librarian):
    client = api(librarian)
    response = client.post(
        f"/api/v1/libraries/{library.slug}/branches/",
        {"name": "Centrale", "address": "Markt 1"},
        format="json",
    )
    assert response.status_code == 201, response.content
    branch = response.json()
    assert branch == {"id": branch["id"], "name": "Centrale", "address": "Markt 1", "rooms": []}
    room = client.post(
        f"/api/v1/branches/{branch['id']}/rooms/",
        {"name": "Leeszaal", "capacity": 40, "accessibility": "Rolstoeltoegankelijk, ringleiding"},
        format="json",
    )
    assert room.status_code == 201
    assert (
        client.patch(f"/api/v1/rooms/{room.json()['id']}/", {"capacity": 35}, format="json").json()[
            "capacity"
        ]
        == 35
    )
    assert (
        client.patch(f"/api/v1/branches/{branch['id']}/", {"address": "Markt 2"}, format="json").status_code
        == 200
    )
    listed = api(None).get(f"/api/v1/libraries/{library.slug}/branches/").json()
    assert listed == [
        {
            "id": branch["id"],
            "name": "Centrale",
            "address": "Markt 2",
            "rooms": [
                {
                    "id": room.json()["id"],
                    "name": "Leeszaal",
                    "capacity": 35,
                    "accessibility": "Rolstoeltoegankelijk, ringleiding",
                }
            ],
        }
    ]
    duplicate = client.post(
        f"/api/v1/libraries/{library.slug}/branches/", {"name": "Centrale"}, format="json"
    )
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "branch_name_taken"
    assert client.delete(f"/api/v1/rooms/{room.json()['id']}/").status_code == 204
    assert client.delete(f"/api/v1/branches/{branch['id']}/").status_code == 204
    assert not Branch.objects.exists()


def test_others_cannot_manage_places(api, library, member, host):
    room = make_room(library)
    other = make_user("Elders")
    from groups.services import librarian_add

    librarian_add(library=make_library("Andere"), user=other)
    for user in (member, host, other):
        client = api(user)
        assert (
            client.post(
                f"/api/v1/libraries/{library.slug}/branches/", {"name": "X"}, format="json"
            ).status_code
            == 403
        )
        assert (
            client.post(
                f"/api/v1/branches/{room.branch_id}/rooms/", {"name": "Y", "capacity": 3}, format="json"
            ).status_code
            == 403
        )
        assert client.patch(f"/api/v1/rooms/{room.pk}/", {"capacity": 1}, format="json").status_code == 403
        assert client.delete(f"/api/v1/branches/{room.branch_id}/").status_code == 403
    assert api(None).delete(f"/api/v1/rooms/{room.pk}/").status_code == 401
    room.refresh_from_db()
    assert room.capacity == 30


def test_a_room_with_meetups_cannot_be_deleted(api, library, librarian, public_group, host):
    room = make_room(library)
    make_meetup(public_group, host, room=room)
    response = api(librarian).delete(f"/api/v1/rooms/{room.pk}/")
    assert response.status_code == 409 and response.json()["code"] == "room_in_use"
    response = api(librarian).delete(f"/api/v1/branches/{room.branch_id}/")
    assert response.status_code == 409 and response.json()["code"] == "room_in_use"
    assert Room.objects.filter(pk=room.pk).exists()


def test_bad_room_input(api, library, librarian):
    room = make_room(library)
    response = api(librarian).post(
        f"/api/v1/branches/{room.branch_id}/rooms/", {"name": "Z", "capacity": 0}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "validation_error"
    response = api(librarian).post(
        f"/api/v1/branches/{room.branch_id}/rooms/", {"name": room.name, "capacity": 3}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "room_name_taken"
    assert api(librarian).get("/api/v1/libraries/bestaat-niet/branches/").status_code == 404
