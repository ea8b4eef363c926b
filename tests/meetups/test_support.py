"""Support requests: a host asks the library for a room, promotion or help; librarians decide, live.
A room is never double-booked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from backend.realtime import moderators_channel
from meetups.models import MeetupStatus, SupportRequest
from notifications.models import Notification
from tests.conftest import make_library
from tests.meetups.factories import make_meetup, make_room

pytestmark = pytest.mark.django_db


def _ask(api, user, meetup, **data):
    return api(user).post(f"/api/v1/meetups/{meetup.pk}/support/", data, format="json")


@pytest.fixture
def evening():
    return (timezone.now() + timedelta(days=5)).replace(hour=18, minute=0, second=0, microsecond=0)


@pytest.fixture
def draft(public_group, host, evening):
    return make_meetup(public_group, host, status=MeetupStatus.DRAFT, starts_at=evening, capacity=20)


def test_asking_for_a_room_holds_publication_until_approved(api, draft, host, librarian, library, member):
    room = make_room(library, capacity=30)
    response = _ask(api, host, draft, wants_room=True, preferred_branch=room.branch_id, help="Beamer graag")
    assert response.status_code == 201, response.content
    request = response.json()
    assert request["state"] == "pending" and request["preferred_branch"]["id"] == room.branch_id
    draft.refresh_from_db()
    assert draft.status == "requested"
    publish = api(host).post(f"/api/v1/meetups/{draft.pk}/publish/")
    assert publish.status_code == 409 and publish.json()["code"] == "approval_required"
    assert api(member).get(f"/api/v1/meetups/{draft.pk}/").status_code == 404  # still not public
    assert api(host).get(f"/api/v1/meetups/{draft.pk}/").json()["support_request"]["id"] == request["id"]

    missing = api(librarian).post(f"/api/v1/support-requests/{request['id']}/approve/", {}, format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "room_required"
    approved = api(librarian).post(
        f"/api/v1/support-requests/{request['id']}/approve/",
        {"room": room.pk, "note": "Zaal 1"},
        format="json",
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["state"] == "approved" and approved.json()["room"]["id"] == room.pk
    body = api(member).get(f"/api/v1/meetups/{draft.pk}/").json()
    assert body["status"] == "published" and body["room"]["id"] == room.pk and body["thread"] is not None
    assert body["room"]["branch"]["id"] == room.branch_id
    [note] = Notification.objects.filter(kind="support.decided")
    assert note.user_id == host.pk and note.data["state"] == "approved"


def test_a_request_asks_for_something_and_only_one_is_pending(api, draft, host, member):
    empty = _ask(api, host, draft, help="   ")
    assert empty.status_code == 400 and empty.json()["code"] == "support_request_empty"
    assert _ask(api, member, draft, wants_promotion=True).status_code == 404  # a draft: invisible
    assert _ask(api, host, draft, wants_promotion=True).status_code == 201
    twice = _ask(api, host, draft, help="Koffie?")
    assert twice.status_code == 409 and twice.json()["code"] == "support_request_pending"
    draft.refresh_from_db()
    assert draft.status == "draft"  # promotion alone does not hold publication


def test_a_branch_of_another_library_is_refused(api, draft, host):
    elsewhere = make_room(make_library("Elders"))
    response = _ask(api, host, draft, wants_room=True, preferred_branch=elsewhere.branch_id)
    assert response.status_code == 400 and response.json()["code"] == "invalid_branch"


def _booked(public_group, host, room, starts_at, hours=2):
    return make_meetup(public_group, host, room=room, starts_at=starts_at, hours=hours, title="Al geboekt")


def test_an_overlapping_booking_is_refused(api, draft, host, librarian, library, public_group, evening):
    room = make_room(library)
    _booked(public_group, host, room, evening + timedelta(hours=1))  # 19:00–21:00 against 18:00–20:00
    request_id = _ask(api, host, draft, wants_room=True).json()["id"]
    response = api(librarian).post(
        f"/api/v1/support-requests/{request_id}/approve/", {"room": room.pk}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "room_taken"
    draft.refresh_from_db()
    assert draft.room_id is None and draft.status == "requested"
    assert SupportRequest.objects.get(pk=request_id).state == "pending"


def test_an_adjacent_booking_is_allowed_and_a_cancelled_one_frees_the_room(
    api, draft, host, librarian, library, public_group, evening
):
    room = make_room(library)
    _booked(public_group, host, room, evening - timedelta(hours=2))  # 16:00–18:00
    _booked(public_group, host, room, evening + timedelta(hours=2))  # 20:00–22:00
    cancelled = _booked(public_group, host, room, evening)
    cancelled.status = MeetupStatus.CANCELLED
    cancelled.save()
    request_id = _ask(api, host, draft, wants_room=True).json()["id"]
    response = api(librarian).post(
        f"/api/v1/support-requests/{request_id}/approve/", {"room": room.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    draft.refresh_from_db()
    assert draft.room_id == room.pk and draft.status == "published"


def test_moving_a_booked_meetup_onto_another_booking_is_refused(api, host, library, public_group, evening):
    room = make_room(library)
    first = _booked(public_group, host, room, evening)
    _booked(public_group, host, room, evening + timedelta(hours=3))
    response = api(host).patch(
        f"/api/v1/meetups/{first.pk}/",
        {
            "starts_at": (evening + timedelta(hours=2)).isoformat(),
            "ends_at": (evening + timedelta(hours=4)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 409 and response.json()["code"] == "room_taken"


def test_room_too_small_and_room_of_another_library(api, draft, host, librarian, library):
    small = make_room(library, name="Hokje", capacity=5)
    foreign = make_room(make_library("Elders"))
    request_id = _ask(api, host, draft, wants_room=True).json()["id"]
    url = f"/api/v1/support-requests/{request_id}/approve/"
    assert api(librarian).post(url, {"room": small.pk}, format="json").json()["code"] == "room_too_small"
    assert api(librarian).post(url, {"room": foreign.pk}, format="json").json()["code"] == "invalid_room"


def test_decline_returns_a_requested_meetup_to_draft(api, draft, host, librarian, member):
    request_id = _ask(api, host, draft, wants_room=True).json()["id"]
    assert (
        api(member).post(f"/api/v1/support-requests/{request_id}/decline/", {}, format="json").status_code
        == 404
    )
    response = api(librarian).post(
        f"/api/v1/support-requests/{request_id}/decline/", {"note": "Alles vol"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["state"] == "declined" and response.json()["note"] == "Alles vol"
    draft.refresh_from_db()
    assert draft.status == "draft"
    again = api(librarian).post(f"/api/v1/support-requests/{request_id}/decline/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "support_request_decided"
    assert Notification.objects.get(kind="support.decided").data["note"] == "Alles vol"
    assert api(host).post(f"/api/v1/meetups/{draft.pk}/publish/").status_code == 200


def test_approved_promotion_marks_the_meetup(api, meetup, host, librarian):
    request_id = _ask(api, host, meetup, wants_promotion=True).json()["id"]
    api(librarian).post(f"/api/v1/support-requests/{request_id}/approve/", {}, format="json")
    meetup.refresh_from_db()
    assert meetup.promoted is True and meetup.status == "published"


def test_librarians_list_requests_by_state(api, draft, meetup, host, librarian, member, library):
    first = _ask(api, host, draft, wants_room=True).json()["id"]
    second = _ask(api, host, meetup, wants_promotion=True).json()["id"]
    api(librarian).post(f"/api/v1/support-requests/{second}/decline/", {}, format="json")
    url = f"/api/v1/libraries/{library.slug}/support-requests/"
    assert {r["id"] for r in api(librarian).get(url).json()} == {first, second}
    assert [r["id"] for r in api(librarian).get(url + "?state=pending").json()] == [first]
    assert api(librarian).get(url + "?state=vergeten").json()["code"] == "validation_error"
    assert api(member).get(url).status_code == 403
    assert api(None).get(url).status_code == 401


def test_requests_and_decisions_are_pushed_to_the_librarians(
    api, draft, host, librarian, library, layer_listener, django_capture_on_commit_callbacks
):
    from asgiref.sync import async_to_sync

    async_to_sync(layer_listener.layer.group_add)(moderators_channel(library.pk), layer_listener.channel)
    with django_capture_on_commit_callbacks(execute=True):
        request_id = _ask(api, host, draft, wants_promotion=True).json()["id"]
        api(librarian).post(f"/api/v1/support-requests/{request_id}/decline/", {}, format="json")
    pushed = [m["event"] for m in layer_listener.received() if m["type"] == "moderation.event"]
    assert [(e["type"], e["request"]["id"], e["request"]["state"]) for e in pushed] == [
        ("support.request", request_id, "pending"),
        ("support.request", request_id, "declined"),
    ]
