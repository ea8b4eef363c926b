"""Meetups through REST: create, see, change, publish, cancel — and what members and outsiders see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import GroupEvent
from meetups.models import Meetup, MeetupStatus, Rsvp
from notifications.models import Notification
from tests.conftest import add_member, make_user
from tests.meetups.factories import make_meetup, make_room

pytestmark = pytest.mark.django_db


def _iso(dt) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def _input(**overrides):
    start = timezone.now() + timedelta(days=7)
    data = {
        "title": "Kennis Werkplaats: zonnepanelen",
        "description": "Wat **werkt** er op een rijtjeshuis?",
        "starts_at": _iso(start),
        "ends_at": _iso(start + timedelta(hours=2)),
        "in_person": True,
        "online": False,
        "location": "",
        "capacity": 20,
    }
    data.update(overrides)
    return data


def _events(group, event_type):
    return list(GroupEvent.objects.filter(group=group, type=event_type).order_by("seq"))


# --- create ----------------------------------------------------------------------------------------


def test_a_group_host_creates_a_draft(api, public_group, host, member):
    response = api(host).post(
        f"/api/v1/groups/{public_group.slug}/meetups/", _input(cohosts=[member.pk]), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft"
    assert body["can_manage"] is True
    assert body["thread"] is None
    assert body["description_html"] == "<p>Wat <strong>werkt</strong> er op een rijtjeshuis?</p>"
    assert body["cohosts"] == [{"id": member.pk, "display_name": member.display_name}]
    assert body["effective_capacity"] == 20 and body["seats_left"] == 20
    assert body["group"] == {"slug": public_group.slug, "name": public_group.name, "visibility": "public"}
    assert not _events(public_group, "meetup.changed")  # never for drafts


def test_members_cannot_create_meetups(api, public_group, member):
    response = api(member).post(f"/api/v1/groups/{public_group.slug}/meetups/", _input(), format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Meetup.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"ends_at": _iso(timezone.now())}, "invalid_times"),
        ({"in_person": False, "online": False}, "meetup_needs_place"),
        ({"online": True, "online_url": ""}, "online_url_required"),
        ({"online": True, "online_url": "javascript:alert(1)"}, "validation_error"),
        ({"capacity": 0}, "validation_error"),
        ({"starts_at": "morgen"}, "validation_error"),
    ],
)
def test_bad_input_is_refused_with_a_code(api, public_group, host, overrides, code):
    response = api(host).post(
        f"/api/v1/groups/{public_group.slug}/meetups/", _input(**overrides), format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert response.json()["detail"]


def test_cohosts_must_be_active_members(api, public_group, host, outsider):
    response = api(host).post(
        f"/api/v1/groups/{public_group.slug}/meetups/", _input(cohosts=[outsider.pk]), format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cohost"


# --- visibility ------------------------------------------------------------------------------------


def test_drafts_are_invisible_to_members(api, public_group, host, member):
    draft = make_meetup(public_group, host, status=MeetupStatus.DRAFT, title="Nog geheim")
    published = make_meetup(public_group, host, title="Openbaar")
    listed = api(member).get(f"/api/v1/groups/{public_group.slug}/meetups/").json()
    assert [m["id"] for m in listed] == [published.pk]
    assert api(member).get(f"/api/v1/meetups/{draft.pk}/").status_code == 404
    assert api(None).get(f"/api/v1/meetups/{draft.pk}/").status_code == 404
    assert {m["id"] for m in api(host).get(f"/api/v1/groups/{public_group.slug}/meetups/").json()} == {
        draft.pk,
        published.pk,
    }
    assert api(host).get(f"/api/v1/meetups/{draft.pk}/").json()["status"] == "draft"


def test_closed_group_meetups_are_not_found_for_outsiders_on_every_read(
    api, closed_meetup, closed_group, outsider, member, library
):
    paths = [
        f"/api/v1/meetups/{closed_meetup.pk}/",
        f"/api/v1/groups/{closed_group.slug}/meetups/",
        f"/api/v1/meetups/{closed_meetup.pk}/rsvps/",
        f"/api/v1/meetups/{closed_meetup.pk}/rsvps.csv",
    ]
    for user in (outsider, None):
        for path in paths:
            response = api(user).get(path)
            assert response.status_code in (404, 401), path
            if user is not None:
                assert response.status_code == 404, path
                assert response.json()["code"] == "not_found"
        response = api(user).put(
            f"/api/v1/meetups/{closed_meetup.pk}/rsvp/", {"answer": "going"}, format="json"
        )
        assert response.status_code == (404 if user else 401)
    agenda = api(outsider).get(f"/api/v1/libraries/{library.slug}/meetups/").json()
    assert closed_meetup.pk not in {m["id"] for m in agenda}
    assert api(member).get(f"/api/v1/meetups/{closed_meetup.pk}/").status_code == 200


def test_when_filters_upcoming_and_past(api, public_group, host, member):
    past = make_meetup(public_group, host, starts_at=timezone.now() - timedelta(days=3), title="Vorige")
    soon = make_meetup(public_group, host, starts_at=timezone.now() + timedelta(days=1), title="Straks")
    later = make_meetup(public_group, host, starts_at=timezone.now() + timedelta(days=9), title="Later")
    url = f"/api/v1/groups/{public_group.slug}/meetups/"
    assert [m["id"] for m in api(member).get(url).json()] == [soon.pk, later.pk]
    assert [m["id"] for m in api(member).get(url + "?when=past").json()] == [past.pk]
    bad = api(member).get(url + "?when=ooit")
    assert bad.status_code == 400 and bad.json()["code"] == "validation_error"


def test_library_agenda_is_public_and_shows_only_published_meetups_of_public_groups(
    api, library, public_group, closed_group, host
):
    published = make_meetup(public_group, host, title="Open")
    cancelled = make_meetup(public_group, host, title="Gaat niet door", status=MeetupStatus.CANCELLED)
    make_meetup(public_group, host, title="Concept", status=MeetupStatus.DRAFT)
    make_meetup(public_group, host, title="Aangevraagd", status=MeetupStatus.REQUESTED)
    make_meetup(closed_group, host, title="Besloten")
    body = api(None).get(f"/api/v1/libraries/{library.slug}/meetups/").json()
    assert {m["id"]: m["status"] for m in body} == {published.pk: "published", cancelled.pk: "cancelled"}
    assert all(m["my_rsvp"] is None and m["can_manage"] is False for m in body)
    assert api(None).get("/api/v1/libraries/bestaat-niet/meetups/").status_code == 404


def _populate(group, host, n, *, room_name):
    room = make_room(group.library, name=room_name)
    for i in range(n):
        meetup = make_meetup(
            group, host, title=f"Avond {i}", starts_at=timezone.now() + timedelta(days=i + 1), room=room
        )
        meetup.cohosts.add(host)
        for _ in range(2):
            user = make_user()
            add_member(group, user)
            Rsvp.objects.create(meetup=meetup, user=user, answer="going")


def test_lists_run_in_a_fixed_number_of_queries(
    api, library, public_group, host, member, django_assert_max_num_queries
):
    _populate(public_group, host, 2, room_name="Zaal A")
    client = api(host)
    group_url = f"/api/v1/groups/{public_group.slug}/meetups/"
    agenda_url = f"/api/v1/libraries/{library.slug}/meetups/"
    with django_assert_max_num_queries(20) as small:
        assert len(client.get(group_url).json()) == 2
    _populate(public_group, host, 8, room_name="Zaal B")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get(group_url).json()) == 10
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(api(member).get(agenda_url).json()) == 10


# --- change, publish, cancel -----------------------------------------------------------------------


def test_publishing_makes_the_conversation_and_announces_it(api, public_group, host, member):
    draft = make_meetup(public_group, host, status=MeetupStatus.DRAFT)
    assert api(member).post(f"/api/v1/meetups/{draft.pk}/publish/").status_code == 404
    response = api(host).post(f"/api/v1/meetups/{draft.pk}/publish/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "published"
    assert body["thread"] is not None
    draft.refresh_from_db()
    assert draft.thread.group_id == public_group.pk and draft.thread.title == draft.title
    [event] = _events(public_group, "meetup.changed")
    announced = event.payload["meetup"]
    assert announced["id"] == draft.pk and announced["status"] == "published"
    assert announced["my_rsvp"] is None and announced["support_request"] is None
    assert announced["join_code"] is None and announced["can_manage"] is False
    assert api(member).get(f"/api/v1/meetups/{draft.pk}/").status_code == 200


def test_changing_a_published_meetup_raises_sequence_and_notifies_responders(
    api, meetup, host, member, other_member
):
    api(member).put(f"/api/v1/meetups/{meetup.pk}/rsvp/", {"answer": "going"}, format="json")
    api(other_member).put(f"/api/v1/meetups/{meetup.pk}/rsvp/", {"answer": "maybe"}, format="json")
    response = api(host).patch(f"/api/v1/meetups/{meetup.pk}/", {"title": "Nieuwe titel"}, format="json")
    assert response.status_code == 200
    assert response.json()["sequence"] == 1
    assert not Notification.objects.filter(kind="meetup.changed").exists()  # no time or place change
    new_start = meetup.starts_at + timedelta(hours=1)
    response = api(host).patch(
        f"/api/v1/meetups/{meetup.pk}/",
        {"starts_at": _iso(new_start), "ends_at": _iso(new_start + timedelta(hours=2))},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["sequence"] == 2
    notified = set(Notification.objects.filter(kind="meetup.changed").values_list("user_id", flat=True))
    assert notified == {member.pk, other_member.pk}
    assert len(_events(meetup.group, "meetup.changed")) == 2


def test_patch_keeps_validation_and_permissions(api, meetup, host, member):
    response = api(host).patch(
        f"/api/v1/meetups/{meetup.pk}/", {"ends_at": _iso(meetup.starts_at)}, format="json"
    )
    assert response.json()["code"] == "invalid_times"
    response = api(member).patch(f"/api/v1/meetups/{meetup.pk}/", {"title": "x"}, format="json")
    assert response.status_code == 403
    meetup.refresh_from_db()
    assert meetup.sequence == 0


def test_a_draft_changes_without_events(api, public_group, host):
    draft = make_meetup(public_group, host, status=MeetupStatus.DRAFT)
    response = api(host).patch(f"/api/v1/meetups/{draft.pk}/", {"title": "Beter"}, format="json")
    assert response.status_code == 200
    assert response.json()["sequence"] == 0
    assert not GroupEvent.objects.filter(group=public_group, type__startswith="meetup.").exists()


def test_cancellation_notifies_every_responder_and_clears_the_waiting_list(
    api, public_group, host, member, other_member
):
    meetup = make_meetup(public_group, host, capacity=1)
    third = make_user("Chris")
    fourth = make_user("Dirk")
    add_member(public_group, third)
    add_member(public_group, fourth)
    api(member).put(f"/api/v1/meetups/{meetup.pk}/rsvp/", {"answer": "going"}, format="json")
    waiting = api(other_member).put(f"/api/v1/meetups/{meetup.pk}/rsvp/", {"answer": "going"}, format="json")
    assert waiting.json()["waitlisted"] is True
    api(third).put(f"/api/v1/meetups/{meetup.pk}/rsvp/", {"answer": "maybe"}, format="json")
    api(fourth).put(f"/api/v1/meetups/{meetup.pk}/rsvp/", {"answer": "not_going"}, format="json")
    response = api(host).post(
        f"/api/v1/meetups/{meetup.pk}/cancel/", {"reason": "Zaal onder water"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "cancelled" and body["cancel_reason"] == "Zaal onder water"
    assert body["sequence"] == 1 and body["waitlist_count"] == 0
    notes = Notification.objects.filter(kind="meetup.cancelled")
    assert set(notes.values_list("user_id", flat=True)) == {member.pk, other_member.pk, third.pk, fourth.pk}
    assert all(n.data["reason"] == "Zaal onder water" and n.data["meetup"] == meetup.pk for n in notes)
    assert not Rsvp.objects.filter(meetup=meetup, waitlisted_at__isnull=False).exists()
    assert _events(public_group, "meetup.changed")[-1].payload["meetup"]["status"] == "cancelled"
    again = api(host).post(f"/api/v1/meetups/{meetup.pk}/cancel/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "meetup_not_editable"
    late = api(member).put(f"/api/v1/meetups/{meetup.pk}/rsvp/", {"answer": "going"}, format="json")
    assert late.status_code == 409 and late.json()["code"] == "meetup_not_open"


def test_meetup_broadcast_records_a_member_view(meetup, member):
    from meetups.services import meetup_broadcast

    meetup_broadcast(meetup)
    [event] = _events(meetup.group, "meetup.changed")
    assert event.payload["meetup"]["id"] == meetup.pk
